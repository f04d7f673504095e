"""Every place given up is in the public log with the promotions it caused, and
replaying those releases by spec section 5 gives exactly the promotions made."""

import json
from datetime import timedelta
from typing import Any, cast

from django.db import transaction
from django.utils import timezone

from tests import support
from tests.support import drawn_round
from tourdraw.lottery import draw, rounds
from tourdraw.lottery.models import DrawOutcome
from tourdraw.transparency import log
from tourdraw.transparency.models import LogRecord
from tourdraw.visits import capacity, offers, tickets
from tourdraw.visits.cancellation import cancel_slot
from tourdraw.visits.models import Offer


def _offer(entry):
    return Offer.objects.get(entry=entry)


def _releases() -> list[dict]:
    return [json.loads(r.body) for r in LogRecord.objects.filter(kind="release").order_by("seq")]


def _publish_draw(round) -> None:
    """The draw in the log, after its statements and beacon, as drawing a
    tourdraw-draw/2 round leaves it (their bodies are not what is tested here)."""
    with transaction.atomic():
        for kind in ("opening", "closing", "beacon", "draw"):
            log.append(kind, round_code=round.code, body={}, now=timezone.now())


def _replay(round, slot, releases: list[dict]) -> None:
    """Spec section 5 as a verifier reads it: from the draw's placements and
    order, and the slot's capacity in the closing statement, nothing else."""
    outcomes = DrawOutcome.objects.filter(round=round).select_related("entry").order_by("position")
    order = [(o.entry.code, o.entry.party_size, [slot.code]) for o in outcomes]
    party = {code: size for code, size, _ in order}
    placed = {o.entry.code for o in outcomes if o.slot_id == slot.pk}
    waitlist = draw.Waitlist(order)
    seats = slot.capacity - capacity.reserved_for_groups(slot)
    holders, offered_before = set(placed), set[str]()
    for release in releases:
        assert release["slot"] == slot.code
        assert release["entry"] in holders, release
        assert release["persons"] == party[release["entry"]]
        holders.remove(release["entry"])
        free = seats - sum(party[code] for code in holders)
        got = [p["entry"] for p in release["promotions"]]
        if not release["waitlist_open"]:
            assert got == []
            continue
        assert got == waitlist.next_promotions(slot.code, free, placed, offered_before)
        assert [p["persons"] for p in release["promotions"]] == [party[c] for c in got]
        holders.update(got)
        offered_before.update(got)


def test_replaying_the_logged_releases_gives_the_promotions_made(db):
    round, slot, entries = drawn_round(4, [2, 2], [3, 2, 1])
    _publish_draw(round)
    placed_a, placed_b, big, two, one = entries
    offers.decline_offer(_offer(placed_a), actor=None)
    ticket = offers.confirm_offer(_offer(placed_b), actor=None, accepted_rules=True, via="online")
    tickets.cancel_ticket(ticket, actor=None)
    # Two days on, both promoted offers lapse; the first frees room for the big party.
    offers.expire_due_offers(timezone.now() + timedelta(days=3))
    cancel_slot(slot, reason="Line maintenance", actor=None, now=timezone.now() + timedelta(days=3))

    releases = _releases()
    assert [(r["entry"], r["reason"]) for r in releases] == [
        (placed_a.code, "declined"),
        (placed_b.code, "cancelled"),
        (two.code, "expired"),
        (one.code, "expired"),
        (big.code, "slot_cancelled"),
    ]
    assert [[p["entry"] for p in r["promotions"]] for r in releases] == [
        [two.code],
        [one.code],
        [big.code],
        [],
        [],
    ]
    assert {r.round_code for r in LogRecord.objects.filter(kind="release")} == {round.code}
    _replay(round, slot, releases)


def test_after_the_promotion_cutoff_a_release_says_the_waitlist_is_closed(db, settings):
    round, slot, entries = drawn_round(2, [2], [2])
    # Only now: a round closed inside the cut-off would have been refused.
    settings.TOURDRAW_PROMOTION_CUTOFF = timedelta(days=30)
    _publish_draw(round)
    offers.decline_offer(_offer(entries[0]), actor=None)

    (release,) = _releases()
    assert release["waitlist_open"] is False and release["promotions"] == []
    assert not Offer.objects.filter(entry=entries[1]).exists()
    _replay(round, slot, [release])


def test_a_round_whose_draw_is_not_in_the_log_gets_no_release_after_it(db):
    # Drawn before tourdraw-draw/2: a release would come before any draw of its
    # round in the log, which spec section 7.3 forbids.
    _, _, entries = drawn_round(2, [2], [2])
    offers.decline_offer(_offer(entries[0]), actor=None)
    assert Offer.objects.filter(entry=entries[1], source="waitlist").exists()
    assert _releases() == []


def _replay_record(record: dict[str, Any], releases: list[dict[str, Any]]) -> None:
    """Spec section 5.2 from a tourdraw-draw/2 record alone: its closing
    statement's capacities, its placements and its order."""
    party = {e["code"]: e["party"] for e in record["entries"]}
    seats = {s["code"]: s["capacity"] for s in record["closing"]["slots"]}
    holding = {p["entry"]: p["slot"] for p in record["placements"]}
    offered = set(holding)
    # A tourdraw-draw/2 record: the spec's record and its statements beside it.
    waitlist = draw.Waitlist.from_record(cast(draw.Record, record))
    for release in releases:
        slot, code = release["slot"], release["entry"]
        assert holding.pop(code) == slot
        assert release["persons"] == party[code]
        free = seats[slot] - sum(party[c] for c, s in holding.items() if s == slot)
        chosen: list[str] = []
        if release["waitlist_open"]:
            chosen = waitlist.next_promotions(slot, free, set(holding), offered)
        assert release["promotions"] == [{"entry": c, "persons": party[c]} for c in chosen]
        holding.update(dict.fromkeys(chosen, slot))
        offered.update(chosen)


def test_releases_after_a_real_draw_replay_from_its_published_record(db):
    tour = support.make_tour()
    slot = support.make_slots(tour, timezone.localdate() + timedelta(days=10), capacity=5)[0]
    round = support.make_round(tour, slots=[slot])
    entries = [support.make_party_entry(round, 500 + n, 1 + n % 3, [slot.pk]) for n in range(8)]
    rounds.close_round(round, now=timezone.now())
    record = json.loads(support.draw_with_beacon(round).record)
    later = support.beacon_moment(round) + timedelta(hours=1)

    placed = [p["entry"] for p in record["placements"]]
    by_code = {e.code: e for e in entries}
    for code in placed:
        offers.decline_offer(_offer(by_code[code]), actor=None, now=later)

    kinds = list(
        LogRecord.objects.filter(round_code=round.code)
        .order_by("seq")
        .values_list("kind", flat=True)
    )
    assert kinds == ["opening", "closing", "beacon", "draw"] + ["release"] * len(kinds[4:])
    releases = _releases()
    assert [r["entry"] for r in releases[: len(placed)]] == placed
    assert any(r["promotions"] for r in releases)
    _replay_record(record, releases)
