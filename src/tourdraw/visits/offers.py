"""Offers: places won, awaiting confirmation; and the waitlist behind them.

Every change that frees places (decline, expiry, cancellation) promotes from
the waitlist in the same transaction, under the slot's row lock and then the
round's, by the rule of spec section 5 (``draw.Waitlist``). The round's lock is
what keeps two slots apart: one waiting entry may list both, so promotions in
different slots of a round must choose one after the other.
"""

import secrets
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from tourdraw.audit.services import log_action
from tourdraw.catalog.models import Slot
from tourdraw.errors import Code, DomainError
from tourdraw.lottery import draw
from tourdraw.lottery.models import DrawOutcome, Entry, Round
from tourdraw.transparency import log as public_log
from tourdraw.visits import capacity, notices
from tourdraw.visits.models import Offer, Promotion, Ticket

# The reason a release names in the public log when its slot is cancelled.
SLOT_CANCELLED = "slot_cancelled"


class OfferError(DomainError):
    pass


# Why an offer that is no longer open cannot be answered: its state.
_CLOSED_CODES = {
    Offer.State.CONFIRMED: Code.OFFER_CONFIRMED,
    Offer.State.DECLINED: Code.OFFER_DECLINED,
    Offer.State.EXPIRED: Code.OFFER_EXPIRED,
    Offer.State.CANCELLED: Code.OFFER_CANCELLED,
}


def offer_deadline(round: Round, slot: Slot, now: datetime) -> datetime:
    """The round's confirm window, but no later than the cut-off before the slot,
    and never less than ``TOURDRAW_MIN_CONFIRM_WINDOW`` from the offer (or the
    round's window, if it chose a shorter one: the demo's express round).

    A winner is always given a real chance to confirm: an offer never lapses as
    it is made (one "you won" and one "your place has gone" SMS moments apart).
    Scheduling and closing refuse a round drawn too close to its sessions
    (``rounds.check_time_to_confirm``), so a deadline past the cut-off comes only
    from a draw run far behind its time; the winner then keeps the minimum
    window, past the cut-off, rather than the place going to the waitlist, which
    could not fill it either (promotions stop at the promotion cut-off).
    A promotion happens only before that cut-off, which leaves it at least the
    minimum window before the offer cut-off.
    """
    cutoff = slot.starts_at - settings.TOURDRAW_OFFER_CUTOFF
    shortest = min(round.confirm_window, settings.TOURDRAW_MIN_CONFIRM_WINDOW)
    return max(now + shortest, min(now + round.confirm_window, cutoff))


def _locked_pending(offer: Offer, now: datetime, *, by_deadline: bool = True) -> Offer:
    """The offer, row-locked, if it is still pending (and, ``by_deadline``,
    within its deadline)."""
    locked = (
        Offer.objects.select_for_update(of=("self",))
        .select_related("entry__visitor__user", "entry__round", "slot__tour__site")
        .get(pk=offer.pk)
    )
    if locked.state != Offer.State.PENDING:
        raise OfferError(
            _("This offer is no longer open: it is %(state)s.")
            % {"state": locked.get_state_display()},
            code=_CLOSED_CODES[Offer.State(locked.state)],
            field="offer",
        )
    if by_deadline and now >= locked.deadline:
        raise OfferError(
            _("The deadline to confirm has passed."), code=Code.OFFER_DEADLINE_PASSED, field="offer"
        )
    return locked


def confirm_offer(
    offer: Offer, *, actor: Any, accepted_rules: bool, via: str, now: datetime | None = None
) -> Ticket:
    """Confirm the place and issue the party's ticket."""
    now = now or timezone.now()
    if not accepted_rules:
        raise OfferError(
            _("Accept the visit rules to confirm."), code=Code.RULES_NOT_ACCEPTED, field="rules"
        )
    with transaction.atomic():
        ticket = issue_ticket(_locked_pending(offer, now), actor=actor, via=via, now=now)
    offer.refresh_from_db()
    return ticket


