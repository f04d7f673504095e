"""Leftover places: a drawn slot's free places that no one on its waitlist can
have any more, claimed first come, first served.

The rule, in one place:

- A slot's leftovers open only when the waitlist can offer its places to no one:
  no active entry the draw left unplaced and never offered a place lists the
  slot (``offers.waiting``), or the promotion cut-off before the slot has passed
  (``offers.waitlist_open``). Both only ever become true: entries never join the
  waitlist after the draw, and the clock only moves on. So once open, no
  waiting entrant is ever passed over, and a hostile operator cannot open them
  early to hand places to friends ahead of the waitlist: the service refuses.
- An operator of the site opens them, slot by slot, with an audit record; the
  opening is shown on the round's public page at once.
- A signed-in visitor claims places for their party. The party meets every
  rule an entry meets (``entries.check_leftover_party``): one appearance per
  person per round, their own lottery entry included, age, companions, the
  no-show ban and the cool-down. The claim issues a confirmed ticket at once.
- Claims stop ``TOURDRAW_LEFTOVER_CUTOFF`` before the slot.

How a claiming party is recorded: as an entry of the round marked ``leftover``
(its party in ``EntryMember`` rows, its slot as its one choice), with an offer
of source ``leftover``, confirmed, and a ticket, through the same services as a
winner's. The gate, the ticket page, cancellation, no-shows and exports read it
as any party; the draw record, the waitlist (``DrawOutcome``) and the public
log's releases never include it. A cancelled leftover ticket frees its places
as any ticket does: the empty waitlist promotes no one, so they are leftovers
again.

Capacity: a claim reads the free places under the slot's row lock
(``capacity.lock_slot``) and writes its offer in the same transaction, so two
claims for the last places run one after the other. The same person claiming
twice at once (two sessions, two slots) is stopped by the database's
one-appearance-per-round constraint, whichever commits first.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from tourdraw.audit.services import log_action
from tourdraw.catalog.models import Slot
from tourdraw.errors import Code, DomainError
from tourdraw.lottery import entries
from tourdraw.lottery.models import Round
from tourdraw.people.models import Visitor
from tourdraw.visits import capacity, offers
from tourdraw.visits.models import LeftoverOpening, Offer, Ticket

# Why a slot's leftovers could open.
WAITLIST_EMPTY = "waitlist_empty"
CUTOFF_PASSED = "cutoff_passed"


class LeftoverError(DomainError):
    pass


@dataclass(frozen=True)
class Leftovers:
    """A slot's open leftovers, as the round page and the API show them."""

    slot: Slot
    free_places: int
    opened_at: datetime
    claims_until: datetime


def claims_until(slot: Slot) -> datetime:
    return slot.starts_at - settings.TOURDRAW_LEFTOVER_CUTOFF


def _time(moment: datetime) -> str:
    return formats.date_format(timezone.localtime(moment), "DATETIME_FORMAT")


def waitlist_done(round: Round, slot: Slot, now: datetime) -> str | None:
    """Why the waitlist can offer ``slot``'s places to no one any more
    (``WAITLIST_EMPTY`` or ``CUTOFF_PASSED``), or None while it still can."""
    if not offers.waitlist_open(slot, now):
        return CUTOFF_PASSED
    if not offers.waiting(round, slot).exists():
        return WAITLIST_EMPTY
    return None


def _check_claimable(slot: Slot, now: datetime) -> None:
    if slot.cancelled_at is not None:
        raise LeftoverError(
            _("This session was cancelled."), code=Code.SLOT_CANCELLED, field="slot"
        )
    if now >= claims_until(slot):
        raise LeftoverError(
            _("Leftover places for %(slot)s could be claimed until %(time)s.")
            % {"slot": slot.label, "time": _time(claims_until(slot))},
            code=Code.LEFTOVERS_CLOSED,
            field="slot",
        )


