"""Cancelling a session: everyone affected is told, every place freed or cancelled.

Each entry, offer, ticket and group goes through the service that changes it,
so each has its own audit entry and its message comes from that service, all
in the one transaction that cancels the session.
"""

from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import Count, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from tourdraw.audit.services import log_action
from tourdraw.catalog.models import Slot
from tourdraw.errors import Code, DomainError
from tourdraw.groups import services as groups
from tourdraw.groups.models import GroupVisit
from tourdraw.lottery import entries, rounds
from tourdraw.lottery.models import Entry, EntryChoice, Round
from tourdraw.visits import capacity, offers, tickets
from tourdraw.visits.models import Offer, Ticket


class CancelError(DomainError):
    pass


def _checked_reason(reason: str) -> str:
    reason = reason.strip()
    if not reason:
        raise CancelError(
            _("Give a reason; it is sent to everyone affected."),
            code=Code.REASON_REQUIRED,
            field="reason",
        )
    limit = Slot._meta.get_field("cancel_reason").max_length or 0
    if len(reason) > limit:
        raise CancelError(
            _("The reason is at most %(limit)d characters.") % {"limit": limit},
            code=Code.TOO_LONG,
            field="reason",
        )
    return reason


def _lock_cancellable(slot: Slot) -> tuple[Slot, Round | None]:
    """The slot and its round, locked in that order (as promotions take them),
    so the round cannot close while its entries lose this choice."""
    locked = capacity.lock_slot(slot.pk)
    if locked.cancelled_at is not None:
        raise CancelError(
            _("This session is already cancelled."), code=Code.SLOT_CANCELLED, field="slot"
        )
    round = Round.objects.select_for_update(of=("self",)).filter(round_slots__slot=locked).first()
    if round is not None and round.state == Round.State.CLOSED:
        raise CancelError(
            _("Its round is closed and waiting for the draw; cancel the session after the draw."),
            code=Code.ROUND_FROZEN,
            field="slot",
        )
    return locked, round


def _drop_choices(slot: Slot, round: Round, *, actor: Any, now: datetime) -> dict[str, int]:
    """Before the draw: each entry loses this choice, or is withdrawn if it was its only one."""
    counts = {"choices_dropped": 0, "entries_withdrawn": 0}
    choosing = Entry.objects.filter(round=round, state=Entry.State.ACTIVE, choices__slot=slot)
    for entry in choosing.select_related("visitor__user", "round").order_by("pk"):
        withdrawn = entries.drop_choice(entry, slot, actor=actor, now=now)
        counts["entries_withdrawn" if withdrawn else "choices_dropped"] += 1
    rounds.remove_slot(round, slot, actor=actor)
    return counts


def _cancel_places(slot: Slot, *, actor: Any, now: datetime) -> int:
    """After the draw: each ticket is cancelled with its offer, each offer not yet
    confirmed on its own; no one is promoted into a cancelled session."""
    holding = Offer.objects.filter(slot=slot, state__in=capacity.HOLDING).order_by("pk")
    for offer in holding:
        ticket = Ticket.objects.filter(offer=offer, state=Ticket.State.VALID).first()
        if ticket is not None:
            tickets.cancel_ticket(ticket, actor=actor, now=now, slot_cancelled=True)
        else:
            offers.cancel_offer(offer, actor=actor, now=now)
    return len(holding)


def _release_groups(slot: Slot, *, actor: Any) -> int:
    approved = GroupVisit.objects.filter(slot=slot, state=GroupVisit.State.APPROVED).order_by("pk")
    for group in approved:
        groups.release_visit(group, actor=actor)
    return len(approved)


def who_is_affected(slot: Slot) -> dict[str, int]:
    """What cancelling ``slot`` now would touch, for the operator to confirm:
    ``entries`` choosing it before the draw, ``parties`` holding places (and
    their ``persons``) after it, ``groups`` with places kept in it."""
    round = Round.objects.filter(round_slots__slot=slot).first()
    choosing = 0
    if round is not None and round.state in (Round.State.SCHEDULED, Round.State.OPEN):
        choosing = EntryChoice.objects.filter(slot=slot, entry__state=Entry.State.ACTIVE).count()
    holding = Offer.objects.filter(slot=slot, state__in=capacity.HOLDING).aggregate(
        parties=Count("id"), persons=Sum("persons")
    )
    return {
        "entries": choosing,
        "parties": holding["parties"],
        "persons": holding["persons"] or 0,
        "groups": GroupVisit.objects.filter(slot=slot, state=GroupVisit.State.APPROVED).count(),
    }


def cancel_slot(
    slot: Slot, *, reason: str, actor: Any, now: datetime | None = None
) -> dict[str, int]:
    """Cancel a session. Before the draw, entries lose this choice (an entry with
    no choice left is withdrawn); after it, offers and tickets are cancelled;
    groups lose their kept places. Each person affected gets an SMS."""
    now = now or timezone.now()
    reason = _checked_reason(reason)
    counts = {"choices_dropped": 0, "entries_withdrawn": 0}
    with transaction.atomic():
        locked, round = _lock_cancellable(slot)
        locked.cancelled_at = now
        locked.cancel_reason = reason
        locked.save(update_fields=["cancelled_at", "cancel_reason"])
        if round is not None and round.state in (Round.State.SCHEDULED, Round.State.OPEN):
            counts = _drop_choices(locked, round, actor=actor, now=now)
        counts["places_cancelled"] = _cancel_places(locked, actor=actor, now=now)
        counts["groups_released"] = _release_groups(locked, actor=actor)
        log_action(
            "tourdraw.slot.cancelled", locked, actor=actor, data={"reason": reason, **counts}
        )
    slot.refresh_from_db()
    return counts
