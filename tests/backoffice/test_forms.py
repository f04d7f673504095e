"""Every back-office form: a valid post does what it says, and bad input gets
the page back with a message naming what is wrong (or a 400/404), never a 500."""

import json
from collections.abc import Callable
from datetime import date, datetime, timedelta

import pytest
from django.http import HttpResponse, HttpResponseBase
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import totp

from tests import support
from tourdraw.catalog.models import Site, Slot
from tourdraw.groups.models import GroupVisit
from tourdraw.lottery.models import Round
from tourdraw.people import crypto, second_factor
from tourdraw.people.models import IdentityClaim, User, Visitor
from tourdraw.visits import tickets
from tourdraw.visits.models import CallAttempt, CheckIn, Offer, Ticket
from tourdraw.visits.offers import confirm_offer

SignIn = Callable[[User], Client]


def _text(response: HttpResponseBase) -> str:
    assert isinstance(response, HttpResponse)
    return response.content.decode()


def _local(moment: datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


@pytest.fixture
def operator(signed_in: SignIn, site_operator: User) -> Client:
    return signed_in(site_operator)


# Rounds


def test_closing_a_round_early_freezes_its_entries(operator: Client, round: Round) -> None:
    url = reverse("backoffice:round_action", args=[round.pk])
    done = operator.post(url, {"action": "close", "confirm": "yes"}, follow=True)
    assert "Closed early: the entries are frozen." in _text(done)
    assert Round.objects.get(pk=round.pk).state == Round.State.CLOSED
    again = operator.post(url, {"action": "close", "confirm": "yes"}, follow=True)
    assert "only an open round can be closed." in _text(again)


def test_an_open_round_is_not_drawn(operator: Client, round: Round) -> None:
    url = reverse("backoffice:round_action", args=[round.pk])
    refused = operator.post(url, {"action": "draw"}, follow=True)
    assert "A round is drawn only after it closes." in _text(refused)
    assert Round.objects.get(pk=round.pk).state == Round.State.OPEN


def test_sessions_are_added_to_an_open_round(operator: Client, round: Round) -> None:
    day = timezone.localdate() + timedelta(days=30)
    free = support.make_slots(round.tour, day)
    url = reverse("backoffice:round_action", args=[round.pk])
    done = operator.post(url, {"action": "add_slots", "slot": [s.pk for s in free]}, follow=True)
    assert "2 sessions added." in _text(done)
    assert round.slots.filter(pk__in=[s.pk for s in free]).count() == 2


def test_a_round_action_is_only_posted(operator: Client, round: Round) -> None:
    assert operator.get(reverse("backoffice:round_action", args=[round.pk])).status_code == 405


def _round_form(site: Site) -> dict[str, object]:
    tour = support.make_tour(site)
    slots = support.make_slots(tour, timezone.localdate() + timedelta(days=40))
    now = timezone.now()
    return {
        "tour": tour.pk,
        "code": "winter-1",
        "title": "寒假场",
        "opens_at": _local(now + timedelta(days=1)),
        "closes_at": _local(now + timedelta(days=5)),
        "draws_at": _local(now + timedelta(days=5, hours=1)),
        "slot": [s.pk for s in slots],
    }


def test_a_round_is_scheduled_with_its_sessions(operator: Client, site: Site) -> None:
    response = operator.post(reverse("backoffice:round_create"), _round_form(site), follow=True)
    round = Round.objects.get(code="winter-1")
    assert "Round scheduled." in _text(response)
    assert round.slots.count() == 2 and round.state == Round.State.SCHEDULED


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"closes_at": ""}, "This field is required."),
        ({"opens_at": "soon"}, "Enter a valid date/time."),
        ({"code": "winter 1/2"}, "A round code has at most 80 letters, digits, hyphens"),
        ({"code": "w" * 81}, "Ensure this value has at most 80 characters"),
        (
            {"closes_at": _local(timezone.now() + timedelta(hours=12))},
            "Entries must open before they close, and the draw comes after closing.",
        ),
    ],
)
def test_a_bad_round_form_comes_back_with_what_is_wrong(
    operator: Client, site: Site, change: dict[str, str], message: str
) -> None:
    form = {**_round_form(site), **change}
    response = operator.post(reverse("backoffice:round_create"), form)
    assert response.status_code == 400
    assert message in _text(response)
    assert not Round.objects.filter(code=form["code"]).exists()


def test_a_round_for_another_sites_tour_is_not_found(
    signed_in: SignIn, other_site_operator: User, site: Site
) -> None:
    client = signed_in(other_site_operator)
    form = _round_form(site)
    # Another site's tour is not among the form's choices: refused with a message.
    for posted in (form, {"tour": "x"}):
        response = client.post(reverse("backoffice:round_create"), posted)
        assert response.status_code == 400
        assert "Select a valid choice" in _text(response)
    assert not Round.objects.exists()


