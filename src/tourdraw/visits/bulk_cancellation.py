"""Cancelling many sessions at once, from the planning calendar.

Each session goes through :func:`cancellation.cancel_slot` in its own
transaction, so every one is cancelled, told and logged exactly as a single
cancellation is; one that cannot be cancelled (its round waits for the draw) is
named in the report, and the others still go.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db.models import Count, Sum

from tourdraw.catalog.models import Slot
from tourdraw.groups.models import GroupVisit
from tourdraw.lottery.models import Entry, EntryChoice
from tourdraw.visits import capacity
from tourdraw.visits.cancellation import CancelError, cancel_slot
from tourdraw.visits.models import Offer


@dataclass(frozen=True)
class Affected:
    """Who a cancellation of these sessions reaches, counted before it is made."""

    slots: int
    entries: int  # active entries that chose one of them (before the draw)
    parties: int  # pending and confirmed offers in them (after the draw)
    groups: int  # approved group visits in them
    persons: int  # persons in those offers and groups


def affected_by(slots: Sequence[Slot]) -> Affected:
    """What :func:`cancel_slots` would reach, in four queries however many slots."""
    open_slots = [slot for slot in slots if slot.cancelled_at is None]
    entries = (
        EntryChoice.objects.filter(slot__in=open_slots, entry__state=Entry.State.ACTIVE)
        .values("entry")
        .distinct()
        .count()
    )
    offers = Offer.objects.filter(slot__in=open_slots, state__in=capacity.HOLDING).aggregate(
        n=Count("id"), persons=Sum("persons")
    )
    groups = GroupVisit.objects.filter(
        slot__in=open_slots, state=GroupVisit.State.APPROVED
    ).aggregate(n=Count("id"), persons=Sum("size"))
    return Affected(
        slots=len(open_slots),
        entries=entries,
        parties=offers["n"],
        groups=groups["n"],
        persons=(offers["persons"] or 0) + (groups["persons"] or 0),
    )


@dataclass
class BulkCancellation:
    """What :func:`cancel_slots` did: the counts of every cancelled session
    summed, and each session it could not cancel with the reason why."""

    cancelled: list[Slot] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    refused: list[tuple[Slot, CancelError]] = field(default_factory=list)

    @property
    def told(self) -> int:
        return sum(self.counts.values())


def cancel_slots(
    slots: Sequence[Slot], *, reason: str, actor: Any, now: datetime | None = None
) -> BulkCancellation:
    """Cancel each session as :func:`cancel_slot` does. A reason that is missing
    or too long refuses them all, before any is cancelled."""
    done = BulkCancellation()
    for slot in sorted(slots, key=lambda s: s.starts_at):
        try:
            counts = cancel_slot(slot, reason=reason, actor=actor, now=now)
        except CancelError as error:
            if error.field == "reason":
                raise
            done.refused.append((slot, error))
            continue
        done.cancelled.append(slot)
        for name, n in counts.items():
            done.counts[name] = done.counts.get(name, 0) + n
    return done
