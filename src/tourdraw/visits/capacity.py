"""How many persons a slot has promised, and the lock that keeps it honest."""

from collections.abc import Iterable

from django.conf import settings
from django.db.models import Sum

from tourdraw.catalog.models import Slot
from tourdraw.groups.models import GroupVisit
from tourdraw.visits.models import Offer

HOLDING = (Offer.State.PENDING, Offer.State.CONFIRMED)


def lock_slot(slot_id: int) -> Slot:
    """Lock the slot row before reading what it has promised, so that two
    transactions freeing or filling places in it run one after the other."""
    slots = Slot.objects.select_related("tour__site")
    if settings.TOURDRAW_CAPACITY_LOCKS:
        slots = slots.select_for_update(of=("self",))
    return slots.get(pk=slot_id)


def reserved_for_groups(slot: Slot) -> int:
    """Places approved group visits keep in the slot (out of the lottery's capacity)."""
    return reserved_by_slot([slot]).get(slot.pk, 0)


def reserved_by_slot(slots: Iterable[Slot]) -> dict[int, int]:
    """:func:`reserved_for_groups` of many slots in one query, by slot id; a slot
    no group holds places in is left out."""
    approved = GroupVisit.objects.filter(slot__in=slots, state=GroupVisit.State.APPROVED)
    return dict(approved.values("slot").annotate(n=Sum("size")).values_list("slot", "n"))


def promised_persons(slot: Slot) -> int:
    """Persons in pending and confirmed offers and in approved groups: the places
    no one else may take."""
    return promised_by_slot([slot]).get(slot.pk, 0)


def promised_by_slot(slots: Iterable[Slot]) -> dict[int, int]:
    """:func:`promised_persons` of many slots in two queries, by slot id; a slot
    nothing is promised in is left out."""
    slots = list(slots)
    holding = Offer.objects.filter(slot__in=slots, state__in=HOLDING)
    promised = dict(holding.values("slot").annotate(n=Sum("persons")).values_list("slot", "n"))
    for slot_id, places in reserved_by_slot(slots).items():
        promised[slot_id] = promised.get(slot_id, 0) + places
    return promised


def free_places(slot: Slot) -> int:
    return free_places_by_slot([slot])[slot.pk]


def free_places_by_slot(slots: Iterable[Slot]) -> dict[int, int]:
    """:func:`free_places` of many slots in two queries, by slot id."""
    slots = list(slots)
    promised = promised_by_slot(slots)
    return {slot.pk: max(slot.capacity - promised.get(slot.pk, 0), 0) for slot in slots}
