"""How many persons a slot has promised, and the lock that keeps it honest."""

from django.conf import settings
from django.db.models import Sum

from tourdraw.catalog.models import Slot
from tourdraw.visits.models import Offer

HOLDING = (Offer.State.PENDING, Offer.State.CONFIRMED)


def lock_slot(slot_id: int) -> Slot:
    """Lock the slot row before reading what it has promised, so that two
    transactions freeing or filling places in it run one after the other."""
    slots = Slot.objects.select_related("tour__site")
    if settings.TOURDRAW_CAPACITY_LOCKS:
        slots = slots.select_for_update(of=("self",))
    return slots.get(pk=slot_id)


def promised_persons(slot: Slot) -> int:
    """Persons in pending and confirmed offers: the places no one else may take."""
    total = Offer.objects.filter(slot=slot, state__in=HOLDING).aggregate(n=Sum("persons"))["n"]
    return int(total or 0)


def free_places(slot: Slot) -> int:
    return max(slot.capacity - promised_persons(slot), 0)
