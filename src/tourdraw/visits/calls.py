"""The call centre: calls to winners, and what each call decided."""

from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from tourdraw.audit.services import log_action
from tourdraw.lottery.entries import with_party
from tourdraw.visits.models import CallAttempt, Offer
from tourdraw.visits.offers import confirm_offer, decline_offer


def record_call(
    offer: Offer, *, agent: Any, outcome: str, note: str = "", now: datetime | None = None
) -> CallAttempt:
    """Log a call; a confirmation or a decline on the phone decides the offer.

    The winner confirms the visit rules to the agent, who reads them out.
    """
    now = now or timezone.now()
    with transaction.atomic():
        if outcome == CallAttempt.Outcome.CONFIRMED:
            confirm_offer(offer, actor=agent, accepted_rules=True, via=Offer.Via.CALL, now=now)
        elif outcome == CallAttempt.Outcome.DECLINED:
            decline_offer(offer, actor=agent, now=now)
        call = CallAttempt.objects.create(
            offer=offer, agent=agent, outcome=outcome, note=note.strip()[:500], created_at=now
        )
        log_action("tourdraw.offer.called", offer, actor=agent, data={"outcome": outcome})
    return call


def queue(site_ids: set[int] | None = None) -> Any:
    """Pending offers still to call, soonest deadline first, with their calls and
    each entry's ``party`` (entries.party_of)."""
    offers = (
        with_party(Offer.objects.filter(state=Offer.State.PENDING), through="entry__")
        .select_related("entry__visitor", "slot__tour__site")
        .prefetch_related("calls")
        .annotate(failed=Count("calls", filter=Q(calls__outcome__in=CallAttempt.FAILED)))
        .order_by("deadline", "pk")
    )
    if site_ids is not None:
        offers = offers.filter(slot__tour__site_id__in=site_ids)
    return offers


def gave_up(offer: Any) -> bool:
    """After the configured failed calls, the offer just waits to lapse."""
    return bool(offer.failed >= settings.TOURDRAW_MAX_FAILED_CALLS)
