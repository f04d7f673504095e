import json
import os
import re
import stat
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.http import HttpRequest, HttpResponse
from django.test import Client
from django.urls import path, reverse
from django.utils import timezone

from tests.support import beacon_moment, present, sign_in_staff
from tourdraw import urls as project_urls
from tourdraw.backoffice import demo_data
from tourdraw.backoffice.management.commands.demo import served_at
from tourdraw.catalog.models import Site
from tourdraw.cli import demo_environment
from tourdraw.lottery import beacon, draw, drawing, testchain
from tourdraw.lottery.models import Entry, Round
from tourdraw.notify.models import OutboxMessage
from tourdraw.people.models import User
from tourdraw.transparency.models import LogRecord
from tourdraw.visits.models import Ticket


def test_the_demo_command_sets_up_the_real_case(db, capsys):
    call_command("demo", "--no-serve")
    out = capsys.readouterr().out
    assert "http://127.0.0.1:8000/" in out
    assert "user: operator  password:" in out
    assert set(Site.objects.values_list("code", flat=True)) == {
        "xiaomi-ev",
        "nio",
        "mengniu",
        "tsingtao",
    }
    xiaomi = Round.objects.filter(tour__site__code="xiaomi-ev")
    assert sorted(xiaomi.values_list("state", flat=True)) == ["drawn", "open", "open", "scheduled"]
    current = xiaomi.exclude(code__contains="express").get(state="open")
    assert current.slots.count() == 14 * 3
    assert set(current.slots.values_list("capacity", flat=True)) == {60}
    assert current.entries.filter(state=Entry.State.ACTIVE).count() == 300
    past = xiaomi.get(state="drawn")
    assert past.outcomes.filter(slot__isnull=True).count() > 100  # oversubscribed: a waitlist
    assert Ticket.objects.filter(offer__entry__round=past).count() > 50
    assert past.promotions.exists()
    # Drawn as tourdraw-draw/2 on the demo's local chain, its beacon fetched over HTTP.
    record = json.loads(past.draw.record)
    assert record["format"] == "tourdraw-draw/2"
    assert record["beacon"]["chain"]["name"] == "tourdraw-local"
    draw.verify(record)
    kinds = LogRecord.objects.filter(round_code=past.code).values_list("kind", flat=True)
    assert list(kinds.order_by("seq"))[:4] == ["opening", "closing", "beacon", "draw"]


def test_the_demo_pages_serve(client, db):
    call_command("demo", "--no-serve")
    assert client.get(reverse("web:home")).status_code == 200
    for round in Round.objects.all():
        assert client.get(reverse("web:round", args=[round.code])).status_code == 200


def test_drawing_the_demos_open_round_publishes_a_record_that_holds(db, capsys, settings):
    call_command("demo", "--no-serve")
    current = Round.objects.exclude(code__contains="express").get(
        tour__site__code="xiaomi-ev", state="open"
    )
    call_command("close", current.code)
    with pytest.raises(CommandError, match="beacon_waiting"):
        call_command("draw", current.code)
    # Once the beacon round is out, the demo's chain has signed it.
    chain = testchain.load_or_create(settings.DATA_DIR / "drand-local-chain.json")
    at = beacon_moment(current)
    beacon.accept(current, chain.beacon(present(current.beacon_round))["signature"], now=at)
    record = json.loads(drawing.draw_round(current, now=at).record)
    draw.verify(record)
    assert len(record["entries"]) == 300
    # 42 slots of 60 persons for about 700 persons: nearly every party fits.
    assert len(record["placements"]) > 250


def test_the_demo_fills_every_dashboard(client, db):
    from tourdraw.people.models import User
    from tourdraw.reports import stats

    call_command("demo", "--no-serve")
    past = Round.objects.get(tour__site__code="xiaomi-ev", state="drawn")
    summary = stats.round_summary(past)
    assert summary.persons > summary.capacity  # oversubscribed
    assert summary.offers["confirmed"] > 50 and summary.no_shows > 0
    assert sum(stats.visitors_by_month(None, timezone.localdate().year).values()) > 100
    current = Round.objects.exclude(code__contains="express").get(
        tour__site__code="xiaomi-ev", state="open"
    )
    # A study-tour company's places are out of one slot's lottery capacity.
    assert any(row.capacity < row.slot.capacity for row in stats.slot_demand(current))
    sign_in_staff(client, User.objects.get(username="operator"))
    html = client.get(reverse("backoffice:dashboards")).content.decode()
    assert "<rect" in html and "Xiaomi" in html
    assert client.get(reverse("backoffice:groups")).content.decode().count("state-") >= 3


