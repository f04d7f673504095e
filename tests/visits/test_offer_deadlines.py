"""An offer's deadline never comes as it is made: no "you won" and "your place
has gone" messages for the same offer at the same moment."""

from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st
from pytest_django.fixtures import Settings

from tests import support
from tourdraw.catalog.models import Slot
from tourdraw.lottery import rounds
from tourdraw.lottery.entries import enter_round
from tourdraw.lottery.models import Round
from tourdraw.notify.models import OutboxMessage
from tourdraw.people.models import Visitor
from tourdraw.visits import offers
from tourdraw.visits.models import Offer

START = datetime(2027, 1, 20, 1, 30, tzinfo=UTC)


def _topics(offer: Offer) -> set[str]:
    about = OutboxMessage.objects.filter(object_type="visits.offer", object_id=str(offer.pk))
    return set(about.values_list("topic", flat=True))


def _drawn_late(round: Round, visitor: Visitor, hours_before: int) -> tuple[Offer, datetime]:
    """Drawn long after its time (the beacon was late, the worker was down):
    ``hours_before`` the session, inside the offer cut-off."""
    slot = round.slots.order_by("starts_at")[0]
    enter_round(round, visitor, choices=[slot.pk])
    rounds.close_round(round, now=round.closes_at)
    late = slot.starts_at - timedelta(hours=hours_before)
    support.draw_with_beacon(round, now=late)
    return Offer.objects.get(entry__visitor=visitor), late


def test_a_winner_drawn_late_gets_the_minimum_window_not_none(
    round: Round, visitor: Visitor
) -> None:
    offer, drawn_at = _drawn_late(round, visitor, hours_before=20)
    assert offer.created_at == drawn_at
    assert offer.deadline == drawn_at + settings.TOURDRAW_MIN_CONFIRM_WINDOW


def test_no_offer_lapses_in_the_moment_it_is_made(round: Round, visitor: Visitor) -> None:
    offer, drawn_at = _drawn_late(round, visitor, hours_before=20)
    assert offers.expire_due_offers(drawn_at) == 0
    assert Offer.objects.get(pk=offer.pk).state == Offer.State.PENDING
    assert "offer.made" in _topics(offer)
    assert "offer.expired" not in _topics(offer)
    # It lapses at its deadline, later, like any other.
    assert offers.expire_due_offers(offer.deadline) == 1
    assert "offer.expired" in _topics(offer)


def test_a_winner_drawn_in_time_gets_the_full_window(round: Round, visitor: Visitor) -> None:
    offer, drawn_at = _drawn_late(round, visitor, hours_before=24 * 7)
    assert offer.deadline == drawn_at + round.confirm_window


@given(
    window_minutes=st.integers(min_value=1, max_value=72 * 60),
    minutes_before=st.integers(min_value=-3 * 60, max_value=10 * 24 * 60),
)
def test_the_deadline_is_never_within_the_minimum_window_of_the_offer(
    window_minutes: int, minutes_before: int
) -> None:
    round = Round(confirm_window=timedelta(minutes=window_minutes))
    slot = Slot(starts_at=START, ends_at=START + timedelta(hours=2))
    now = START - timedelta(minutes=minutes_before)
    deadline = offers.offer_deadline(round, slot, now)
    shortest = min(round.confirm_window, settings.TOURDRAW_MIN_CONFIRM_WINDOW)
    assert deadline >= now + shortest
    assert deadline <= now + max(round.confirm_window, settings.TOURDRAW_MIN_CONFIRM_WINDOW)
    cutoff = slot.starts_at - settings.TOURDRAW_OFFER_CUTOFF
    if cutoff >= now + shortest:
        assert deadline == min(now + round.confirm_window, cutoff)


def test_a_promotion_just_before_the_waitlist_closes_gets_at_least_the_minimum(
    db: None, settings: Settings
) -> None:
    """Even where the cut-offs leave less than the minimum window between them."""
    _round, slot, entries = support.drawn_round(2, [2], [2])
    now = timezone.now()
    settings.TOURDRAW_PROMOTION_CUTOFF = slot.starts_at - now - timedelta(minutes=1)
    settings.TOURDRAW_OFFER_CUTOFF = settings.TOURDRAW_PROMOTION_CUTOFF - timedelta(hours=1)
    offers.decline_offer(Offer.objects.get(entry=entries[0]), actor=None, now=now)
    promoted = Offer.objects.get(entry=entries[1])
    assert promoted.deadline == now + settings.TOURDRAW_MIN_CONFIRM_WINDOW
    assert offers.expire_due_offers(now + timedelta(hours=1, minutes=5)) == 0
    assert "offer.expired" not in _topics(promoted)
