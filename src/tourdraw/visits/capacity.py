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
    total = Offer.objects.filter(slot=slot, state__in=HOLDING).aggregate(n=Sum("persons"))["n"]
    return int(total or 0) + reserved_for_groups(slot)


def free_places(slot: Slot) -> int:
    return max(slot.capacity - promised_persons(slot), 0)