# Slot planning


def test_sessions_are_planned_for_a_range_of_days(operator: Client, site: Site) -> None:
    tour = support.make_tour(site)
    day = timezone.localdate() + timedelta(days=40)
    form = {
        "tour": tour.pk,
        "first_day": day.isoformat(),
        "last_day": (day + timedelta(days=2)).isoformat(),
        "times": "09:30, 13:30",
        "capacity": "60",
    }
    done = operator.post(reverse("backoffice:planning"), form, follow=True)
    assert "6 sessions in the plan." in _text(done)
    assert set(tour.slots.values_list("capacity", flat=True)) == {60}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"first_day": "soon"}, "Write the first day as YYYY-MM-DD."),
        ({"times": "half past nine"}, "Write times as HH:MM separated by commas"),
        ({"capacity": "many"}, "Write the capacity as a whole number of persons, 1 to 10000."),
        ({"capacity": "0"}, "Write the capacity as a whole number of persons, 1 to 10000."),
        ({"times": ""}, "This field is required."),
        ({"last_day": "2000-01-01"}, "The last day is before the first day."),
    ],
)
def test_a_bad_plan_comes_back_with_what_is_wrong(
    operator: Client, site: Site, change: dict[str, str], message: str
) -> None:
    tour = support.make_tour(site)
    day = timezone.localdate() + timedelta(days=40)
    form = {
        "tour": str(tour.pk),
        "first_day": day.isoformat(),
        "last_day": day.isoformat(),
        "times": "09:30",
        "capacity": "60",
        **change,
    }
    response = operator.post(reverse("backoffice:planning"), form, follow=True)
    assert response.status_code == 400
    assert message in _text(response)
    assert not tour.slots.exists()


def test_a_cancelled_session_tells_its_visitors(operator: Client) -> None:
    _, slot, _ = support.drawn_round(4, [2], [])
    url = reverse("backoffice:slot_cancel", args=[slot.pk])
    blank = operator.post(url, {"reason": " "}, follow=True)
    assert "Give a reason; it is sent to everyone affected." in _text(blank)
    assert Slot.objects.get(pk=slot.pk).cancelled_at is None
    asked = operator.post(url, {"reason": "Line maintenance"}, follow=True)
    assert "Cancel the session" in _text(asked)
    assert Slot.objects.get(pk=slot.pk).cancelled_at is None
    done = operator.post(url, {"reason": "Line maintenance", "confirm": "yes"}, follow=True)
    assert "Cancelled; 1 people told." in _text(done)
    assert Slot.objects.get(pk=slot.pk).cancelled_at is not None


# Call centre


@pytest.fixture
def agent(signed_in: SignIn, call_centre_agent: User) -> Client:
    return signed_in(call_centre_agent)


def test_a_call_is_recorded_with_its_outcome(agent: Client) -> None:
    _, _, entries = support.drawn_round(4, [2], [])
    offer = Offer.objects.get(entry=entries[0])
    url = reverse("backoffice:record_call", args=[offer.pk])
    done = agent.post(url, {"outcome": "no_answer", "note": "try after 6pm"}, follow=True)
    assert f"Call to {entries[0].code} recorded: no answer." in _text(done)
    assert CallAttempt.objects.get(offer=offer).note == "try after 6pm"


@pytest.mark.parametrize("outcome", ["", "hung up", "CONFIRMED"])
def test_a_call_without_a_known_outcome_is_not_recorded(agent: Client, outcome: str) -> None:
    _, _, entries = support.drawn_round(4, [2], [])
    offer = Offer.objects.get(entry=entries[0])
    url = reverse("backoffice:record_call", args=[offer.pk])
    response = agent.post(url, {"outcome": outcome}, follow=True)
    assert "Choose how the call went." in _text(response)
    assert not CallAttempt.objects.exists()


def _dispute_form() -> dict[str, str]:
    """The other visitor (signed in with 13900000002) shows the visitor's ID card."""
    return {
        "phone": "13900000002",
        "id_type": "cn_resident",
        "id_number": support.resident_id(date(1985, 3, 14)),
        "evidence": "Card seen on a video call.",
    }


def test_a_caller_is_given_the_id_document_they_prove_is_theirs(
    agent: Client, visitor: Visitor, other_visitor: Visitor
) -> None:
    form = _dispute_form()
    asked = agent.post(reverse("backoffice:identity_dispute"), form)
    # First what it takes from the account that registered it; nothing moves yet.
    assert "Move this ID document to" in _text(asked)
    assert "of its entries naming it are voided" in _text(asked)
    assert _claim_of_the_disputed_document().visitor == visitor
    done = agent.post(
        reverse("backoffice:identity_dispute"), {**form, "confirm": "yes"}, follow=True
    )
    assert "The document now belongs to" in _text(done)
    assert _claim_of_the_disputed_document().visitor == other_visitor