def test_the_demos_messages_link_to_the_address_it_serves(db, settings, monkeypatch):
    # A demo served on another port must not send visitors to port 8000.
    monkeypatch.delenv("SITE_URL", raising=False)
    settings.SITE_URL = "http://127.0.0.1:8000"
    call_command("demo", "--no-serve", "--addr", "127.0.0.1:8147")
    bodies = list(
        OutboxMessage.objects.filter(body__contains="http://").values_list("body", flat=True)
    )
    assert bodies
    assert all("http://127.0.0.1:8147/" in body for body in bodies)
    assert settings.SITE_URL == "http://127.0.0.1:8000"  # restored for whatever runs next


def _printed_password(out: str) -> str:
    found = re.search(r"user: operator  password: (\S+)", out)
    assert found is not None
    return found.group(1)


def test_a_restart_keeps_the_operators_password_and_signs_no_one_out(
    client: Client, db: None, capsys: pytest.CaptureFixture[str], settings: Any, tmp_path: Path
) -> None:
    settings.DATA_DIR = tmp_path
    call_command("demo", "--no-serve")
    first = _printed_password(capsys.readouterr().out)
    operator = User.objects.get(username="operator")
    sign_in_staff(client, operator)
    assert client.get(reverse("backoffice:index")).status_code == 200
    call_command("demo", "--no-serve")
    out = capsys.readouterr().out
    assert _printed_password(out) == first
    assert str(tmp_path / "demo-operator.txt") in out
    assert User.objects.get(username="operator").check_password(first)
    assert client.get(reverse("backoffice:index")).status_code == 200  # still signed in
    kept = tmp_path / "demo-operator.txt"
    assert kept.read_text("utf-8").strip() == first
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600


def test_the_password_kept_is_set_again_on_an_account_that_lost_it(
    db: None, settings: Any, tmp_path: Path
) -> None:
    settings.DATA_DIR = tmp_path
    operator, password = demo_data.operator_account(tmp_path)
    operator.set_password("something else")
    operator.save()
    assert demo_data.operator_account(tmp_path) == (operator, password)
    assert User.objects.get(username="operator").check_password(password)


def test_links_are_built_from_the_address_served() -> None:
    assert served_at("127.0.0.1:8790") == "http://127.0.0.1:8790"
    assert served_at("8790") == "http://127.0.0.1:8790"
    assert served_at("[::1]:8790") == "http://[::1]:8790"


def test_the_demo_serves_without_debug_pages(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("TOURDRAW_DATA_DIR", str(tmp_path))  # where its keys are made
    monkeypatch.setenv("DEBUG", "unset by the test")
    monkeypatch.delenv("DEBUG")
    demo_environment()
    assert os.environ["DEBUG"] == "false"


@pytest.mark.parametrize(
    ("language", "heading"), [("zh-hans", "页面不存在"), ("en", "Page not found")]
)
def test_a_missing_page_is_the_sites_own_404(
    client: Client, db: None, language: str, heading: str
) -> None:
    response = client.get("/no-such-page/", HTTP_ACCEPT_LANGUAGE=language)
    html = response.content.decode()
    assert response.status_code == 404
    assert heading in html
    assert 'class="brand"' in html and reverse("web:home") in html
    assert "URLconf" not in html


def _broken_page(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("a bug")


urlpatterns = [path("broken/", _broken_page), *project_urls.urlpatterns]
handler500 = project_urls.handler500


@pytest.mark.parametrize(
    ("language", "heading"), [("zh-hans", "出错了"), ("en", "Something went wrong")]
)
def test_a_broken_page_is_the_sites_own_500(
    db: None, settings: Any, language: str, heading: str
) -> None:
    settings.ROOT_URLCONF = __name__
    client = Client(raise_request_exception=False)
    response = client.get("/broken/", HTTP_ACCEPT_LANGUAGE=language)
    html = response.content.decode()
    assert response.status_code == 500
    assert heading in html
    assert 'class="brand"' in html and "site.css" in html
    assert "a bug" not in html and "Traceback" not in html
