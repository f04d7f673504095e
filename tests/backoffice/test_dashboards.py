"""Dashboards: every number labelled with its unit, and charts drawn on the
server as SVG that states its numbers to a screen reader."""

import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import dates, timezone

from tests import support
from tourdraw.people.models import User
from tourdraw.visits import gate
from tourdraw.visits.models import Offer
from tourdraw.visits.offers import confirm_offer

pytestmark = pytest.mark.django_db


@pytest.fixture
def visited() -> dict[str, Any]:
    """A drawn round: three entries, two placed, one confirmed and checked in
    with its party of two."""
    round, slot, entries = support.drawn_round(10, [2, 2], [2])
    ticket = confirm_offer(
        Offer.objects.get(entry=entries[0]), actor=None, accepted_rules=True, via="online"
    )
    site = slot.tour.site
    site.arrival_opens_minutes = 60 * 24 * 15
    site.save()
    slot.refresh_from_db()
    members = [m.pk for m in ticket.offer.entry.members.all()]
    gate.check_in(ticket, members, slot=slot, gate="East", staff=None)
    return {"round": round, "site": site}


def _admin(client: Client) -> User:
    user = support.make_staff("admin", "platform_admin", None)
    support.sign_in_staff(client, user)
    return user


def _svgs(html: str) -> list[str]:
    return re.findall(r"<svg .*?</svg>", html, flags=re.S)


def test_a_rounds_funnel_is_an_svg_stating_each_step_with_its_unit(
    client: Client, visited: dict[str, Any]
) -> None:
    _admin(client)
    html = client.get(reverse("backoffice:dashboards")).content.decode()
    code = visited["round"].code
    funnel = next(svg for svg in _svgs(html) if f"Round {code} from entry to gate" in svg)
    assert 'role="img"' in funnel
    numbers = "Entries: 3 parties, Placed: 2 parties, Confirmed: 1 party, Checked in: 1 party"
    assert f'aria-label="Round {code} from entry to gate. {numbers}"' in funnel
    assert f"<title>Round {code} from entry to gate. {numbers}</title>" in funnel
    for label, value in (
        ("Entries", "3 parties"),
        ("Placed", "2 parties"),
        ("Checked in", "1 party"),
    ):
        assert f">{label}</text>" in funnel
        assert f">{value}</text>" in funnel
    # The same numbers in the table beside it.
    row = re.search(rf"<tr><th scope=\"row\"><a [^>]*>{code}</a></th>(.*?)</tr>", html)
    assert row is not None
    assert re.findall(r'<td class="num">([^<]*)</td>', row.group(1))[:4] == ["3", "2", "1", "1"]


def test_visitors_per_month_are_labelled_bars_and_a_table(
    client: Client, visited: dict[str, Any]
) -> None:
    _admin(client)
    html = client.get(reverse("backoffice:dashboards")).content.decode()
    month = timezone.localdate().month
    name = str(dates.MONTHS_3[month]).capitalize()
    year = timezone.localdate().year
    chart = next(svg for svg in _svgs(html) if f"Visitors per month in {year}." in svg)
    assert f"{name}: 2 visitors" in chart
    assert re.search(r'<text class="value" [^>]*>2</text>', chart)
    assert f"<title>{name}: 2 visitors</title>" in chart
    site_row = re.search(r'<tr><th scope="row">Xiaomi EV Factory</th>(.*?)</tr>', html)
    assert site_row is not None
    cells = re.findall(r'<td class="num">([^<]*)</td>', site_row.group(1))
    assert cells[month - 1] == "2" and cells[-1] == "2"


def test_a_platform_admin_sees_the_progress_to_the_citys_yearly_target(
    client: Client, visited: dict[str, Any], settings: Any
) -> None:
    settings.TOURDRAW_CITY_VISITS_TARGET = 8
    _admin(client)
    html = client.get(reverse("backoffice:dashboards")).content.decode()
    text = "2 of the city&#x27;s target of 8 visits (25.0%)"
    progress = next(svg for svg in _svgs(html) if "Progress to the city" in svg)
    assert text in progress
    assert (
        f'aria-label="Progress to the city&#x27;s target for {timezone.localdate().year}: {text}"'
        in progress
    )
    # A quarter of the 400-point track is filled.
    assert 'class="bar done" x="10" y="8" width="100"' in progress
    assert '<td class="num">2</td><td class="num">8</td><td class="num">25.0%</td>' in html


def test_the_target_defaults_to_twenty_million_visits(
    client: Client, visited: dict[str, Any]
) -> None:
    _admin(client)
    html = client.get(reverse("backoffice:dashboards")).content.decode()
    assert "2 of the city&#x27;s target of 20,000,000 visits (0.0%)" in html


def test_a_site_operator_sees_no_city_wide_progress(
    client: Client, visited: dict[str, Any]
) -> None:
    support.sign_in_staff(client, support.make_staff("op", "site_operator", visited["site"]))
    html = client.get(reverse("backoffice:dashboards")).content.decode()
    assert "Progress to the city" not in html
    assert "2 visitors passed a gate this year." in html