def _claim_of_the_disputed_document() -> IdentityClaim:
    disputed = support.resident_id(date(1985, 3, 14))
    return IdentityClaim.objects.get(id_hash=crypto.id_hash("cn_resident", disputed))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"phone": ""}, "This field is required."),
        ({"evidence": ""}, "This field is required."),
        ({"id_type": "library_card"}, "Select a valid choice."),
        ({"phone": "13900009999"}, "No visitor has signed in with this number."),
        ({"evidence": "   "}, "This field is required."),
    ],
)
def test_a_bad_dispute_form_comes_back_with_what_is_wrong(
    agent: Client, visitor: Visitor, other_visitor: Visitor, change: dict[str, str], message: str
) -> None:
    form = {**_dispute_form(), **change}
    response = agent.post(reverse("backoffice:identity_dispute"), form)
    assert response.status_code == 400
    assert message in _text(response)
    assert _claim_of_the_disputed_document().visitor == visitor


# Gate


@pytest.fixture
def ticket(db: None) -> Ticket:
    """A confirmed ticket for a session whose arrival window is open now."""
    _, slot, entries = support.drawn_round(6, [2], [])
    site = slot.tour.site
    site.arrival_opens_minutes = 60 * 24 * 15  # the session is ten days ahead
    site.save()
    return confirm_offer(
        Offer.objects.get(entry=entries[0]), actor=None, accepted_rules=True, via="online"
    )


@pytest.fixture
def gate_client(signed_in: SignIn, gate_staff: User) -> Client:
    return signed_in(gate_staff)


def test_the_gate_name_chosen_is_kept_for_the_shift(gate_client: Client, ticket: Ticket) -> None:
    gate_client.post(reverse("backoffice:gate_slots"), {"gate_name": "  East gate  "})
    page = gate_client.get(reverse("backoffice:gate", args=[ticket.offer.slot_id]))
    assert "East gate" in _text(page)


