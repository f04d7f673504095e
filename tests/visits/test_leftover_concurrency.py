"""Claims for the last leftover places at once, on PostgreSQL.

The same scenario runs with the slot's row lock (the product) and without it
(the control, which must give places twice, or the test proves nothing). Every
claimant reads the free places and then waits until all have read (see
tests/concurrency.py): without the lock all of them read "places left" before
any writes; with it, one at a time.
"""

import threading
from datetime import date, timedelta

import pytest
from django.db import connections
from django.db.models import Sum

from tests.concurrency import Rendezvous
from tests.support import drawn_round, make_visitor
from tourdraw.errors import DomainError
from tourdraw.lottery import entries
from tourdraw.people.models import Visitor
from tourdraw.visits import capacity, leftovers
from tourdraw.visits.models import Offer

pytestmark = pytest.mark.postgres

CLAIMANTS = 6


def _visitor(number: int):
    return make_visitor(
        f"+86136{number:08d}",
        name=f"抢票{number}",
        birth_date=date(1970, 1, 1) + timedelta(days=number),
        sequence=number,
    )


def _promised(slot) -> int:
    total = Offer.objects.filter(slot=slot, state__in=capacity.HOLDING).aggregate(n=Sum("persons"))
    return int(total["n"] or 0)


def _claim_at_once(monkeypatch, slot, visitors, *, read: str) -> tuple[list[str], Rendezvous]:
    """Each visitor claims once, in their own thread; the threads meet after
    ``read`` (the module attribute the claim reads through)."""
    module, name = {
        "free places": (capacity, "free_places"),
        "party check": (entries, "check_leftover_party"),
    }[read]
    rendezvous = Rendezvous(parties=len(visitors))
    monkeypatch.setattr(module, name, rendezvous.wrap(getattr(module, name)))
    outcomes: list[str] = []

    def claim(visitor) -> None:
        try:
            leftovers.claim_leftover(slot, visitor, accepted_rules=True)
            outcomes.append("ticket")
        except DomainError as error:
            outcomes.append(error.code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=claim, args=(visitor,)) for visitor in visitors]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sorted(outcomes), rendezvous


def _last_two_places(site_operator):
    # 20 places, nine parties of two placed, no one waiting: two leftovers.
    _, slot, _ = drawn_round(20, [2] * 9, [])
    leftovers.open_leftovers(slot, actor=site_operator)
    return slot, [_visitor(n) for n in range(CLAIMANTS)]


def test_the_last_places_go_once_each_and_capacity_holds(
    transactional_db, monkeypatch, site_operator
):
    slot, visitors = _last_two_places(site_operator)
    outcomes, rendezvous = _claim_at_once(monkeypatch, slot, visitors, read="free places")
    assert rendezvous.reads == CLAIMANTS
    assert not rendezvous.all_met, "the lock let two claims count the places at once"
    assert outcomes == ["leftovers_gone"] * 4 + ["ticket"] * 2
    assert _promised(slot) == slot.capacity
    assert Offer.objects.filter(slot=slot, source="leftover").count() == 2


def test_without_the_lock_the_same_claims_overbook(
    transactional_db, monkeypatch, site_operator, settings
):
    settings.TOURDRAW_CAPACITY_LOCKS = False
    slot, visitors = _last_two_places(site_operator)
    outcomes, rendezvous = _claim_at_once(monkeypatch, slot, visitors, read="free places")
    assert rendezvous.all_met, "not every claim counted the places before the first wrote"
    assert outcomes == ["ticket"] * CLAIMANTS
    assert _promised(slot) > slot.capacity, "the control run did not overbook"


def test_one_person_claiming_twice_at_once_gets_one_place(
    transactional_db, monkeypatch, site_operator
):
    _, slot, _ = drawn_round(20, [2] * 5, [])
    leftovers.open_leftovers(slot, actor=site_operator)
    visitor = _visitor(99)
    # Two sessions of the same visitor: both pass the party check (no place
    # held yet) before either writes; the database's one-appearance-per-round
    # constraint then refuses the second, naming the person.
    sessions = [Visitor.objects.get(pk=visitor.pk) for _ in range(2)]
    outcomes, rendezvous = _claim_at_once(monkeypatch, slot, sessions, read="party check")
    assert rendezvous.all_met, "the two claims did not both pass the check before writing"
    assert outcomes == ["person_already_booked", "ticket"]
    assert Offer.objects.filter(slot=slot, source="leftover").count() == 1
    assert _promised(slot) == 11
