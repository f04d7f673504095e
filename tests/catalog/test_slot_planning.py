from datetime import date, time, timedelta

import pytest
from django.utils import timezone

from tests.support import (
    draw_with_beacon,
    drawn_round,
    make_round,
    make_site,
    make_slots,
    make_tour,
    request_group,
)
from tourdraw.catalog.models import Slot
from tourdraw.catalog.services import SlotError, generate_slots
from tourdraw.lottery import rounds
from tourdraw.lottery.entries import enter_round
from tourdraw.lottery.models import Entry
from tourdraw.lottery.rounds import RoundError, add_slots, create_round
from tourdraw.notify.models import OutboxMessage
from tourdraw.visits.cancellation import CancelError, cancel_slot
from tourdraw.visits.models import Offer, Ticket
from tourdraw.visits.offers import confirm_offer


def test_slots_are_generated_for_each_day_and_time_in_site_time(db):
    tour = make_tour()
    slots = generate_slots(
        tour,
        first_day=date(2027, 1, 18),
        last_day=date(2027, 1, 20),
        times=[time(13, 30), time(9, 30), time(15, 30)],
        capacity=60,
    )
    assert [s.code for s in slots][:4] == [
        "2027-01-18T09:30",
        "2027-01-18T13:30",
        "2027-01-18T15:30",
        "2027-01-19T09:30",
    ]
    assert len(slots) == 9 and {s.capacity for s in slots} == {60}
    assert slots[0].ends_at - slots[0].starts_at == timedelta(minutes=tour.duration_minutes)


def test_generating_again_adds_no_duplicates(db):
    tour = make_tour()
    generate_slots(
        tour,
        first_day=date(2027, 1, 18),
        last_day=date(2027, 1, 18),
        times=[time(9, 30)],
        capacity=60,
    )
    generate_slots(
        tour,
        first_day=date(2027, 1, 18),
        last_day=date(2027, 1, 19),
        times=[time(9, 30)],
        capacity=60,
    )
    assert Slot.objects.count() == 2


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        (
            {
                "first_day": date(2027, 1, 20),
                "last_day": date(2027, 1, 18),
                "times": [time(9)],
                "capacity": 5,
            },
            "date_range_reversed",
        ),
        (
            {
                "first_day": date(2027, 1, 18),
                "last_day": date(2027, 1, 18),
                "times": [],
                "capacity": 5,
            },
            "times_required",
        ),
        (
            {
                "first_day": date(2027, 1, 18),
                "last_day": date(2027, 1, 18),
                "times": [time(9)],
                "capacity": 0,
            },
            "capacity_invalid",
        ),
    ],
)
def test_slot_generation_explains_bad_input(db, kwargs, code):
    with pytest.raises(SlotError) as error:
        generate_slots(make_tour(), **kwargs)
    assert error.value.code == code


def test_a_slot_added_to_an_open_round_is_in_the_draw(round, visitor):
    extra = make_slots(round.tour, timezone.localdate() + timedelta(days=30))[0]
    assert add_slots(round, [extra], actor=None) == 1
    enter_round(round, visitor, choices=[extra.pk])
    rounds.close_round(round, now=timezone.now())
    record = draw_with_beacon(round).record
    assert extra.code in record
    assert Offer.objects.get().slot == extra


def test_no_slot_is_added_after_close_or_twice_across_rounds(round):
    extra = make_slots(round.tour, timezone.localdate() + timedelta(days=30))[0]
    other = make_round(round.tour, code="other", slots=[])
    add_slots(other, [extra], actor=None)
    with pytest.raises(RoundError) as error:
        add_slots(round, [extra], actor=None)
    assert error.value.code == "slot_in_another_round"
    rounds.close_round(round, now=timezone.now())
    with pytest.raises(RoundError) as closed:
        add_slots(
            round, make_slots(round.tour, timezone.localdate() + timedelta(days=31)), actor=None
        )
    assert closed.value.code == "round_closed"


def test_a_round_is_created_as_a_copy_of_an_earlier_one(db):
    round = make_round(open_now=False)
    round.priority = "minors"
    round.repeat_weight_days = 60
    round.save()
    now = timezone.now()
    copy = create_round(
        round.tour,
        code="round-2",
        title="第2轮",
        opens_at=now + timedelta(days=1),
        closes_at=now + timedelta(days=3),
        draws_at=now + timedelta(days=3),
        slots=make_slots(round.tour, timezone.localdate() + timedelta(days=40)),
        actor=None,
        copy_of=round,
    )
    assert (copy.priority, copy.repeat_weight_days, copy.state) == ("minors", 60, "scheduled")
    assert copy.slots.count() == 2


def test_cancelling_a_slot_before_the_draw_drops_the_choice_and_tells_the_entrant(
    round, visitor, other_visitor
):
    first, second = round.slots.order_by("starts_at")[:2]
    keeps = enter_round(round, visitor, choices=[first.pk, second.pk])
    loses = enter_round(round, other_visitor, choices=[first.pk])
    counts = cancel_slot(first, reason="Line maintenance", actor=None)
    assert counts["choices_dropped"] == 1 and counts["entries_withdrawn"] == 1
    assert [c.slot for c in keeps.choices.all()] == [second]
    assert keeps.choices.get().rank == 1
    assert Entry.objects.get(pk=loses.pk).state == Entry.State.WITHDRAWN
    assert first not in round.slots.all()
    assert (
        OutboxMessage.objects.filter(topic__in=["entry.choice_dropped", "entry.withdrawn"]).count()
        == 2
    )


def test_cancelling_a_slot_after_the_draw_cancels_offers_tickets_and_group_places(db):
    group = request_group(make_site(), 4, organisation="学校")
    _, slot, entries = drawn_round(10, [2, 2], [], group=group)
    ticket = confirm_offer(
        Offer.objects.get(entry=entries[0]), actor=None, accepted_rules=True, via="online"
    )
    counts = cancel_slot(slot, reason="Power cut", actor=None)
    assert counts == {
        "choices_dropped": 0,
        "entries_withdrawn": 0,
        "places_cancelled": 2,
        "groups_released": 1,
    }
    assert not Ticket.objects.get(pk=ticket.pk).is_valid
    assert set(Offer.objects.values_list("state", flat=True)) == {"cancelled"}
    group.refresh_from_db()
    assert (group.state, group.slot) == ("requested", None)
    assert OutboxMessage.objects.filter(topic="offer.slot_cancelled").count() == 2
    assert OutboxMessage.objects.filter(topic="group.slot_cancelled").count() == 1


def test_a_slot_cannot_be_cancelled_while_its_round_waits_for_the_draw(round):
    rounds.close_round(round, now=timezone.now())
    with pytest.raises(CancelError) as error:
        cancel_slot(round.slots.first(), reason="x", actor=None)
    assert error.value.code == "round_frozen"
