"""Tickets: the confirmed visit, its signed QR code, and cancelling it."""

from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tourdraw.audit.services import log_action
from tourdraw.errors import Code, DomainError
from tourdraw.visits import notices, signing
from tourdraw.visits.models import Offer, Promotion, Ticket
from tourdraw.visits.offers import SLOT_CANCELLED, release


class TicketError(DomainError):
    pass


# A scanned code's signature failure, as this service names it.
_SIGNATURE_CODES = {
    Code.MALFORMED: Code.TICKET_MALFORMED,
    Code.UNKNOWN_KEY: Code.TICKET_UNKNOWN_KEY,
    Code.FORGED: Code.TICKET_FORGED,
}


def payload(ticket: Ticket) -> str:
    """The text in the ticket's QR code: signed, with no personal data."""
    offer = ticket.offer
    return signing.sign(ticket.code, offer.slot_id, offer.slot.visit_date, offer.persons)


def qr_svg(ticket: Ticket) -> str:
    return svg(payload(ticket))


def svg(text: str) -> str:
    """A QR code of ``text`` as inline SVG: no image host, prints as drawn."""
    import segno

    qr = segno.make(text, error="m")
    drawn: str = qr.svg_inline(scale=4, border=2, dark="#111", light="#fff")
    return drawn


def may_cancel(ticket: Ticket, now: datetime) -> bool:
    """Still valid, and ``now`` before the cut-off ahead of its visit."""
    return ticket.is_valid and now < ticket.offer.slot.starts_at - settings.TOURDRAW_CANCEL_CUTOFF


def cancel_ticket(
    ticket: Ticket, *, actor: Any, now: datetime | None = None, slot_cancelled: bool = False
) -> Ticket:
    """Cancel before the cut-off; the party's places go down the waitlist.
    ``slot_cancelled``: the session itself was cancelled, so there is no
    cut-off, no waitlist, and the visitor is told why."""
    now = now or timezone.now()
    reason = SLOT_CANCELLED if slot_cancelled else Promotion.Reason.CANCELLED
    with transaction.atomic():
        locked = (
            Ticket.objects.select_for_update(of=("self",))
            .select_related(
                "offer__slot__tour__site", "offer__entry__visitor__user", "offer__entry__round"
            )
            .get(pk=ticket.pk)
        )
        if not locked.is_valid:
            raise TicketError(
                _("This ticket was already cancelled."), code=Code.TICKET_CANCELLED, field="ticket"
            )
        if not slot_cancelled and not may_cancel(locked, now):
            raise TicketError(
                _("Tickets can be cancelled until %(hours)d hours before the visit.")
                % {"hours": settings.TOURDRAW_CANCEL_CUTOFF.total_seconds() // 3600},
                code=Code.CANCEL_TOO_LATE,
                field="ticket",
            )
        locked.state = Ticket.State.CANCELLED
        locked.cancelled_at = now
        locked.save(update_fields=["state", "cancelled_at"])
        log_action("tourdraw.ticket.cancelled", locked, actor=actor, data={"reason": reason})
        if slot_cancelled:
            notices.place_cancelled(locked.offer)
        else:
            notices.ticket_cancelled(locked)
        release(locked.offer, Offer.State.CANCELLED, reason, now=now, actor=actor)
    ticket.refresh_from_db()
    return ticket
