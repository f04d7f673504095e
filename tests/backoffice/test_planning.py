"""Slot planning: the week calendar, adding sessions in bulk and cancelling
them in bulk after one confirmation."""

from datetime import date, time, timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests import support
from tourdraw.audit.models import LogEntry
from tourdraw.backoffice.planning import week_code
from tourdraw.catalog.models import Slot, Tour
from tourdraw.catalog.services import generate_slots
from tourdraw.people.models import User
from tourdraw.visits.models import Offer

pytestmark = pytest.mark.django_db


def _monday(weeks_ahead: int = 3) -> date:
    today = timezone.localdate()
    return today - timedelta(days=today.weekday()) + timedelta(weeks=weeks_ahead)


@pytest.fixture
def tour() -> Tour:
    return support.make_tour()


@pytest.fixture
def operator(client: Client, tour: Tour) -> User:
    user = support.make_staff("op", "site_operator", tour.site)
    support.sign_in_staff(client, user)
    return user


def _plan(client: Client, tour: Tour, **fields: object) -> str:
    monday = _monday()
    data = {
        "tour": tour.pk,
        "weekdays": ["0", "2"],
        "times": "09:30, 14:00",
        "capacity": "40",
        "first_day": monday.isoformat(),
        "last_day": (monday + timedelta(days=13)).isoformat(),
        **fields,
    }
    response = client.post(reverse("backoffice:planning"), data)
    return f"{response.status_code} {response.content.decode()}"


def test_bulk_add_creates_a_session_on_each_ticked_day_at_each_time(
    client: Client, tour: Tour, operator: User
) -> None:
    response = client.post(
        reverse("backoffice:planning"),
        {
            "tour": tour.pk,
            "weekdays": ["0", "2"],
            "times": "09:30, 14:00",
            "capacity": "40",
            "first_day": _monday().isoformat(),
            "last_day": (_monday() + timedelta(days=13)).isoformat(),
        },
    )
    assert response.status_code == 302
    assert response["Location"].endswith(f"?week={week_code(_monday())}")
    slots = list(Slot.objects.filter(tour=tour).order_by("starts_at"))
    # Two weeks, Monday and Wednesday, two times each.
    assert len(slots) == 8
    assert {slot.local_start.weekday() for slot in slots} == {0, 2}
    assert {slot.local_start.time() for slot in slots} == {time(9, 30), time(14, 0)}
    assert {slot.capacity for slot in slots} == {40}
    assert {slot.visit_date for slot in slots} == {
        _monday() + timedelta(days=n) for n in (0, 2, 7, 9)
    }


@pytest.mark.parametrize(
    ("fields", "label", "message"),
    [
        ({"times": "9h30"}, "Times of day", "Write times as HH:MM separated by commas"),
        ({"first_day": "soon"}, "First day", "Write the first day as YYYY-MM-DD."),
        ({"capacity": "0"}, "Capacity (persons)", "Write the capacity as a whole number"),
        ({"weekdays": ["8"]}, "Days of the week", "Select a valid choice"),
        (
            {"last_day": (_monday() - timedelta(days=1)).isoformat()},
            "Last day",
            "The last day is before the first day.",
        ),
        (
            {"last_day": (_monday() + timedelta(days=400)).isoformat()},
            "Last day",
            "A plan spans at most 366 days",
        ),
    ],
)
def test_bulk_add_refuses_bad_input_naming_the_field(
    client: Client, tour: Tour, operator: User, fields: dict[str, object], label: str, message: str
) -> None:
    page = _plan(client, tour, **fields)
    assert page.startswith("400 ")
    assert f"{label}</a>: {message}" in page
    assert not Slot.objects.exists()


def test_bulk_add_refuses_another_sites_tour(client: Client, tour: Tour) -> None:
    other = support.make_site("nio", name="蔚来")
    support.sign_in_staff(client, support.make_staff("nio-op", "site_operator", other))
    page = _plan(client, tour)
    assert page.startswith("400 ")
    assert "Tour</a>: Select a valid choice" in page
    assert not Slot.objects.exists()


