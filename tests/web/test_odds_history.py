"""Odds before choosing: each slot's persons per place on the round page, the
share the tour's earlier draws placed, and a site's history of drawn rounds as
a table and a chart."""

import re
from dataclasses import dataclass
from datetime import time, timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tests import support
from tourdraw.catalog.models import Site, Slot, Tour
from tourdraw.catalog.services import generate_slots
from tourdraw.groups import services as group_services
from tourdraw.lottery import rounds
from tourdraw.lottery.models import Draw, Round
from tourdraw.reports import stats


@dataclass
class Tours:
    """A site whose tour has two drawn rounds and one open for entries."""

    site: Site
    tour: Tour
    first: Round  # 3 parties of 2 for 3 places: 1 placed
    second: Round  # 2 parties of 1 for 10 places: both placed
    open: Round  # 4 places in each of two slots


def _slot(tour: Tour, days_ahead: int, capacity: int) -> Slot:
    day = timezone.localdate() + timedelta(days=days_ahead)
    return generate_slots(
        tour, first_day=day, last_day=day, times=[time(9, 30)], capacity=capacity
    )[0]


def _drawn(tour: Tour, code: str, *, capacity: int, parties: list[int], first: int) -> Round:
    slot = _slot(tour, 10 + first, capacity)
    round = support.make_round(tour, code=code, slots=[slot])
    for n, party in enumerate(parties):
        support.make_party_entry(round, first + n, party, [slot.pk])
    rounds.close_round(round, now=timezone.now())
    support.draw_with_beacon(round)
    round.refresh_from_db()
    return round


@pytest.fixture
def tours(db: None) -> Tours:
    site = support.make_site()
    tour = support.make_tour(site)
    first = _drawn(tour, "past-1", capacity=3, parties=[2, 2, 2], first=100)
    second = _drawn(tour, "past-2", capacity=10, parties=[1, 1], first=200)
    open_slots = [_slot(tour, 40, 4), _slot(tour, 41, 4)]
    open_round = support.make_round(tour, code="now-open", slots=open_slots)
    support.make_party_entry(open_round, 300, 2, [open_slots[0].pk, open_slots[1].pk])
    support.make_party_entry(open_round, 301, 3, [open_slots[0].pk])
    support.make_party_entry(open_round, 302, 1, [open_slots[0].pk])
    return Tours(site, tour, first, second, open_round)


def test_each_slot_has_its_persons_per_place(tours: Tours) -> None:
    slots = list(tours.open.slots.order_by("starts_at"))
    odds = stats.slot_odds(tours.open, slots)
    assert [(o.demand.persons, o.places.lottery, o.persons_per_place) for o in odds] == [
        (6, 4, 1.5),
        (2, 4, 0.5),
    ]


def test_a_slot_kept_whole_for_a_group_has_no_ratio(db: None) -> None:
    tour = support.make_tour()
    slot = _slot(tour, 10, 2)
    round = support.make_round(tour, slots=[slot])
    group_services.approve_visit(support.request_group(tour.site, 2), slot=slot, actor=None)
    odds = stats.slot_odds(round, [slot])
    assert [(o.places.lottery, o.persons_per_place) for o in odds] == [(0, None)]


def test_the_past_share_counts_the_tours_earlier_draws_only(tours: Tours) -> None:
    share = stats.past_share(tours.open)
    assert share is not None
    assert (share.rounds, share.entries, share.placed, share.percent) == (2, 5, 3, 60)
    before_second = stats.past_share(tours.second)
    assert before_second is not None
    assert (before_second.rounds, before_second.entries, before_second.placed) == (1, 3, 1)
    assert stats.past_share(tours.first) is None


def test_rounds_drawn_at_one_moment_count_in_the_order_they_were_made(tours: Tours) -> None:
    moment = tours.second.drawn_at
    with support.past_the_database_guards():
        Round.objects.filter(pk=tours.first.pk).update(drawn_at=moment)
        Draw.objects.filter(round=tours.first).update(drawn_at=moment)
    tours.first.refresh_from_db()
    before_second = stats.past_share(tours.second)
    assert before_second is not None and before_second.rounds == 1
    assert stats.past_share(tours.first) is None