def test_a_scanned_ticket_shows_its_party_then_checks_it_in(
    gate_client: Client, ticket: Ticket
) -> None:
    slot_id = ticket.offer.slot_id
    code = tickets.payload(ticket)
    scan = gate_client.post(reverse("backoffice:gate", args=[slot_id]), {"code": code})
    member = ticket.offer.entry.members.order_by("position").first()
    assert member is not None
    assert member.person.id_masked in _text(scan)
    members = [str(m.pk) for m in ticket.offer.entry.members.all()]
    done = gate_client.post(
        reverse("backoffice:gate_check_in", args=[slot_id]),
        {"code": code, "member": members, "nonce": "n1"},
        follow=True,
    )
    assert "2 checked in." in _text(done)
    assert CheckIn.objects.filter(ticket=ticket).count() == 2


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"code": "not-a-ticket"}, "Not a valid ticket code"),
        (
            {"id_type": "cn_resident", "id_number": support.resident_id(date(1950, 1, 1))},
            "No ticket for this session names this ID document.",
        ),
    ],
)
def test_a_bad_ticket_at_the_gate_is_refused_saying_why(
    gate_client: Client, ticket: Ticket, form: dict[str, str], message: str
) -> None:
    slot_id = ticket.offer.slot_id
    scan = gate_client.post(reverse("backoffice:gate", args=[slot_id]), form)
    assert scan.status_code == 200 and message in _text(scan)
    done = gate_client.post(reverse("backoffice:gate_check_in", args=[slot_id]), form, follow=True)
    assert message in _text(done)
    assert not CheckIn.objects.exists()


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("{not json", "The body is not JSON."),
        ("[]", "Send {device, checkins: [...]} as JSON."),
        ('{"device": "x"}', "Send {device, checkins: [...]} as JSON."),
        ('{"device": 7, "checkins": []}', "A device is text of at most 100 characters."),
    ],
)
def test_a_bad_offline_upload_gets_400_saying_why(
    gate_client: Client, ticket: Ticket, body: str, message: str
) -> None:
    url = reverse("backoffice:gate_sync", args=[ticket.offer.slot_id])
    response = gate_client.post(url, body, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["message"] == message


def test_an_empty_offline_upload_is_accepted_as_nothing(
    gate_client: Client, ticket: Ticket
) -> None:
    url = reverse("backoffice:gate_sync", args=[ticket.offer.slot_id])
    body = json.dumps({"device": "tablet-1", "checkins": []})
    response = gate_client.post(url, body, content_type="application/json")
    assert response.status_code == 200
    assert response.json()["accepted"] == 0


# Groups


def test_an_operator_approves_a_group_into_a_session(operator: Client, site: Site) -> None:
    day = timezone.localdate() + timedelta(days=20)
    slot = support.make_slots(support.make_tour(site), day)[0]
    group = support.request_group(site, 3)
    url = reverse("backoffice:group", args=[group.pk])
    done = operator.post(url, {"decision": "approve", "slot": slot.pk}, follow=True)
    assert "Approved: the places are kept." in _text(done)
    group.refresh_from_db()
    assert group.state == GroupVisit.State.APPROVED and group.slot == slot


def test_an_approval_without_a_session_of_the_site_is_not_found(
    operator: Client, other_site: Site
) -> None:
    _, slot, _ = support.drawn_round(10, [2], [])
    group = support.request_group(slot.tour.site, 3)
    elsewhere = support.make_slots(support.make_tour(other_site), slot.visit_date)[0]
    url = reverse("backoffice:group", args=[group.pk])
    for chosen in ("", "x", str(elsewhere.pk)):
        assert operator.post(url, {"decision": "approve", "slot": chosen}).status_code == 400
    assert GroupVisit.objects.get(pk=group.pk).state == GroupVisit.State.REQUESTED


def test_a_group_is_declined_only_with_a_reason(operator: Client, site: Site) -> None:
    group = support.request_group(site, 3)
    url = reverse("backoffice:group", args=[group.pk])
    blank = operator.post(url, {"decision": "decline", "reason": " "}, follow=True)
    assert "Give the group a reason." in _text(blank)
    assert GroupVisit.objects.get(pk=group.pk).state == GroupVisit.State.REQUESTED
    form = {"decision": "decline", "reason": "Fully booked", "confirm": "yes"}
    done = operator.post(url, form, follow=True)
    assert "Declined." in _text(done)
    assert GroupVisit.objects.get(pk=group.pk).decline_reason == "Fully booked"


def test_an_approved_groups_members_are_checked_in_at_the_gate(
    gate_client: Client, site: Site
) -> None:
    from tourdraw.groups import services

    site.arrival_opens_minutes = 60 * 24 * 15  # the session is ten days ahead
    site.save()
    group = support.request_group(site, 2)
    _, slot, _ = support.drawn_round(6, [2], [], group=group)
    group.refresh_from_db()
    header = "full_name,id_type,id_number,birth_date\n"
    members = services.upload_members(
        group, header + f"李明,cn_resident,{support.resident_id(date(2005, 1, 1))},\n"
    )
    url = reverse("backoffice:gate_group_check_in", args=[slot.pk, group.pk])
    done = gate_client.post(url, {"member": [members[0].pk]}, follow=True)
    assert "1 checked in." in _text(done)
    assert group.members.get().checked_in_at is not None


# Sign-in


def test_a_wrong_first_code_does_not_enrol_the_second_factor(
    client: Client, site_operator: User
) -> None:
    client.force_login(site_operator)
    wrong = client.post(reverse("backoffice:enrol"), {"token": "000000"})
    assert wrong.status_code == 200
    assert "That code is not the one the app shows." in _text(wrong)
    assert not second_factor.is_enrolled(site_operator)


def test_a_wrong_password_brings_the_sign_in_form_back(client: Client, site_operator: User) -> None:
    response = client.post(
        reverse("backoffice:login"), {"username": "op", "password": "not-the-password"}
    )
    assert response.status_code == 200
    assert "Please enter a correct username and password." in _text(response)
    assert "_auth_user_id" not in client.session


def test_the_first_code_from_the_app_enrols_the_second_factor(
    client: Client, site_operator: User
) -> None:
    client.force_login(site_operator)
    url = reverse("backoffice:enrol")
    pending = second_factor.pending_device(site_operator)
    done = client.post(url, {"token": f"{totp(pending.bin_key):06d}"})
    assert "Recovery codes" in _text(done)
    assert second_factor.is_enrolled(site_operator)


@pytest.mark.parametrize(
    ("token", "message"),
    [
        ("12", "Type the six digits the app shows, or a recovery code."),
        ("12 34 56", "Type the six digits the app shows, or a recovery code."),
        ("000000", "That code is not right, or too many wrong codes were typed"),
    ],
)
def test_a_wrong_second_factor_code_is_refused_saying_why(
    signed_in: SignIn, site_operator: User, token: str, message: str
) -> None:
    client = signed_in(site_operator)
    client.logout()
    client.force_login(site_operator)
    response = client.post(reverse("backoffice:second_factor"), {"token": token})
    assert response.status_code == 200
    assert message in _text(response)
    assert client.get(reverse("backoffice:index")).status_code == 302
