"""Promotions in different slots of one round, at the same time, on PostgreSQL.

A waiting entry may list several slots, so releases in two slots can both want
it. Four places in three slots are given up at once, each by another path (a
decline, a ticket cancelled, a decline on the phone, the worker's expiry
pass). With the locks every path succeeds and four different entries
are promoted; the control run, with the locks off, picks one entry twice.
"""

import threading
from datetime import time as clock
from datetime import timedelta

import pytest
from django.db import IntegrityError, connections
from django.utils import timezone

from tests import support
from tests.concurrency import Rendezvous
from tourdraw.catalog.services import generate_slots
from tourdraw.errors import DomainError
from tourdraw.lottery import draw, rounds
from tourdraw.lottery.models import DrawOutcome, Round
from tourdraw.visits import calls, tickets
from tourdraw.visits.models import CallAttempt, Offer
from tourdraw.visits.offers import confirm_offer, decline_offer, expire_due_offers

pytestmark = pytest.mark.postgres


def _drawn_round_of_three_slots():
    """Slots of two, one and one places, full with single visitors placed by the
    draw; six more wait behind them, each listing all three slots."""
    tour = support.make_tour()
    day = timezone.localdate() + timedelta(days=10)
    times = [clock(9), clock(11), clock(13)]
    slots = generate_slots(tour, first_day=day, last_day=day, times=times, capacity=1)
    slots[0].capacity = 2
    slots[0].save(update_fields=["capacity"])
    round = support.make_round(tour, slots=slots)
    ids = [slot.pk for slot in slots]
    holds = [slots[0], slots[0], slots[1], slots[2]]
    placed = [support.make_party_entry(round, 2000 + n, 1, [s.pk]) for n, s in enumerate(holds)]
    waiting = [support.make_party_entry(round, 2100 + n, 1, ids) for n in range(6)]
    rounds.close_round(round, now=timezone.now())
    now = timezone.now()
    offers = []
    for position, entry in enumerate(placed + waiting, start=1):
        slot = holds[position - 1] if position <= 4 else None
        DrawOutcome.objects.create(round=round, entry=entry, position=position, slot=slot)
        if slot is not None:
            offers.append(
                Offer.objects.create(
                    entry=entry,
                    slot=slot,
                    persons=1,
                    source="draw",
                    deadline=now + timedelta(days=2),
                    created_at=now,
                )
            )
    Round.objects.filter(pk=round.pk).update(state=Round.State.DRAWN, drawn_at=now)
    return slots, offers


def _release_all_at_once(monkeypatch) -> tuple[list[str], list[int], Rendezvous]:
    slots, offers = _drawn_round_of_three_slots()
    ticket = confirm_offer(offers[2], actor=None, accepted_rules=True, via="online")
    agent = support.make_staff("agent", "call_centre", slots[0].tour.site)
    expired = Offer.objects.filter(pk=offers[1].pk)
    expired.update(deadline=timezone.now() - timedelta(minutes=1))
    # The same in both runs; only the locks differ. Each of the four paths
    # promotes once: all four read the waiting candidates before any of them
    # offers one a place.
    rendezvous = Rendezvous(parties=4)
    monkeypatch.setattr(
        draw.Waitlist, "next_promotions", rendezvous.wrap(draw.Waitlist.next_promotions)
    )
    paths = [
        lambda: decline_offer(offers[0], actor=None),
        lambda: tickets.cancel_ticket(ticket, actor=None),
        lambda: calls.record_call(offers[3], agent=agent, outcome=CallAttempt.Outcome.DECLINED),
        lambda: expire_due_offers(timezone.now()),
    ]
    errors: list[str] = []

    def run(path) -> None:
        try:
            path()
        except DomainError as error:
            errors.append(error.code)
        except IntegrityError:
            errors.append("entry_offered_twice")
        finally:
            rendezvous.finished()
            connections.close_all()

    threads = [threading.Thread(target=run, args=(path,)) for path in paths]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    promoted = list(
        Offer.objects.filter(source=Offer.Source.WAITLIST).values_list("entry_id", flat=True)
    )
    return errors, promoted, rendezvous


def test_four_releases_in_three_slots_at_once_promote_four_different_entries(
    transactional_db, monkeypatch
):
    errors, promoted, rendezvous = _release_all_at_once(monkeypatch)
    assert rendezvous.reads == 4
    assert not rendezvous.all_met, "the locks let two promotions read the waitlist at once"
    assert errors == []
    assert len(promoted) == 4
    assert len(set(promoted)) == 4


def test_without_the_locks_two_slots_pick_the_same_entry(transactional_db, monkeypatch, settings):
    settings.TOURDRAW_CAPACITY_LOCKS = False
    errors, promoted, rendezvous = _release_all_at_once(monkeypatch)
    assert rendezvous.all_met, "not every promotion read the waitlist before the first wrote"
    assert "entry_offered_twice" in errors, "the control run did not collide: no race exercised"
    assert len(promoted) < 4
