"""Capacity under concurrency, on PostgreSQL (SQLite runs one writer at a time).

The same scenario runs twice: with the slot row lock (the product) and with it
switched off (the control). The control must overbook, or the test proves
nothing; the locked run must never exceed capacity.
"""

import threading

import pytest
from django.db import IntegrityError, connections
from django.db.models import Sum

from tests.concurrency import Rendezvous
from tests.support import drawn_round
from tourdraw.visits import capacity, tickets
from tourdraw.visits.models import Offer
from tourdraw.visits.offers import OfferError, confirm_offer, decline_offer

pytestmark = pytest.mark.postgres


def _promised(slot) -> int:
    total = Offer.objects.filter(slot=slot, state__in=capacity.HOLDING).aggregate(n=Sum("persons"))
    return int(total["n"] or 0)


def _run_scenario(monkeypatch) -> tuple[int, int, list[str], Rendezvous]:
    # 20 places; the draw placed eight parties of two and left four places free
    # (the next parties did not fit their choices then); forty parties wait.
    _, slot, entries = drawn_round(20, [2] * 8, [2] * 40)
    placed = [Offer.objects.get(entry=entry) for entry in entries[:8]]
    confirmed = [
        confirm_offer(offer, actor=None, accepted_rules=True, via="online") for offer in placed[:2]
    ]
    actions = [
        *(lambda offer=offer: decline_offer(offer, actor=None) for offer in placed[2:6]),
        *(
            lambda offer=offer: confirm_offer(offer, actor=None, accepted_rules=True, via="call")
            for offer in placed[6:8]
        ),
        *(lambda ticket=ticket: tickets.cancel_ticket(ticket, actor=None) for ticket in confirmed),
    ]
    # The same in both runs; only the lock differs. The four declines and two
    # cancellations each read the free places (confirming reads none): all six
    # read before any writes an offer, then each in turn finishes and commits
    # while the others still act on the count they read.
    rendezvous = Rendezvous(parties=6, one_at_a_time=True)
    monkeypatch.setattr(capacity, "free_places", rendezvous.wrap(capacity.free_places))
    errors: list[str] = []

    def run(action) -> None:
        try:
            action()
        except (OfferError, tickets.TicketError) as error:
            errors.append(error.code)
        except IntegrityError:
            # Without the lock, two promotions can pick the same waiting entry;
            # its one-offer-per-entry constraint refuses the second.
            errors.append("offer_taken_twice")
        finally:
            rendezvous.finished()
            connections.close_all()

    threads = [threading.Thread(target=run, args=(action,)) for action in actions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return _promised(slot), slot.capacity, errors, rendezvous


def test_confirmed_and_pending_never_exceed_capacity_under_concurrency(
    transactional_db, monkeypatch
):
    promised, places, errors, rendezvous = _run_scenario(monkeypatch)
    assert rendezvous.reads == 6
    assert not rendezvous.all_met, "the lock let two readers count at once"
    assert errors == []
    assert promised <= places
    # Everything freed went down the waitlist: the slot is full again.
    assert promised == places


def test_without_the_lock_the_same_scenario_overbooks(transactional_db, monkeypatch, settings):
    settings.TOURDRAW_CAPACITY_LOCKS = False
    promised, places, _errors, rendezvous = _run_scenario(monkeypatch)
    assert rendezvous.all_met, "not every reader counted before the first wrote"
    assert promised > places, "the control run did not overbook: the race was not exercised"
