"""Where an entry stands, in one line a visitor understands."""

from dataclasses import dataclass
from datetime import datetime

from django.utils import formats, timezone
from django.utils.translation import gettext as _

from tourdraw.lottery import results
from tourdraw.lottery.models import Entry, Round
from tourdraw.visits import offers
from tourdraw.visits.models import CheckIn, Offer, Ticket


@dataclass(frozen=True)
class Status:
    key: str  # a CSS class and a stable name for tests
    label: str


def entry_status(entry: Entry, *, now: datetime | None = None) -> Status:
    """The entry's state in words; once its sessions are past, what happened
    there instead of a waitlist position or a ticket to come."""
    now = now or timezone.now()
    if entry.state == Entry.State.WITHDRAWN:
        return Status("withdrawn", _("withdrawn"))
    round = entry.round
    if round.state in (Round.State.SCHEDULED, Round.State.OPEN):
        return Status(
            "entered", _("entered: the draw is on %(date)s") % {"date": _when(round.draws_at)}
        )
    if round.state == Round.State.CLOSED:
        return Status("closed", _("entries closed: waiting for the draw"))
    offer = Offer.objects.filter(entry=entry).select_related("slot__tour__site").first()
    if offer is None:
        found = results.lookup(round, entry.code)
        if found is None or found.waitlist_position is None:
            return Status("not_drawn", _("not drawn"))
        # Once no chosen session can promote any more, a position would only mislead.
        if not any(offers.waitlist_open(choice.slot, now) for choice in entry.choices.all()):
            return Status("not_reached", _("not drawn: the waitlist did not reach you"))
        return Status(
            "waitlist",
            _("not drawn: waitlist position %(position)d") % {"position": found.waitlist_position},
        )
    if offer.state == Offer.State.PENDING:
        return Status(
            "offer",
            _("place offered: confirm by %(deadline)s") % {"deadline": _when(offer.deadline)},
        )
    if offer.state == Offer.State.CONFIRMED:
        if offer.slot.ends_at <= now:
            return _after_visit(offer)
        return Status("ticket", _("confirmed: ticket for %(slot)s") % {"slot": offer.slot.label})
    ticket = Ticket.objects.filter(offer=offer).first()
    if ticket is not None and not ticket.is_valid:
        return Status("cancelled", _("ticket cancelled"))
    return Status(offer.state, offer.get_state_display())


def _after_visit(offer: Offer) -> Status:
    if CheckIn.objects.filter(ticket__offer=offer).exists():
        return Status("visited", _("visited: %(slot)s") % {"slot": offer.slot.label})
    return Status("no_show", _("did not come to %(slot)s") % {"slot": offer.slot.label})


def _when(moment):  # type: ignore[no-untyped-def]
    return formats.date_format(timezone.localtime(moment), "DATETIME_FORMAT")
