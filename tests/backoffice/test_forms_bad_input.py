"""Every back-office form and query string refuses bad input with its page
again, a 400 and the field's message: never a 500, never silently ignored."""

from dataclasses import dataclass

import pytest
from django.test import Client
from django.urls import reverse

from tests import support
from tourdraw.catalog.models import Slot, Tour
from tourdraw.groups.models import GroupVisit
from tourdraw.lottery.models import Round
from tourdraw.visits.models import CallAttempt, Offer

LONG_NOTE = "x" * 501
# Past the database's integer: refused by the form, not overflowing in the query.
HUGE = "9" * 20


@dataclass
class World:
    offer: Offer
    slot: Slot
    tour: Tour
    requested: GroupVisit
    approved: GroupVisit


@pytest.fixture
def world(db: None, client: Client) -> World:
    site = support.make_site()
    approved = support.request_group(site, 2, organisation="学校")
    _, slot, entries = support.drawn_round(10, [2, 2], [2], group=approved)
    requested = support.request_group(site, 2, organisation="另一个团")
    support.sign_in_staff(client, support.make_staff("op", "site_operator", site))
    return World(
        offer=Offer.objects.get(entry=entries[0]),
        slot=slot,
        tour=slot.tour,
        requested=requested,
        approved=GroupVisit.objects.get(pk=approved.pk),
    )


Form = dict[str, str | int | list[str]]
Case = tuple[str, str, Form, str]


def _round_form(world: World, **changes: str) -> Form:
    good: Form = {
        "tour": world.tour.pk,
        "code": "winter-1",
        "title": "寒假场",
        "opens_at": "2030-01-01T09:00",
        "closes_at": "2030-01-05T09:00",
        "draws_at": "2030-01-05T10:00",
    }
    return {**good, **changes}


