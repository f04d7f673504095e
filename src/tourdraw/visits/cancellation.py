"""Cancelling a session: everyone affected is told, every place freed or cancelled."""

from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import Count, Sum
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from tourdraw.audit.services import log_action
from tourdraw.catalog.models import Slot
from tourdraw.errors import DomainError
from tourdraw.groups.models import GroupVisit
from tourdraw.lottery.models import Entry, EntryChoice, Round, RoundSlot
from tourdraw.notify import outbox
from tourdraw.visits import capacity
from tourdraw.visits.models import Offer, Ticket
from tourdraw.visits.offers import log_release

# The reason a release names in the public log when its slot is cancelled.
SLOT_CANCELLED = "slot_cancelled"


class CancelError(DomainError):
    pass


def _tell(entry: Entry, topic: str, text: str, params: dict[str, Any], about: Any) -> None:
    visitor = entry.visitor
    with translation.override(visitor.user.language):
        body = _(text) % params
    outbox.enqueue(
        "sms", str(visitor.phone), body, topic=topic, language=visitor.user.language, about=about
    )


# Marked for translation here, translated in each recipient's language when sent.
CHOICE_DROPPED = gettext_noop(
    "tourdraw: the session %(slot)s was cancelled; your entry keeps its other choices."
)
ENTRY_WITHDRAWN = gettext_noop(
    "tourdraw: the session %(slot)s was cancelled; it was your only choice, so your entry "
    "is withdrawn."
)
PLACE_CANCELLED = gettext_noop(
    "tourdraw: the session %(slot)s was cancelled, and your place with it. We are sorry."
)
GROUP_RELEASED = gettext_noop(
    "tourdraw: the session %(slot)s for %(organisation)s was cancelled; the operator will "
    "offer another."
)


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
    if not reason.strip():
        raise CancelError(
            _("Give a reason; it is sent to everyone affected."),
            code="reason_required",
            field="reason",
        )
    limit = Slot._meta.get_field("cancel_reason").max_length or 0
    if len(reason.strip()) > limit:
        raise CancelError(
            _("The reason is at most %(limit)d characters.") % {"limit": limit},
            code="too_long",
            field="reason",
        )
    counts = {
        "choices_dropped": 0,
        "entries_withdrawn": 0,
        "places_cancelled": 0,
        "groups_released": 0,
    }
    with transaction.atomic():
        locked = capacity.lock_slot(slot.pk)
        if locked.cancelled_at is not None:
            raise CancelError(
                _("This session is already cancelled."), code="slot_cancelled", field="slot"
            )
        round = Round.objects.filter(round_slots__slot=locked).first()
        if round is not None and round.state == Round.State.CLOSED:
            raise CancelError(
                _(
                    "Its round is closed and waiting for the draw; cancel the session after "
                    "the draw."
                ),
                code="round_frozen",
                field="slot",
            )
        locked.cancelled_at = now
        locked.cancel_reason = reason.strip()
        locked.save(update_fields=["cancelled_at", "cancel_reason"])
        label = {"slot": locked.label}
        if round is not None and round.state in (Round.State.SCHEDULED, Round.State.OPEN):
            for choice in EntryChoice.objects.filter(
                slot=locked, entry__state=Entry.State.ACTIVE
            ).select_related("entry__visitor__user"):
                entry = choice.entry
                choice.delete()
                remaining = list(entry.choices.order_by("rank"))
                if not remaining:
                    Entry.objects.filter(pk=entry.pk).update(
                        state=Entry.State.WITHDRAWN, withdrawn_at=now
                    )
                    entry.members.update(active=False)
                    _tell(entry, "entry.withdrawn", ENTRY_WITHDRAWN, label, entry)
                    counts["entries_withdrawn"] += 1
                    continue
                for rank, kept in enumerate(remaining, start=1):
                    if kept.rank != rank:
                        EntryChoice.objects.filter(pk=kept.pk).update(rank=rank)
                _tell(entry, "entry.choice_dropped", CHOICE_DROPPED, label, entry)
                counts["choices_dropped"] += 1
            RoundSlot.objects.filter(slot=locked).delete()
        for offer in Offer.objects.filter(slot=locked, state__in=capacity.HOLDING).select_related(
            "entry__visitor__user", "entry__round"
        ):
            Offer.objects.filter(pk=offer.pk).update(state=Offer.State.CANCELLED, decided_at=now)
            Ticket.objects.filter(offer=offer, state=Ticket.State.VALID).update(
                state=Ticket.State.CANCELLED, cancelled_at=now
            )
            _tell(offer.entry, "offer.slot_cancelled", PLACE_CANCELLED, label, offer)
            offer.slot = locked
            log_release(offer, reason=SLOT_CANCELLED, promoted=[], now=now)
            counts["places_cancelled"] += 1
        for group in GroupVisit.objects.filter(slot=locked, state=GroupVisit.State.APPROVED):
            GroupVisit.objects.filter(pk=group.pk).update(
                state=GroupVisit.State.REQUESTED, slot=None
            )
            with translation.override("zh-hans"):
                body = _(GROUP_RELEASED) % {**label, "organisation": group.organisation}
            outbox.enqueue(
                "sms",
                group.contact_phone,
                body,
                topic="group.slot_cancelled",
                language="zh-hans",
                about=group,
            )
            counts["groups_released"] += 1
        log_action(
            "tourdraw.slot.cancelled",
            locked,
            actor=actor,
            data={"reason": reason.strip(), **counts},
        )
    slot.refresh_from_db()
    return counts
