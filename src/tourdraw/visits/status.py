"""Where an entry stands, in one line a visitor understands."""

from dataclasses import dataclass

from django.utils import formats, timezone
from django.utils.translation import gettext as _

from tourdraw.groups.models import GroupVisit
from tourdraw.lottery import results
from tourdraw.lottery.models import Entry, Round
from tourdraw.visits.models import Offer, Ticket


@dataclass(frozen=True)
class Status:
    key: str  # a CSS class and a stable name for tests
    label: str


def entry_status(entry: Entry) -> Status:
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
        return Status("ticket", _("confirmed: ticket for %(slot)s") % {"slot": offer.slot.label})
    ticket = Ticket.objects.filter(offer=offer).first()
    if ticket is not None and not ticket.is_valid:
        return Status("cancelled", _("ticket cancelled"))
    return Status(offer.state, offer.get_state_display())


def group_status(group: GroupVisit) -> Status:
    """A group request's state, for the organiser's list of entries."""
    if group.state == GroupVisit.State.APPROVED and group.slot is not None:
        return Status("group_approved", _("approved for %(slot)s") % {"slot": group.slot.label})
    if group.state == GroupVisit.State.DECLINED:
        return Status(
            "group_declined", _("declined: %(reason)s") % {"reason": group.decline_reason}
        )
    return Status("group_requested", _("requested: waiting for the operator's decision"))


def _when(moment):  # type: ignore[no-untyped-def]
    return formats.date_format(timezone.localtime(moment), "DATETIME_FORMAT")
