"""The public pages that explain the draw and show the log: both languages, on
a phone, nothing from other hosts, and the spec served by the site itself."""

from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.db import transaction

from tests.web.test_pages import EXTERNAL
from tourdraw.transparency import log

SPEC = Path(__file__).resolve().parents[2] / "docs" / "spec"
NOW = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)


def _log_a_round() -> None:
    with transaction.atomic():
        log.append(
            "release",
            round_code="plant-r1",
            body={
                "slot": "plant-20261210-0930",
                "entry": "A2B3C4D5E6",
                "persons": 2,
                "reason": "declined",
                "waitlist_open": True,
                "promotions": [{"entry": "Z9Y8X7W6V5", "persons": 2}],
            },
            now=NOW,
        )


@pytest.mark.parametrize("language", ["zh-hans", "en"])
@pytest.mark.parametrize("url", ["/transparency/", "/fairness/"])
def test_the_pages_render_in_both_languages_for_phones_without_other_hosts(
    client, db, url, language
):
    _log_a_round()
    client.cookies["django_language"] = language
    response = client.get(url)
    html = response.content.decode()
    assert response.status_code == 200
    assert not EXTERNAL.search(html)
    assert 'name="viewport"' in html
    assert f'<html lang="{"zh-CN" if language == "zh-hans" else "en"}">' in html


def test_the_log_page_tells_each_entry_in_words_and_links_the_json_and_key(client, db):
    _log_a_round()
    html = client.get("/transparency/").content.decode()
    assert "/transparency/log.json" in html and "/.well-known/tourdraw-log-key.json" in html
    assert "plant-r1" in html
    assert "2026-12-01 08:00:00 UTC" in html
    assert "Entry A2B3C4D5E6 freed 2 places in plant-20261210-0930 (declined)." in html
    assert "Promoted from the waitlist: Z9Y8X7W6V5 (2)." in html


def test_the_chinese_log_page_is_in_chinese(client, db):
    _log_a_round()
    client.cookies["django_language"] = "zh-hans"
    html = client.get("/transparency/").content.decode()
    assert "公开日志" in html and "候补递补：Z9Y8X7W6V5 (2)。" in html


def test_the_fairness_page_links_the_spec_served_by_the_site(client, db):
    html = client.get("/fairness/").content.decode()
    assert "tourdraw verify" in html and "tourdraw audit" in html
    assert 'href="/fairness/spec/draw.md"' in html
    served = client.get("/fairness/spec/draw.md")
    assert served.status_code == 200
    assert served.content == (SPEC / "draw.md").read_bytes()


@pytest.mark.parametrize("name", ["../../pyproject.toml", "settings.py", "draw.md.bak"])
def test_only_the_spec_files_are_served(client, db, name):
    assert client.get(f"/fairness/spec/{name}").status_code == 404
