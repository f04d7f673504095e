"""Demand counts: live for the back office, at most a minute old on the public page."""

import re
from typing import Any

from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tests import support
from tourdraw.lottery import entries, rounds
from tourdraw.reports import stats


class _RecordingCache:
    """The real cache, noting how long each value is kept."""

    def __init__(self) -> None:
        self.timeouts: list[Any] = []

    def get(self, key: str) -> Any:
        return cache.get(key)

    def set(self, key: str, value: Any, timeout: Any) -> None:
        self.timeouts.append(timeout)
        cache.set(key, value, timeout)


def _three_entries(round):
    first, second, third = (slot.pk for slot in round.slots.order_by("starts_at")[:3])
    support.make_party_entry(round, 1, 3, [first, second])
    support.make_party_entry(round, 2, 2, [second])
    withdrawn = support.make_party_entry(round, 3, 1, [first, third])
    entries.withdraw_entry(withdrawn)
    return first, second, third


def test_counts_are_active_entries_and_their_persons_by_slot(round, db):
    first, second, third = _three_entries(round)
    demand = stats.public_demand(round)
    assert demand.total == stats.Demand(entries=2, persons=5)
    assert demand.by_slot == {first: stats.Demand(1, 3), second: stats.Demand(2, 5)}
    rows = {row.slot.pk: row for row in stats.slot_demand(round)}
    assert (rows[second].entries, rows[second].persons) == (2, 5)
    assert (rows[third].entries, rows[third].persons) == (0, 0)


def test_the_public_counts_are_kept_a_minute_while_open_and_an_hour_once_closed(
    round,
    db,
    monkeypatch,
):
    recording = _RecordingCache()
    monkeypatch.setattr(stats, "cache", recording)
    first, *_ = _three_entries(round)
    assert stats.public_demand(round).total.entries == 2
    support.make_party_entry(round, 4, 1, [first])
    with CaptureQueriesContext(connection) as queries:
        # The page may show a minute-old count; nothing is counted again.
        assert stats.public_demand(round).total.entries == 2
    assert not [q["sql"] for q in queries.captured_queries if "lottery_" in q["sql"]]
    # The back office counts now.
    assert {row.slot.pk: row.entries for row in stats.slot_demand(round)}[first] == 2
    assert recording.timeouts == [stats.PUBLIC_DEMAND_TTL]

    cache.clear()
    rounds.close_round(round, now=timezone.now())
    assert stats.public_demand(round).total.entries == 3
    assert recording.timeouts[-1] == stats.SETTLED_DEMAND_TTL


def test_the_round_page_shows_the_counts(client, round, db):
    _three_entries(round)
    client.cookies["django_language"] = "en"
    html = client.get(reverse("web:round", args=[round.code])).content.decode()
    assert "2 · 5 persons" in html
    assert re.search(r'<td class="num"[^>]*>5</td>', html)
    assert "updated every minute" in html