def open_leftovers(slot: Slot, *, actor: Any, now: datetime | None = None) -> LeftoverOpening:
    """Open ``slot``'s free places to claims, if the waitlist can serve no one."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = capacity.lock_slot(slot.pk)
        round = Round.objects.filter(round_slots__slot=locked).first()
        if round is None or round.state != Round.State.DRAWN:
            raise LeftoverError(
                _("Leftover places open only after the draw of the session's round."),
                code=Code.ROUND_NOT_DRAWN,
                field="slot",
            )
        _check_claimable(locked, now)
        if LeftoverOpening.objects.filter(slot=locked).exists():
            raise LeftoverError(
                _("The leftover places of %(slot)s are open already.") % {"slot": locked.label},
                code=Code.LEFTOVERS_ALREADY_OPEN,
                field="slot",
            )
        reason = waitlist_done(round, locked, now)
        if reason is None:
            waiting = offers.waiting(round, locked).count()
            cutoff = locked.starts_at - settings.TOURDRAW_PROMOTION_CUTOFF
            raise LeftoverError(
                ngettext(
                    "%(count)d entry on the waitlist chose %(slot)s and could still be "
                    "offered its places: leftover places open once none is left, or at "
                    "%(time)s, when the waitlist stops.",
                    "%(count)d entries on the waitlist chose %(slot)s and could still be "
                    "offered its places: leftover places open once none is left, or at "
                    "%(time)s, when the waitlist stops.",
                    waiting,
                )
                % {"count": waiting, "slot": locked.label, "time": _time(cutoff)},
                code=Code.WAITLIST_NOT_DONE,
                field="slot",
            )
        free = capacity.free_places(locked)
        if free <= 0:
            raise LeftoverError(
                _("%(slot)s has no free place to open.") % {"slot": locked.label},
                code=Code.NO_LEFTOVERS,
                field="slot",
            )
        opening = LeftoverOpening.objects.create(
            round=round, slot=locked, opened_by=actor, reason=reason, opened_at=now
        )
        log_action(
            "tourdraw.leftovers.opened",
            opening,
            actor=actor,
            data={"round": round.code, "slot": locked.code, "free": free, "reason": reason},
        )
    return opening


def open_in(round: Round, now: datetime) -> list[Leftovers]:
    """The round's slots whose leftovers are open and still claimable, by time,
    with the places free in each (none once all are claimed)."""
    openings = list(
        LeftoverOpening.objects.filter(round=round, slot__cancelled_at__isnull=True)
        .select_related("slot__tour__site")
        .order_by("slot__starts_at")
    )
    shown = [o for o in openings if now < claims_until(o.slot)]
    free = capacity.free_places_by_slot([o.slot for o in shown])
    return [Leftovers(o.slot, free[o.slot_id], o.opened_at, claims_until(o.slot)) for o in shown]


@dataclass(frozen=True)
class SlotLeftovers:
    """A drawn slot's leftovers, as the back office shows them."""

    slot: Slot
    free_places: int
    opening: LeftoverOpening | None
    claimed_parties: int
    claimed_persons: int


def overview(round: Round) -> list[SlotLeftovers]:
    """Each slot of the round: its free places, whether its leftovers were opened
    (when, by whom), and the parties and persons holding leftover tickets."""
    slots = list(round.slots.select_related("tour__site").order_by("starts_at"))
    free = capacity.free_places_by_slot(slots)
    openings = {
        o.slot_id: o
        for o in LeftoverOpening.objects.filter(round=round).select_related("opened_by")
    }
    claimed: dict[int, tuple[int, int]] = {}
    held = Offer.objects.filter(
        slot__in=slots, source=Offer.Source.LEFTOVER, state=Offer.State.CONFIRMED
    ).values_list("slot_id", "persons")
    for slot_id, persons in held:
        parties, total = claimed.get(slot_id, (0, 0))
        claimed[slot_id] = (parties + 1, total + persons)
    return [
        SlotLeftovers(slot, free[slot.pk], openings.get(slot.pk), *claimed.get(slot.pk, (0, 0)))
        for slot in slots
    ]


def claim_leftover(
    slot: Slot,
    visitor: Visitor,
    *,
    companions: Sequence[entries.CompanionInput] = (),
    accepted_rules: bool,
    now: datetime | None = None,
) -> Ticket:
    """Claim places in ``slot`` for the visitor's party: a confirmed ticket at
    once, or a refusal naming the rule (and the person) it breaks."""
    now = now or timezone.now()
    if not accepted_rules:
        raise LeftoverError(
            _("Accept the visit rules to claim."), code=Code.RULES_NOT_ACCEPTED, field="rules"
        )
    opening = LeftoverOpening.objects.select_related("round__tour__site").filter(slot=slot).first()
    if opening is None:
        raise LeftoverError(
            _("The leftover places of this session are not open."),
            code=Code.LEFTOVERS_NOT_OPEN,
            field="slot",
        )
    _check_claimable(slot, now)
    round = opening.round
    members = entries.check_leftover_party(round, visitor, slot, companions, now=now)
    with transaction.atomic():
        locked = capacity.lock_slot(slot.pk)
        _check_claimable(locked, now)
        free = capacity.free_places(locked)
        if free < len(members):
            raise LeftoverError(
                ngettext(
                    "Only %(free)d place is left in %(slot)s; your party has %(persons)d.",
                    "Only %(free)d places are left in %(slot)s; your party has %(persons)d.",
                    free,
                )
                % {"free": free, "slot": locked.label, "persons": len(members)},
                code=Code.LEFTOVERS_GONE,
                field="slot",
            )
        entry = entries.enter_leftover(round, visitor, locked, members)
        # Confirmed at once: there is nothing to wait for, so its deadline is now.
        offer = Offer.objects.create(
            entry=entry,
            slot=locked,
            persons=len(members),
            source=Offer.Source.LEFTOVER,
            deadline=now,
            created_at=now,
        )
        log_action(
            "tourdraw.leftover.claimed",
            offer,
            actor=visitor.user,
            data={"entry": entry.code, "slot": locked.code, "persons": len(members)},
        )
        ticket = offers.issue_ticket(offer, actor=visitor.user, via=Offer.Via.ONLINE, now=now)
    return ticket