def test_the_week_view_shows_the_sessions_of_that_week(
    client: Client, tour: Tour, operator: User
) -> None:
    monday = _monday()
    this_week = generate_slots(
        tour, first_day=monday, last_day=monday + timedelta(days=6), times=[time(10)], capacity=30
    )
    next_week = generate_slots(
        tour, first_day=monday + timedelta(days=7), last_day=monday + timedelta(days=7),
        times=[time(10)], capacity=30,
    )  # fmt: skip
    page = client.get(f"{reverse('backoffice:planning')}?week={week_code(monday)}")
    html = page.content.decode()
    assert page.status_code == 200
    assert f"Week {week_code(monday)}" in html
    assert all(f'id="slot-{slot.pk}"' in html for slot in this_week)
    assert f'id="slot-{next_week[0].pk}"' not in html
    assert "0/30 booked" in html
    assert f"?week={week_code(monday - timedelta(days=7))}" in html
    assert f"?week={week_code(monday + timedelta(days=7))}" in html
    # No cancel button on each session: cancelling goes through the ticked ones.
    assert "/cancel/" not in html.replace(reverse("backoffice:bulk_cancel"), "")


@pytest.mark.parametrize(
    ("week", "message"),
    [("2026-W60", "2026-W60 is not a week of its year."), ("soon", "Write the week as YYYY-Www")],
)
def test_a_bad_week_is_refused_with_a_message(
    client: Client, operator: User, week: str, message: str
) -> None:
    page = client.get(f"{reverse('backoffice:planning')}?week={week}")
    assert page.status_code == 400
    assert message in page.content.decode()


def test_bulk_cancel_confirms_whom_it_reaches_then_cancels_each_through_the_service(
    client: Client,
) -> None:
    _round, slot, entries = support.drawn_round(10, [2, 3], [2])
    empty = generate_slots(
        slot.tour, first_day=slot.visit_date, last_day=slot.visit_date, times=[time(15)],
        capacity=20,
    )[0]  # fmt: skip
    operator = support.make_staff("op", "site_operator", slot.tour.site)
    support.sign_in_staff(client, operator)
    url = reverse("backoffice:bulk_cancel")
    ticked = {"slot": [slot.pk, empty.pk], "week": week_code(slot.visit_date)}

    asked = client.post(url, ticked)
    html = asked.content.decode()
    assert asked.status_code == 200
    assert "Cancelling 2 sessions reaches:" in html
    assert "<dt>Parties with a place (after the draw)</dt><dd>2</dd>" in html
    assert "<dt>Persons with a place</dt><dd>5</dd>" in html
    assert Slot.objects.filter(cancelled_at__isnull=False).count() == 0

    no_reason = client.post(url, {**ticked, "confirmed": "on", "reason": " "})
    assert no_reason.status_code == 400
    assert "Give a reason; it is sent to everyone affected." in no_reason.content.decode()
    assert Slot.objects.filter(cancelled_at__isnull=False).count() == 0

    done = client.post(url, {**ticked, "confirmed": "on", "reason": "Storm warning"})
    assert done.status_code == 302
    assert done["Location"].endswith(f"?week={week_code(slot.visit_date)}")
    assert Slot.objects.filter(cancelled_at__isnull=False).count() == 2
    assert set(Slot.objects.values_list("cancel_reason", flat=True)) == {"Storm warning"}
    logged = LogEntry.objects.filter(action="tourdraw.slot.cancelled")
    assert {(e.object_id, e.actor_id) for e in logged} == {
        (str(slot.pk), operator.pk),
        (str(empty.pk), operator.pk),
    }
    assert set(Offer.objects.filter(entry__in=entries[:2]).values_list("state", flat=True)) == {
        "cancelled"
    }


def test_another_sites_session_cannot_be_ticked(client: Client, tour: Tour) -> None:
    slot = generate_slots(
        tour, first_day=_monday(), last_day=_monday(), times=[time(10)], capacity=30
    )[0]
    other = support.make_site("nio", name="蔚来")
    support.sign_in_staff(client, support.make_staff("nio-op", "site_operator", other))
    response = client.post(
        reverse("backoffice:bulk_cancel"),
        {"slot": [slot.pk], "confirmed": "on", "reason": "x"},
        follow=True,
    )
    assert "A ticked session is no longer open to cancel" in response.content.decode()
    slot.refresh_from_db()
    assert slot.cancelled_at is None