def test_the_round_page_shows_the_odds_and_the_earlier_draws(client: Client, tours: Tours) -> None:
    html = client.get(reverse("web:round", args=[tours.open.code])).content.decode()
    assert re.search(r'<td class="num"[^>]*>1\.5</td>', html)
    assert re.search(r'<td class="num"[^>]*>0\.5</td>', html)
    assert "In the 2 earlier draws of this tour, 3 of 5 entries were placed (60%)." in html
    assert reverse("web:history", args=[tours.site.code]) in html


def test_a_tour_without_draws_shows_no_earlier_share(client: Client, round: Round) -> None:
    html = client.get(reverse("web:round", args=[round.code])).content.decode()
    assert "Persons per place" in html and "earlier draw" not in html


def test_the_round_page_reads_in_chinese(client: Client, tours: Tours) -> None:
    html = client.get(
        reverse("web:round", args=[tours.open.code]), HTTP_ACCEPT_LANGUAGE="zh-hans"
    ).content.decode()
    assert "每个名额人数" in html
    assert "本参观项目之前的 2 次抽签中，5 份报名有 3 份抽中（60%）。" in html


def test_the_history_counts_every_drawn_round(tours: Tours) -> None:
    past = stats.past_rounds(tours.site)
    assert [
        (row.round.code, row.entries, row.persons, row.places, row.placed, row.percent)
        for row in past
    ] == [("past-2", 2, 2, 10, 2, 100), ("past-1", 3, 6, 3, 1, 33)]


def _history(client: Client, site: Site, headers: dict[str, str] | None = None) -> str:
    response = client.get(reverse("web:history", args=[site.code]), headers=headers)
    assert response.status_code == 200
    return response.content.decode()


def test_the_history_page_lists_past_rounds_only_as_a_table_and_a_chart(
    client: Client, tours: Tours
) -> None:
    elsewhere = support.make_tour(support.make_site("other-site"), code="other-tour")
    _drawn(elsewhere, "other-past", capacity=5, parties=[1], first=400)
    support.make_round(tours.tour, code="not-yet", slots=[_slot(tours.tour, 50, 5)])
    html = _history(client, tours.site)
    rows = re.findall(r"<tr><td[^>]*>(?:<span>)?<a href=\"/rounds/([\w-]+)/results/\">", html)
    assert rows == ["past-2", "past-1"]
    cells = re.findall(r'<td class="num"[^>]*>([^<]*)</td>', html)
    assert cells == ["2", "2", "10", "2", "100%", "3", "6", "3", "1", "33%"]
    svg = html[html.index("<svg") : html.index("</svg>")]
    assert 'role="img"' in svg and "<title id=" in svg
    assert 'aria-labelledby="history-chart-title history-chart-numbers"' in svg
    assert "1 of 3 entries placed (33%)" in svg and "2 of 2 entries placed (100%)" in svg
    assert svg.count('class="chart-bar"') == 2
    assert 'width="250"' in svg and 'width="83"' in svg  # 100 % and a third
    assert "style=" not in html and "<script" not in svg


def test_the_history_page_reads_in_chinese(client: Client, tours: Tours) -> None:
    html = _history(client, tours.site, {"Accept-Language": "zh-hans"})
    assert "往期轮次" in html and "3 份报名中 1 份抽中（33%）" in html
    assert "Past rounds" not in html and "entries placed" not in html


def test_a_site_without_draws_says_so(client: Client, round: Round) -> None:
    html = _history(client, round.tour.site)
    assert "No round at this site has been drawn yet." in html and "<svg" not in html


def test_the_history_page_reads_the_same_number_of_queries_for_more_rounds(
    client: Client, tours: Tours
) -> None:
    _history(client, tours.site)  # warm: the session, the site's caches
    with CaptureQueriesContext(connection) as two:
        _history(client, tours.site)
    _drawn(tours.tour, "past-3", capacity=4, parties=[1, 2], first=500)
    with CaptureQueriesContext(connection) as three:
        html = _history(client, tours.site)
    assert "past-3" in html
    assert len(three) == len(two) <= 4
