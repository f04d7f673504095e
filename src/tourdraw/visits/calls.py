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


def _listed(offers: Any, site_ids: set[int] | None) -> Any:
    """Offers as the call centre lists them: soonest deadline first, with their
    calls, their failed calls counted, and each entry's ``party``."""
    offers = (
        with_party(offers, through="entry__")
        .select_related("entry__visitor", "slot__tour__site")
        .prefetch_related("calls")
        .annotate(failed=Count("calls", filter=Q(calls__outcome__in=CallAttempt.FAILED)))
        .order_by("deadline", "pk")
    )
    if site_ids is not None:
        offers = offers.filter(slot__tour__site_id__in=site_ids)
    return offers


def queue(site_ids: set[int] | None = None) -> Any:
    """Pending offers still to call, soonest deadline first, with their calls and
    each entry's ``party`` (entries.party_of)."""
    return _listed(Offer.objects.filter(state=Offer.State.PENDING), site_ids)


# The call centre's lists besides the offers' own states: pending offers still
# to call, and those past their failed calls (they only wait to lapse).
TO_CALL = "to_call"
LAPSING = "lapsing"


def find_offers(
    site_ids: set[int] | None,
    *,
    state: str = TO_CALL,
    slot_id: int | None = None,
    code: str = "",
    phone_end: str = "",
) -> Any:
    """The offers an agent looks for: by list or state, session, the start of
    the entry code and the phone number's last digits.

    Phone numbers are encrypted, so no query can match their last digits: the
    numbers of the offers the other filters left (within the agent's sites,
    whose numbers the page shows anyway) are read and compared here. Nothing
    new is stored, so nothing new can leak.
    """
    max_failed = settings.TOURDRAW_MAX_FAILED_CALLS
    if state in (TO_CALL, LAPSING):
        offers = _listed(Offer.objects.filter(state=Offer.State.PENDING), site_ids)
        gave_up = Q(failed__gte=max_failed)
        offers = offers.filter(gave_up if state == LAPSING else ~gave_up)
    else:
        offers = _listed(Offer.objects.filter(state=state), site_ids)
    if slot_id is not None:
        offers = offers.filter(slot_id=slot_id)
    if code:
        offers = offers.filter(entry__code__startswith=code)
    if phone_end:
        phones = offers.prefetch_related(None).values_list("pk", "entry__visitor__phone")
        ends = [pk for pk, phone in phones if (phone or "").endswith(phone_end)]
        offers = offers.filter(pk__in=ends)
    return offers


def gave_up(offer: Any) -> bool:
    """After the configured failed calls, the offer just waits to lapse."""
    return bool(offer.failed >= settings.TOURDRAW_MAX_FAILED_CALLS)