def issue_ticket(locked: Offer, *, actor: Any, via: str, now: datetime) -> Ticket:
    """Confirm ``locked`` (a pending offer, row-locked by the caller in its
    transaction) and issue the party's ticket; the visitor is told."""
    locked.state = Offer.State.CONFIRMED
    locked.decided_at = now
    locked.confirmed_via = via
    locked.save(update_fields=["state", "decided_at", "confirmed_via"])
    ticket = Ticket.objects.create(offer=locked, code=secrets.token_urlsafe(16), issued_at=now)
    log_action(
        "tourdraw.offer.confirmed", locked, actor=actor, data={"via": via, "ticket": ticket.pk}
    )
    notices.ticket_issued(ticket)
    return ticket


def decline_offer(offer: Offer, *, actor: Any, now: datetime | None = None) -> Offer:
    """Give the place up; it goes down the waitlist at once."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = _locked_pending(offer, now)
        release(locked, Offer.State.DECLINED, Promotion.Reason.DECLINED, now=now, actor=actor)
    offer.refresh_from_db()
    return offer


def cancel_offer(offer: Offer, *, actor: Any, now: datetime) -> Offer:
    """Cancel a pending offer because its session was cancelled, and tell the
    visitor; a confirmed one goes with its ticket (``tickets.cancel_ticket``)."""
    with transaction.atomic():
        # Past its deadline but not yet expired by the worker, it still holds the place.
        locked = _locked_pending(offer, now, by_deadline=False)
        release(locked, Offer.State.CANCELLED, SLOT_CANCELLED, now=now, actor=actor)
        notices.place_cancelled(locked)
    offer.refresh_from_db()
    return offer


def release(offer: Offer, state: str, reason: str, *, now: datetime, actor: Any) -> None:
    offer.state = state
    offer.decided_at = now
    offer.save(update_fields=["state", "decided_at"])
    log_action(f"tourdraw.offer.{state}", offer, actor=actor, data={"persons": offer.persons})
    if state != Offer.State.CANCELLED:
        notices.offer_lapsed(offer)
    release_places(offer, reason=reason, now=now)


def expire_due_offers(now: datetime) -> int:
    """Expire every pending offer past its deadline; each exactly once.

    The state change is a compare-and-set, so of two workers expiring the
    same offer only the one whose update changed the row goes on.
    """
    expired = 0
    due = Offer.objects.filter(state=Offer.State.PENDING, deadline__lte=now)
    for pk in due.values_list("pk", flat=True):
        with transaction.atomic():
            if not Offer.objects.filter(pk=pk, state=Offer.State.PENDING).update(
                state=Offer.State.EXPIRED, decided_at=now
            ):
                continue
            offer = Offer.objects.select_related(
                "entry__visitor__user", "entry__round", "slot__tour__site"
            ).get(pk=pk)
            log_action("tourdraw.offer.expired", offer, data={"persons": offer.persons})
            notices.offer_lapsed(offer)
            release_places(offer, reason=Promotion.Reason.EXPIRED, now=now)
            expired += 1
    return expired


def remind_due_offers(now: datetime) -> int:
    """Remind winners whose deadline is near, once each."""
    reminded = 0
    due = Offer.objects.filter(
        state=Offer.State.PENDING,
        reminded_at__isnull=True,
        deadline__gt=now,
        deadline__lte=now + settings.TOURDRAW_REMINDER_BEFORE,
    )
    for pk in due.values_list("pk", flat=True):
        with transaction.atomic():
            if not Offer.objects.filter(pk=pk, reminded_at__isnull=True).update(reminded_at=now):
                continue
            offer = Offer.objects.select_related("entry__visitor__user", "slot__tour__site").get(
                pk=pk
            )
            notices.offer_reminder(offer)
            reminded += 1
    return reminded


def _lock_waitlist(slot: Slot) -> Round | None:
    """The slot's drawn round, row-locked: its waitlist is shared by all its slots.

    Taken after the slot's lock (always in this order, so two promotions cannot
    deadlock) and before the candidates are read, so a promotion sees every
    offer an earlier one in another slot committed and never picks its entry.
    """
    rounds = Round.objects.filter(slots=slot, state=Round.State.DRAWN)
    if settings.TOURDRAW_CAPACITY_LOCKS:
        rounds = rounds.select_for_update(of=("self",))
    return rounds.first()


def waitlist_open(slot: Slot, now: datetime) -> bool:
    """Freed places go down the waitlist until the promotion cut-off before the
    slot; a cancelled slot has no places to give."""
    return slot.cancelled_at is None and now < slot.starts_at - settings.TOURDRAW_PROMOTION_CUTOFF


def release_places(offer: Offer, *, reason: str, now: datetime) -> list[Offer]:
    """Offer the places ``offer`` no longer holds down the waitlist, and publish
    the release with the promotions it caused (spec section 7), in the same
    transaction so the log never shows one without the other."""
    promoted = promote(offer.slot, reason=reason, now=now)
    # A leftover party is in no draw record, so the public log has no release of
    # it to replay; its places go back to the slot's leftovers (the waitlist was
    # empty or past its cut-off when they opened, and never fills again).
    if offer.source != Offer.Source.LEFTOVER:
        log_release(offer, reason=reason, promoted=promoted, now=now)
    return promoted


def log_release(offer: Offer, *, reason: str, promoted: list[Offer], now: datetime) -> None:
    """One public ``release`` entry: whose places were freed and who got them.

    A verifier replays these by spec section 5, so ``waitlist_open`` says whether
    promotions were due at all (none after the cut-off or in a cancelled slot).
    A round drawn before tourdraw-draw/2 has no draw in the log, and a release
    there would break the log's order (spec section 7.3): it is not logged.
    """
    round_code = offer.entry.round.code
    if not public_log.has_draw(round_code):
        return
    public_log.append(
        "release",
        round_code=round_code,
        body={
            "slot": offer.slot.code,
            "entry": offer.entry.code,
            "persons": offer.persons,
            "reason": reason,
            "waitlist_open": waitlist_open(offer.slot, now),
            "promotions": [{"entry": p.entry.code, "persons": p.persons} for p in promoted],
        },
        now=now,
    )


def waiting(round: Round, slot: Slot) -> QuerySet[DrawOutcome]:
    """The waitlist of ``slot``: the round's active entries the draw did not
    place and that were never offered a place, which list the slot (spec section 5).
    Leftover places open only once it is empty (``visits.leftovers``)."""
    return DrawOutcome.objects.filter(
        round=round, slot__isnull=True, entry__state=Entry.State.ACTIVE
    ).filter(entry__choices__slot=slot, entry__offer__isnull=True)


def promote(slot: Slot, *, reason: str, now: datetime) -> list[Offer]:
    """Offer the slot's free places down the waitlist (spec section 5).

    Candidates are the drawn round's entries not placed by the draw and never
    offered, that list this slot, in draw order; ``draw.Waitlist`` applies the
    rule to them. Nothing is promoted after the promotion cut-off.
    """
    if not waitlist_open(slot, now):
        return []
    locked = capacity.lock_slot(slot.pk)
    free = capacity.free_places(locked)
    if free <= 0:
        return []
    round = _lock_waitlist(locked)
    if round is None:
        return []
    candidates = list(
        waiting(round, locked)
        .order_by("position")
        .values_list("entry_id", "entry__code", "entry__party_size")
    )
    waitlist = draw.Waitlist((code, party, [locked.code]) for _, code, party in candidates)
    chosen = set(waitlist.next_promotions(locked.code, free, set(), set()))
    offers = []
    for entry_id, code, party in candidates:
        if code not in chosen:
            continue
        offer = Offer.objects.create(
            entry_id=entry_id,
            slot=locked,
            persons=party,
            source=Offer.Source.WAITLIST,
            deadline=offer_deadline(round, locked, now),
            created_at=now,
        )
        Promotion.objects.create(
            round=round, slot=locked, offer=offer, reason=reason, free_places=free, created_at=now
        )
        free -= party
        log_action("tourdraw.offer.promoted", offer, data={"entry": code, "reason": reason})
        notices.offer_made(
            Offer.objects.select_related("entry__visitor__user", "slot__tour__site").get(
                pk=offer.pk
            )
        )
        offers.append(offer)
    return offers
