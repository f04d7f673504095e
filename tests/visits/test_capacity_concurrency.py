"""Capacity under concurrency, on PostgreSQL (SQLite runs one writer at a time).

The same scenario runs twice: with the slot row lock (the product) and with it
switched off (the control). The control must overbook, or the test proves
nothing; the locked run must never exceed capacity.
"""

import threading
import time

import pytest
from django.db import IntegrityError, connections
from django.db.models import Sum

from tests.support import drawn_round
from tourdraw.visits import capacity, tickets
from tourdraw.visits.models import Offer
from tourdraw.visits.offers import OfferError, confirm_offer, decline_offer

pytestmark = pytest.mark.postgres


def _promised(slot) -> int:  # type: ignore[no-untyped-def]
    total = Offer.objects.filter(slot=slot, state__in=capacity.HOLDING).aggregate(n=Sum("persons"))
    return int(total["n"] or 0)


def _run_scenario(monkeypatch) -> tuple[int, int, list[str]]:  # type: ignore[no-untyped-def]
    # 20 places; the draw placed eight parties of two and left four places free
    # (the next parties did not fit their choices then); forty parties wait.
    _, slot, entries = drawn_round(20, [2] * 8, [2] * 40)
    placed = [Offer.objects.get(entry=entry) for entry in entries[:8]]
    confirmed = [
        confirm_offer(offer, actor=None, accepted_rules=True, via="online") for offer in placed[:2]
    ]
    # Widen the window between reading the free places and writing offers, the
    # same in both runs; only the lock differs.
    original = capacity.free_places

    def slow_free_places(locked_slot):  # type: ignore[no-untyped-def]
        free = original(locked_slot)
        time.sleep(0.15)
        return free

    monkeypatch.setattr(capacity, "free_places", slow_free_places)

    actions = [
        *(lambda offer=offer: decline_offer(offer, actor=None) for offer in placed[2:6]),
        *(
            lambda offer=offer: confirm_offer(offer, actor=None, accepted_rules=True, via="call")
            for offer in placed[6:8]
        ),
        *(lambda ticket=ticket: tickets.cancel_ticket(ticket, actor=None) for ticket in confirmed),
    ]
    errors: list[str] = []

    def run(index: int, action) -> None:  # type: ignore[no-untyped-def]
        time.sleep(index * 0.05)  # staggered, so one commits while another still counts
        try:
            action()
        except (OfferError, tickets.TicketError) as error:
            errors.append(error.code)
        except IntegrityError:
            # Without the lock, two promotions can pick the same waiting entry;
            # its one-offer-per-entry constraint refuses the second.
            errors.append("offer_taken_twice")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, a)) for i, a in enumerate(actions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return _promised(slot), slot.capacity, errors


def test_confirmed_and_pending_never_exceed_capacity_under_concurrency(
    transactional_db, monkeypatch
):  # type: ignore[no-untyped-def]
    promised, places, errors = _run_scenario(monkeypatch)
    assert errors == []
    assert promised <= places
    # Everything freed went down the waitlist: the slot is full again.
    assert promised == places


def test_without_the_lock_the_same_scenario_overbooks(transactional_db, monkeypatch, settings):  # type: ignore[no-untyped-def]
    settings.TOURDRAW_CAPACITY_LOCKS = False
    promised, places, _errors = _run_scenario(monkeypatch)
    assert promised > places, "the control run did not overbook: the race was not exercised"
