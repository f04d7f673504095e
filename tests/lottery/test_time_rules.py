"""A round is refused when its draw leaves its first session too little time for
the winners to confirm and the waitlist to fill what they let lapse."""

from datetime import datetime, time, timedelta

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import formats, timezone

from tests import support
from tourdraw.catalog.models import Slot, Tour
from tourdraw.catalog.services import generate_slots
from tourdraw.lottery import rounds
from tourdraw.lottery.models import Round

API = "/api/v1"


def _slot_at(tour: Tour, moment: datetime) -> Slot:
    local = timezone.localtime(moment, tour.site.tzinfo)
    return generate_slots(
        tour,
        first_day=local.date(),
        last_day=local.date(),
        times=[time(local.hour, local.minute)],
        capacity=10,
    )[0]


def _needed(round: Round) -> timedelta:
    return round.confirm_window + settings.TOURDRAW_PROMOTION_CUTOFF


def _schedule(tour: Tour, slots: list[Slot], *, draws_in: timedelta) -> Round:
    now = timezone.now()
    return rounds.create_round(
        tour,
        code="winter-1",
        title="寒假场",
        opens_at=now + timedelta(days=1),
        closes_at=now + draws_in - timedelta(hours=1),
        draws_at=now + draws_in,
        slots=slots,
        actor=None,
    )


def _move(slot: Slot, starts_at: datetime) -> Slot:
    """The session moved after the round was scheduled (a line stop, a holiday)."""
    length = slot.ends_at - slot.starts_at
    Slot.objects.filter(pk=slot.pk).update(starts_at=starts_at, ends_at=starts_at + length)
    slot.refresh_from_db()
    return slot


def test_it_refuses_to_schedule_a_round_drawn_a_day_before_its_session(db: None) -> None:
    tour = support.make_tour()
    too_close = _slot_at(tour, timezone.now() + timedelta(days=4))
    with pytest.raises(rounds.RoundError) as refused:
        _schedule(tour, [too_close], draws_in=timedelta(days=3))
    assert refused.value.code == "too_close_to_session"
    assert refused.value.field == "slots"
    message = str(refused.value)
    assert too_close.label in message
    local_start = timezone.localtime(too_close.starts_at, tour.site.tzinfo)
    assert formats.date_format(local_start, "DATETIME_FORMAT") in message
    assert "48 h to confirm" in message and "26 h after that" in message
    assert not Round.objects.filter(code="winter-1").exists()


def test_a_round_whose_draw_leaves_the_full_window_is_scheduled(db: None) -> None:
    tour = support.make_tour()
    now = timezone.now()
    draw = now + timedelta(days=3)
    window = Round._meta.get_field("confirm_window").default
    slot = _slot_at(tour, draw + window + settings.TOURDRAW_PROMOTION_CUTOFF + timedelta(hours=1))
    round = _schedule(tour, [slot], draws_in=timedelta(days=3))
    assert list(round.slots.all()) == [slot]


def test_the_first_session_decides_whatever_the_order_given(db: None) -> None:
    tour = support.make_tour()
    later = _slot_at(tour, timezone.now() + timedelta(days=20))
    first = _slot_at(tour, timezone.now() + timedelta(days=3, hours=12))
    with pytest.raises(rounds.RoundError) as refused:
        _schedule(tour, [later, first], draws_in=timedelta(days=2))
    assert first.label in str(refused.value)


def test_a_session_too_close_cannot_be_added_to_an_open_round(round: Round) -> None:
    extra = _slot_at(round.tour, round.draws_at + _needed(round) - timedelta(hours=1))
    with pytest.raises(rounds.RoundError) as refused:
        rounds.add_slots(round, [extra], actor=None)
    assert refused.value.code == "too_close_to_session"
    assert extra not in round.slots.all()


def test_a_round_whose_session_moved_too_close_is_not_closed(round: Round) -> None:
    first = round.slots.order_by("starts_at")[0]
    _move(first, round.draws_at + timedelta(hours=30))
    with pytest.raises(rounds.RoundError) as refused:
        rounds.close_round(round, now=timezone.now())
    assert refused.value.code == "too_close_to_session"
    assert first.label in str(refused.value)
    assert Round.objects.get(pk=round.pk).state == Round.State.OPEN


def test_a_round_closed_early_is_still_closed(round: Round) -> None:
    assert round.closes_at > timezone.now() + timedelta(days=1)
    assert rounds.close_round(round, now=timezone.now())
    assert Round.objects.get(pk=round.pk).state == Round.State.CLOSED


def test_a_cancelled_session_does_not_hold_up_the_close(round: Round) -> None:
    first = _move(round.slots.order_by("starts_at")[0], round.draws_at + timedelta(hours=30))
    Slot.objects.filter(pk=first.pk).update(cancelled_at=timezone.now())
    assert rounds.close_round(round, now=timezone.now())


def test_a_round_closed_late_counts_from_the_close(round: Round) -> None:
    """A worker that was down closes late: the draw can be no earlier than then."""
    first = round.slots.order_by("starts_at")[0]
    late = first.starts_at - _needed(round) + timedelta(minutes=1)
    assert late > round.draws_at
    with pytest.raises(rounds.RoundError):
        rounds.close_round(round, now=late)


def test_the_worker_closes_the_other_rounds_and_leaves_the_refused_one_open(db: None) -> None:
    now = timezone.now()
    opens_at, closes_at = now - timedelta(days=2), now - timedelta(minutes=1)
    fine = support.make_round(opens_at=opens_at, closes_at=closes_at)
    moved_tour = support.make_tour(code="night-tour")
    moved = support.make_round(moved_tour, code="moved", opens_at=opens_at, closes_at=closes_at)
    _move(moved.slots.order_by("starts_at")[0], now + timedelta(hours=30))
    assert rounds.close_due_rounds(now) == 1
    assert Round.objects.get(pk=fine.pk).state == Round.State.CLOSED
    assert Round.objects.get(pk=moved.pk).state == Round.State.OPEN


def test_the_back_office_form_shows_why(client: Client, db: None) -> None:
    tour = support.make_tour()
    slot = _slot_at(tour, timezone.now() + timedelta(days=4))
    support.sign_in_staff(client, support.make_staff("op", "site_operator", tour.site))
    now = timezone.localtime()
    page = client.post(
        reverse("backoffice:round_create"),
        {
            "tour": tour.pk,
            "code": "winter-1",
            "title": "寒假场",
            "opens_at": (now + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M"),
            "closes_at": (now + timedelta(days=3)).strftime("%Y-%m-%dT%H:%M"),
            "draws_at": (now + timedelta(days=3, hours=1)).strftime("%Y-%m-%dT%H:%M"),
            "slot": [slot.pk],
        },
        follow=True,
    )
    assert page.status_code == 400
    assert "too close to the draw" in page.content.decode()
    assert not Round.objects.filter(code="winter-1").exists()


def test_the_api_close_answers_400_with_the_reason(client: Client, round: Round) -> None:
    first = _move(round.slots.order_by("starts_at")[0], round.draws_at + timedelta(hours=30))
    operator = support.api_token_headers(support.make_staff("op", "site_operator", round.tour.site))
    response = client.post(
        f"{API}/operator/rounds/{round.code}/close",
        HTTP_AUTHORIZATION=operator["HTTP_AUTHORIZATION"],
    )
    assert response.status_code == 400
    assert response.json()["code"] == "too_close_to_session"
    assert first.label in response.json()["message"]
