"""Reading a drawn round's public results: no personal data, entry codes only."""

from dataclasses import dataclass

from django.db.models import Count, Q, Sum

from tourdraw.catalog.models import Slot
from tourdraw.lottery.models import DrawOutcome, Round


@dataclass(frozen=True)
class SlotResult:
    slot: Slot
    placed_entries: int
    placed_persons: int


@dataclass(frozen=True)
class Lookup:
    code: str
    position: int  # in the draw order, from 1
    slot: Slot | None  # placed by the draw
    waitlist_position: int | None  # among entries not placed, from 1


def slot_results(round: Round) -> list[SlotResult]:
    placed = Q(outcomes_placed__round=round)
    slots = (
        round.slots.select_related("tour__site")
        .annotate(
            placed_entries=Count("outcomes_placed", filter=placed),
            placed_persons=Sum("outcomes_placed__entry__party_size", filter=placed),
        )
        .order_by("starts_at")
    )
    return [SlotResult(slot, slot.placed_entries, slot.placed_persons or 0) for slot in slots]


def lookup(round: Round, code: str) -> Lookup | None:
    outcome = (
        DrawOutcome.objects.select_related("slot__tour__site", "entry")
        .filter(round=round, entry__code=code.strip().upper())
        .first()
    )
    if outcome is None:
        return None
    waitlist_position = None
    if outcome.slot is None:
        waitlist_position = (
            DrawOutcome.objects.filter(
                round=round, slot__isnull=True, position__lt=outcome.position
            ).count()
            + 1
        )
    return Lookup(outcome.entry.code, outcome.position, outcome.slot, waitlist_position)
