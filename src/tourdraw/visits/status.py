"""Where an entry stands, in one line a visitor understands."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from tourdraw.groups.models import GroupVisit
from tourdraw.lottery.entries import choices_of
from tourdraw.lottery.models import DrawOutcome, Entry, Round
from tourdraw.visits.models import CheckIn, Offer
from tourdraw.visits.offers import waitlist_open


@dataclass(frozen=True)
class Status:
    key: str  # a CSS class and a stable name for tests
    label: str


# Rounds whose entries can have no offer yet, nor a place in a draw.
_UNDRAWN = (Round.State.SCHEDULED, Round.State.OPEN, Round.State.CLOSED)


def entry_status(entry: Entry, *, now: datetime | None = None) -> Status:
    return entry_statuses([entry], now=now)[0]


def entry_statuses(entries: Sequence[Entry], *, now: datetime | None = None) -> list[Status]:
    """Each entry's state in words (with its round read), in the same order: the
    offers, tickets, waitlist places and check-ins of them all in three queries.
    Once an entry's sessions are past, what happened there instead of a
    waitlist position or a ticket to come."""
    now = now or timezone.now()
    drawn = [e.pk for e in entries if e.is_active and e.round.state not in _UNDRAWN]
    offers = {
        offer.entry_id: offer
        for offer in Offer.objects.filter(entry__in=drawn).select_related(
            "slot__tour__site", "ticket"
        )
    }
    waiting = _waitlist_positions([pk for pk in drawn if pk not in offers])
    visited = _visited([o for o in offers.values() if o.state == Offer.State.CONFIRMED], now)
    return [
        _status(entry, offers.get(entry.pk), waiting.get(entry.pk), visited, now)
        for entry in entries
    ]


def _visited(confirmed: list[Offer], now: datetime) -> set[int]:
    """The confirmed offers, of sessions already over, whose party came."""
    over = [offer.pk for offer in confirmed if offer.slot.ends_at <= now]
    if not over:
        return set()
    return set(
        CheckIn.objects.filter(ticket__offer__in=over).values_list("ticket__offer", flat=True)
    )


def _waitlist_positions(entry_ids: list[int]) -> dict[int, int]:
    """Each entry's place on its round's waitlist, from 1; an entry the draw
    placed (or that was not in it) is left out."""
    if not entry_ids:
        return {}
    ahead = (
        DrawOutcome.objects.filter(
            round=OuterRef("round"), slot__isnull=True, position__lt=OuterRef("position")
        )
        .order_by()
        .values("round")
        .annotate(n=Count("pk"))
        .values("n")
    )
    outcomes = DrawOutcome.objects.filter(entry__in=entry_ids, slot__isnull=True).annotate(
        ahead=Coalesce(Subquery(ahead), 0)
    )
    return {entry_id: ahead + 1 for entry_id, ahead in outcomes.values_list("entry", "ahead")}


def _status(
    entry: Entry,
    offer: Offer | None,
    waitlist_position: int | None,
    visited: set[int],
    now: datetime,
) -> Status:
    if entry.state == Entry.State.WITHDRAWN:
        return Status("withdrawn", _("withdrawn"))
    round = entry.round
    if round.state in (Round.State.SCHEDULED, Round.State.OPEN):
        return Status(
            "entered", _("entered: the draw is on %(date)s") % {"date": _when(round.draws_at)}
        )
    if round.state == Round.State.CLOSED:
        return Status("closed", _("entries closed: waiting for the draw"))
    if offer is None:
        if waitlist_position is None:
            return Status("not_drawn", _("not drawn"))
        # Once no chosen session can promote any more, a position would only mislead.
        if not any(waitlist_open(choice.slot, now) for choice in choices_of(entry)):
            return Status("not_reached", _("not drawn: the waitlist did not reach you"))
        return Status(
            "waitlist",
            _("not drawn: waitlist position %(position)d") % {"position": waitlist_position},
        )
    if offer.state == Offer.State.PENDING:
        return Status(
            "offer",
            _("place offered: confirm by %(deadline)s") % {"deadline": _when(offer.deadline)},
        )
    if offer.state == Offer.State.CONFIRMED:
        if offer.slot.ends_at <= now:
            return _after_visit(offer, visited)
        return Status("ticket", _("confirmed: ticket for %(slot)s") % {"slot": offer.slot.label})
    ticket = getattr(offer, "ticket", None)
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


def _after_visit(offer: Offer, visited: set[int]) -> Status:
    if offer.pk in visited:
        return Status("visited", _("visited: %(slot)s") % {"slot": offer.slot.label})
    return Status("no_show", _("did not come to %(slot)s") % {"slot": offer.slot.label})


def _when(moment: datetime) -> str:
    return formats.date_format(timezone.localtime(moment), "DATETIME_FORMAT")