def _cases(w: World) -> list[Case]:
    """(method, url, input, the message the page must show)."""
    calls = reverse("backoffice:call_centre")
    record = reverse("backoffice:record_call", args=[w.offer.pk])
    dispute = reverse("backoffice:identity_dispute")
    gate = reverse("backoffice:gate", args=[w.slot.pk])
    check_in = reverse("backoffice:gate_check_in", args=[w.slot.pk])
    group_check_in = reverse("backoffice:gate_group_check_in", args=[w.slot.pk, w.approved.pk])
    group = reverse("backoffice:group", args=[w.requested.pk])
    new_round = reverse("backoffice:round_create")
    return [
        ("get", calls, {"page": "x"}, "Enter a whole number."),
        ("get", calls, {"page": "0"}, "greater than or equal to 1"),
        ("get", calls, {"code": "<script>"}, "An entry code has up to 10 letters"),
        ("get", calls, {"code": "A" * 11}, "An entry code has up to 10 letters"),
        ("get", calls, {"phone": "12"}, "Type the last 4 digits of the phone number."),
        ("get", calls, {"phone": "12ab"}, "Type the last 4 digits of the phone number."),
        ("get", calls, {"state": "won"}, "Select a valid choice."),
        ("get", calls, {"slot": "x"}, "Select a valid choice."),
        ("get", calls, {"slot": "99999999"}, "Select a valid choice."),
        ("get", calls, {"slot": HUGE}, "Select a valid choice."),
        ("get", calls, {"page": HUGE}, "less than or equal to"),
        ("post", record, {}, "Choose how the call went."),
        ("post", record, {"outcome": "maybe"}, "Choose how the call went."),
        ("post", record, {"outcome": "no_answer", "note": LONG_NOTE}, "at most 500 characters"),
        ("post", record, {"outcome": "no_answer", "after": "x"}, "Enter a whole number."),
        ("post", dispute, {}, "This field is required."),
        (
            "post",
            dispute,
            {"phone": "+8613900000001", "id_type": "x", "id_number": "1", "evidence": "seen"},
            "Select a valid choice.",
        ),
        ("post", reverse("backoffice:gate_slots"), {"gate_name": "g" * 101}, "at most 100"),
        ("post", gate, {}, "Scan the ticket, or type the number on the ID document."),
        ("post", gate, {"id_number": "E1234567"}, "Choose the kind of ID document."),
        ("post", gate, {"id_type": "x", "id_number": "E1"}, "Select a valid choice."),
        ("post", check_in, {"code": "x", "member": ["1", "x"]}, "is not one of the list"),
        ("post", check_in, {"code": "x", "nonce": "n" * 65}, "at most 64 characters"),
        ("post", group_check_in, {"member": "-1"}, "is not one of the list"),
        ("post", group, {"decision": "maybe"}, "Approve or decline the request."),
        ("get", reverse("backoffice:dashboards"), {"year": "x"}, "Write the year as four"),
        ("get", reverse("backoffice:dashboards"), {"year": "1999"}, "Write the year as four"),
        ("get", reverse("backoffice:dashboards"), {"table": "?"}, "Choose the sites table"),
        ("post", group, {"decision": "approve"}, "Choose the session to keep places in."),
        ("post", group, {"decision": "approve", "slot": "x"}, "Select a valid choice."),
        ("post", group, {"decision": "approve", "slot": "99999999"}, "Select a valid choice."),
        ("post", group, {"decision": "approve", "slot": HUGE}, "Select a valid choice."),
        ("post", group, {"decision": "decline", "reason": "r" * 1001}, "at most 1000"),
        ("post", new_round, _round_form(w, tour="x"), "Select a valid choice."),
        ("post", new_round, _round_form(w, code="a b"), "A round code has at most 80 letters"),
        ("post", new_round, _round_form(w, opens_at="soon"), "Enter a valid date/time."),
        ("post", new_round, _round_form(w, slot="x"), "is not a valid value"),
        ("post", new_round, _round_form(w, slot=HUGE), "is not a valid value"),
        ("post", new_round, _round_form(w, tour=HUGE), "Select a valid choice."),
        ("post", record, {"outcome": "no_answer", "after": HUGE}, "less than or equal to"),
        ("post", new_round, _round_form(w, title=""), "This field is required."),
    ]


def test_every_back_office_form_answers_bad_input_with_400_and_its_message(
    client: Client, world: World
) -> None:
    wrong = []
    for method, url, data, message in _cases(world):
        response = client.post(url, data) if method == "post" else client.get(url, data)
        body = response.content.decode()
        if response.status_code != 400 or message not in body:
            wrong.append((method, url, data, response.status_code, message))
    assert not wrong, "\n".join(map(str, wrong))
    assert not CallAttempt.objects.exists()
    assert not Round.objects.filter(code="winter-1").exists()
    assert GroupVisit.objects.get(pk=world.requested.pk).state == GroupVisit.State.REQUESTED


def test_a_refused_form_keeps_the_staff_layout(client: Client, world: World) -> None:
    page = client.get(reverse("backoffice:call_centre"), {"page": "x"}).content.decode()
    assert 'action="/backoffice/logout/"' in page and "Enter a whole number." in page


def test_the_other_pages_never_answer_bad_input_with_a_server_error(
    client: Client, world: World
) -> None:
    pages: list[tuple[str, str, Form]] = [
        ("get", reverse("backoffice:dashboards"), {"year": "x", "table": "?"}),
        ("get", reverse("backoffice:audit"), {"object_id": "x", "actor": "?"}),
        ("get", reverse("backoffice:round_create"), {"copy": "x"}),
        ("post", reverse("backoffice:planning"), {"tour": "x", "capacity": "many"}),
        ("post", reverse("backoffice:round_action", args=[world.slot.pk]), {"action": "x"}),
    ]
    for method, url, data in pages:
        response = client.post(url, data) if method == "post" else client.get(url, data)
        assert response.status_code < 500, (url, data)
