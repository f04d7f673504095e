"""Every list page reads a fixed number of queries, however many rows it shows.

Each page is rendered with N rows and again with 3N rows; the second may not
read more. A page that read its rows' offers, summaries or free places one row
at a time failed here (issue 16, item 4).
"""

import itertools
from collections.abc import Callable
from datetime import date, time, timedelta
from typing import TypeVar

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tests import support
from tourdraw.api.models import ApiToken
from tourdraw.audit.services import log_action
from tourdraw.catalog.models import Site, Slot, Tour
from tourdraw.catalog.services import generate_slots
from tourdraw.groups.models import GroupVisit
from tourdraw.lottery import entries, rounds
from tourdraw.lottery.models import Entry, Round
from tourdraw.people.models import User, Visitor
from tourdraw.visits.models import Offer
from tourdraw.visits.offers import confirm_offer

pytestmark = pytest.mark.django_db

N = 2
T = TypeVar("T")
API = "/api/v1"

# Fresh phone numbers, ID numbers and codes for every object a test makes.
_numbers = itertools.count(1)

# Builds the page's rows up to the number asked for; gives the page's address
# and a text each row shows, to check the rows are on the page.
Page = Callable[[int], tuple[str, list[str]]]


def assert_queries_do_not_grow(client: Client, page: Page, *, token: str = "") -> None:
    """The page with ``N`` rows and with ``3N`` rows reads as many queries.

    Each count is of a second request, so that what the first one cached (the
    translations, the public demand) counts the same both times. ``token``: an
    API token to send."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    counts = []
    for rows in (N, 3 * N):
        url, shown = page(rows)
        client.get(url, headers=headers)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url, headers=headers)
        assert response.status_code == 200, (url, response.content[:500])
        body = response.content.decode()
        assert len(shown) >= rows
        missing = [text for text in shown if text not in body]
        assert not missing, (url, missing)
        counts.append(len(queries))
    assert counts[1] == counts[0], (
        f"{counts[0]} queries with {N} rows, {counts[1]} with {3 * N}",
        [query["sql"] for query in queries.captured_queries],
    )


def _up_to(made: list[T], rows: int, make: Callable[[], T]) -> list[T]:
    """``made``, with more made until it holds ``rows``."""
    while len(made) < rows:
        made.append(make())
    return made


def _tour(site: Site) -> Tour:
    return support.make_tour(site, code=f"tour-{next(_numbers)}")


def _slots(tour: Tour, count: int, *, days_ahead: int = 10) -> list[Slot]:
    """``count`` sessions of the tour, one a day from ``days_ahead`` days on."""
    first = timezone.localdate() + timedelta(days=days_ahead)
    return generate_slots(
        tour,
        first_day=first,
        last_day=first + timedelta(days=count - 1),
        times=[time(9, 30)],
        capacity=60,
    )


def _round(tour: Tour, slots: int = 1) -> Round:
    return support.make_round(tour, code=f"round-{next(_numbers)}", slots=_slots(tour, slots))


def _group(site: Site) -> GroupVisit:
    return support.request_group(site, organisation=f"Group {next(_numbers)}")


def _visitor() -> Visitor:
    number = next(_numbers)
    return support.make_visitor(
        f"+86136{number:08d}",
        name=f"访客{number}",
        sequence=number % 1000,
        birth_date=date(1980, 1, 1) + timedelta(days=number),
    )


def _drawn(round: Round, visitors: list[Visitor], placed: int) -> list[Entry]:
    """The round entered by ``visitors`` and drawn in that order: the first
    ``placed`` hold pending offers, the others wait."""
    slot = round.slots.get()
    made = [entries.enter_round(round, v, choices=[slot.pk]) for v in visitors]
    rounds.close_round(round, now=timezone.now())
    support.settle_draw(round, slot, made, placed=placed)
    return made


def _operator(client: Client, site: Site) -> User:
    user = support.make_staff(f"operator-{next(_numbers)}", "site_operator", site)
    support.sign_in_staff(client, user)
    return user


@pytest.fixture
def site(client: Client) -> Site:
    """The site of the back-office tests, its operator signed in on ``client``."""
    made = support.make_site()
    _operator(client, made)
    return made


# The visitor's pages.


def test_the_home_page_lists_rounds_in_fixed_queries(client: Client) -> None:
    made: list[Round] = []

    def page(rows: int) -> tuple[str, list[str]]:
        while len(made) < rows:
            site = support.make_site(f"site-{next(_numbers)}", name_en=f"Site {len(made)}")
            made.append(_round(_tour(site)))
        return reverse("web:home"), [f"/rounds/{r.code}/" for r in made]

    assert_queries_do_not_grow(client, page)


def test_a_site_page_lists_its_tours_rounds_in_fixed_queries(client: Client) -> None:
    site = support.make_site()
    made: list[Round] = []

    def page(rows: int) -> tuple[str, list[str]]:
        _up_to(made, rows, lambda: _round(_tour(site)))
        return reverse("web:site", args=[site.code]), [f"/rounds/{r.code}/" for r in made]

    assert_queries_do_not_grow(client, page)


def test_a_round_page_lists_its_slots_in_fixed_queries(client: Client) -> None:
    def page(rows: int) -> tuple[str, list[str]]:
        round = _round(_tour(support.make_site()), slots=rows)
        labels = [slot.label for slot in round.slots.select_related("tour__site")]
        return reverse("web:round", args=[round.code]), labels

    assert_queries_do_not_grow(client, page)


def test_my_entries_lists_offers_tickets_and_waitlist_places_in_fixed_queries(
    client: Client,
) -> None:
    visitor = _visitor()
    site = support.make_site()
    made: list[Entry] = []

    def page(rows: int) -> tuple[str, list[str]]:
        while len(made) < rows:
            placed = len(made) % 3 != 1
            entry = _drawn(_round(_tour(site)), [visitor], placed=int(placed))[0]
            if len(made) % 3 == 2:
                offer = Offer.objects.get(entry=entry)
                confirm_offer(offer, actor=visitor.user, accepted_rules=True, via=Offer.Via.ONLINE)
            made.append(entry)
        return reverse("web:my_entries"), [entry.code for entry in made]

    client.force_login(visitor.user)
    assert_queries_do_not_grow(client, page)
    body = client.get(reverse("web:my_entries")).content.decode()
    assert "state-offer" in body and "state-ticket" in body and "state-waitlist" in body


def test_the_public_log_lists_rounds_in_fixed_queries(client: Client) -> None:
    site = support.make_site()
    made: list[Round] = []

    def page(rows: int) -> tuple[str, list[str]]:
        _up_to(made, rows, lambda: _round(_tour(site)))
        return reverse("transparency:log"), [r.code for r in made]

    assert_queries_do_not_grow(client, page)


def test_the_results_page_lists_slots_in_fixed_queries(client: Client) -> None:
    def page(rows: int) -> tuple[str, list[str]]:
        round = _round(_tour(support.make_site()), slots=rows)
        entries.enter_round(round, _visitor(), choices=[round.slots.all()[0].pk])
        rounds.close_round(round, now=timezone.now())
        support.draw_with_beacon(round)
        labels = [slot.label for slot in round.slots.select_related("tour__site")]
        return reverse("web:results", args=[round.code]), labels

    assert_queries_do_not_grow(client, page)


# The back office.


def _round_list(client: Client, name: str) -> None:
    site = support.make_site()
    _operator(client, site)
    made: list[Round] = []

    def page(rows: int) -> tuple[str, list[str]]:
        _up_to(made, rows, lambda: _round(_tour(site)))
        return reverse(name), [f"/rounds/{r.pk}/" for r in made]

    assert_queries_do_not_grow(client, page)


def test_the_back_office_round_list_reads_fixed_queries(client: Client) -> None:
    _round_list(client, "backoffice:index")


def test_the_dashboards_sum_up_rounds_in_fixed_queries(client: Client) -> None:
    _round_list(client, "backoffice:dashboards")


def test_a_back_office_round_page_lists_its_slots_in_fixed_queries(
    client: Client, site: Site
) -> None:

    def page(rows: int) -> tuple[str, list[str]]:
        tour = _tour(site)
        round = _round(tour, slots=rows)
        spare = _slots(tour, rows, days_ahead=40)
        labels = [slot.label for slot in [*round.slots.select_related("tour__site"), *spare]]
        return reverse("backoffice:round", args=[round.pk]), labels

    assert_queries_do_not_grow(client, page)


def test_the_call_centre_lists_offers_in_fixed_queries(client: Client, site: Site) -> None:
    made: list[Entry] = []

    def page(rows: int) -> tuple[str, list[str]]:
        if len(made) < rows:
            visitors = [_visitor() for _ in range(rows - len(made))]
            made.extend(_drawn(_round(_tour(site)), visitors, placed=len(visitors)))
        return reverse("backoffice:call_centre"), [entry.code for entry in made]

    assert_queries_do_not_grow(client, page)


def test_slot_planning_lists_sessions_in_fixed_queries(client: Client, site: Site) -> None:
    tour = _tour(site)
    today = timezone.localdate()
    monday = today + timedelta(days=14 - today.weekday())
    week = f"{monday.isocalendar().year}-W{monday.isocalendar().week:02d}"

    def page(rows: int) -> tuple[str, list[str]]:
        made = generate_slots(
            tour,
            first_day=monday,
            last_day=monday + timedelta(days=rows - 1),
            times=[time(9, 30)],
            capacity=60,
        )
        url = f"{reverse('backoffice:planning')}?week={week}"
        return url, [f'name="slot" value="{slot.pk}"' for slot in made]

    assert_queries_do_not_grow(client, page)


def test_the_gate_lists_todays_sessions_in_fixed_queries(client: Client, site: Site) -> None:
    made_today: list[Slot] = []

    def gate(rows: int) -> tuple[str, list[str]]:
        _up_to(made_today, rows, lambda: _slots(_tour(site), 1, days_ahead=0)[0])
        return reverse("backoffice:gate_slots"), [f"/gate/{s.pk}/" for s in made_today]

    assert_queries_do_not_grow(client, gate)


def test_group_lists_and_a_group_page_read_fixed_queries(client: Client, site: Site) -> None:
    made: list[GroupVisit] = []

    def groups(rows: int) -> tuple[str, list[str]]:
        _up_to(made, rows, lambda: _group(site))
        return reverse("backoffice:groups"), [f"/groups/{g.pk}/" for g in made]

    assert_queries_do_not_grow(client, groups)

    def group_page(rows: int) -> tuple[str, list[str]]:
        # Each session's free places: the group's options, one a slot.
        slots = _slots(_tour(site), rows, days_ahead=60 + rows)
        group = support.request_group(site)
        return reverse("backoffice:group", args=[group.pk]), [f'value="{s.pk}"' for s in slots]

    assert_queries_do_not_grow(client, group_page)


def test_the_audit_log_lists_entries_in_fixed_queries(client: Client) -> None:
    site = support.make_site()
    staff = _operator(client, site)
    round = _round(_tour(site))
    made: list[str] = []

    def page(rows: int) -> tuple[str, list[str]]:
        while len(made) < rows:
            action = f"tourdraw.test.row{next(_numbers)}"
            log_action(action, round, actor=staff)
            made.append(action)
        return f"{reverse('backoffice:audit')}?action=tourdraw.test", made

    assert_queries_do_not_grow(client, page)


# The API's lists.


def test_the_public_api_lists_read_fixed_queries(client: Client) -> None:
    site = support.make_site()
    sites: list[Site] = []
    tours: list[Tour] = []
    slots: list[Slot] = []
    made: list[Round] = []

    def site_list(rows: int) -> tuple[str, list[str]]:
        _up_to(sites, rows, lambda: support.make_site(f"site-{next(_numbers)}"))
        return f"{API}/sites", [f'"{s.code}"' for s in sites]

    def tour_list(rows: int) -> tuple[str, list[str]]:
        _up_to(tours, rows, lambda: _tour(site))
        return f"{API}/sites/{site.code}/tours", [f'"{t.code}"' for t in tours]

    def slot_list(rows: int) -> tuple[str, list[str]]:
        tour = _tour(site)
        slots.extend(_slots(tour, rows - len(slots)))
        return f"{API}/sites/{site.code}/slots", [f'"{s.code}"' for s in slots]

    def round_list(rows: int) -> tuple[str, list[str]]:
        _up_to(made, rows, lambda: _round(_tour(site)))
        return f"{API}/rounds", [f'"{r.code}"' for r in made]

    for page in (site_list, tour_list, slot_list, round_list):
        assert_queries_do_not_grow(client, page)


def test_the_api_entries_list_reads_fixed_queries(client: Client) -> None:
    visitor = _visitor()
    site = support.make_site()
    made: list[Entry] = []

    def page(rows: int) -> tuple[str, list[str]]:
        while len(made) < rows:
            placed = len(made) % 2
            made.append(_drawn(_round(_tour(site)), [visitor], placed=placed)[0])
        return f"{API}/me/entries", [f'"{entry.code}"' for entry in made]

    _, token = ApiToken.issue(visitor.user, "lists")
    assert_queries_do_not_grow(client, page, token=token)

    names: list[str] = []

    def tokens(rows: int) -> tuple[str, list[str]]:
        while len(names) < rows:
            names.append(f"app {next(_numbers)}")
            ApiToken.issue(visitor.user, names[-1])
        return f"{API}/me/tokens", [f'"{name}"' for name in names]

    assert_queries_do_not_grow(client, tokens, token=token)


def test_the_operator_api_lists_read_fixed_queries(client: Client) -> None:
    site = support.make_site()
    staff = support.make_staff(f"operator-{next(_numbers)}", "site_operator", site)
    _, token = ApiToken.issue(staff, "lists")
    offered: list[Entry] = []
    groups: list[GroupVisit] = []

    def calls(rows: int) -> tuple[str, list[str]]:
        if len(offered) < rows:
            visitors = [_visitor() for _ in range(rows - len(offered))]
            offered.extend(_drawn(_round(_tour(site)), visitors, placed=len(visitors)))
        return f"{API}/operator/calls", [f'"{e.code}"' for e in offered]

    def group_list(rows: int) -> tuple[str, list[str]]:
        _up_to(groups, rows, lambda: _group(site))
        return f"{API}/operator/groups", [f'"{g.code}"' for g in groups]

    assert_queries_do_not_grow(client, calls, token=token)
    assert_queries_do_not_grow(client, group_list, token=token)
