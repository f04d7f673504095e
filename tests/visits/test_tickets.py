import base64
import json
from datetime import timedelta

import pytest
from django.urls import reverse

from tests.support import drawn_round
from tourdraw import keys
from tourdraw.visits import gate, signing, tickets
from tourdraw.visits.models import Offer, Ticket
from tourdraw.visits.offers import confirm_offer


@pytest.fixture
def ticket(db) -> Ticket:
    _, _, entries = drawn_round(4, [3], [2])
    return confirm_offer(
        Offer.objects.get(entry=entries[0]), actor=None, accepted_rules=True, via="online"
    )


def _tamper(payload: str, **changes) -> str:
    prefix, body, signature = payload.split(".")
    data = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    data.update(changes)
    raw = json.dumps(data, sort_keys=True, separators=(",", ":")).encode()
    return f"{prefix}.{base64.urlsafe_b64encode(raw).rstrip(b'=').decode()}.{signature}"


def test_a_ticket_qr_verifies_and_names_the_ticket(ticket):
    payload = tickets.payload(ticket)
    assert gate.find_ticket(payload) == ticket
    claim = signing.verify(payload)
    assert (claim.ticket, claim.persons, claim.slot_id) == (ticket.code, 3, ticket.offer.slot_id)


def test_the_qr_holds_no_personal_data(ticket):
    body = tickets.payload(ticket).split(".")[1]
    decoded = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)).decode()
    person = ticket.offer.entry.members.first().person
    assert set(json.loads(decoded)) == {"d", "k", "p", "s", "t", "v"}
    assert person.full_name not in decoded and person.id_number not in decoded


@pytest.mark.parametrize(
    "change", [{"p": 4}, {"s": 999}, {"t": "someone-elses"}, {"d": "2030-01-01"}]
)
def test_an_altered_qr_fails_signature_verification(ticket, change):
    with pytest.raises(gate.GateRefusal) as error:
        gate.find_ticket(_tamper(tickets.payload(ticket), **change))
    assert error.value.code == "forged"


def test_a_qr_signed_with_another_key_is_forged(ticket, settings):
    genuine = tickets.payload(ticket)
    configured = list(settings.TOURDRAW_TICKET_KEYS)
    key_id = configured[0].partition(":")[0]
    # Another key under the same key id: the signature cannot hold.
    settings.TOURDRAW_TICKET_KEYS = [key_id + ":" + keys.new_ed25519_key("x").partition(":")[2]]
    forged = tickets.payload(ticket)
    settings.TOURDRAW_TICKET_KEYS = configured
    assert gate.find_ticket(genuine) == ticket
    with pytest.raises(gate.GateRefusal) as error:
        gate.find_ticket(forged)
    assert error.value.code == "forged"


def test_rotated_keys_keep_old_tickets_valid_and_unknown_keys_fail(ticket, settings):
    old = tickets.payload(ticket)
    new_key = keys.new_ed25519_key("next")
    settings.TOURDRAW_TICKET_KEYS = [new_key, *settings.TOURDRAW_TICKET_KEYS]
    assert signing.verify(tickets.payload(ticket)).key_id == "next"
    assert gate.find_ticket(old) == ticket
    settings.TOURDRAW_TICKET_KEYS = [new_key]
    with pytest.raises(gate.GateRefusal) as error:
        gate.find_ticket(old)
    assert error.value.code == "unknown_key"


def test_garbage_is_not_a_ticket(db):
    for scanned in ("hello", "TD1.???.???", "TD2.a.b"):
        with pytest.raises(gate.GateRefusal) as error:
            gate.find_ticket(scanned)
        assert error.value.code == "malformed"


def test_a_cancelled_ticket_is_refused(ticket):
    payload = tickets.payload(ticket)
    tickets.cancel_ticket(ticket, actor=None)
    with pytest.raises(gate.GateRefusal) as error:
        gate.scan(payload, slot=ticket.offer.slot)
    assert error.value.code == "cancelled"


def test_cancelling_frees_the_places_for_the_waitlist(ticket):
    tickets.cancel_ticket(ticket, actor=None)
    assert Offer.objects.get(pk=ticket.offer.pk).state == Offer.State.CANCELLED
    promoted = Offer.objects.get(source="waitlist")
    assert promoted.persons == 2
    assert promoted.promotion.reason == "cancelled"


def test_a_ticket_cannot_be_cancelled_after_the_cutoff(ticket, settings):
    late = ticket.offer.slot.starts_at - settings.TOURDRAW_CANCEL_CUTOFF + timedelta(minutes=1)
    with pytest.raises(tickets.TicketError) as error:
        tickets.cancel_ticket(ticket, actor=None, now=late)
    assert error.value.code == "cancel_too_late"
    assert Ticket.objects.get().is_valid


def test_the_ticket_page_shows_the_qr_and_the_party_masked(client, ticket):
    client.force_login(ticket.offer.entry.visitor.user)
    html = client.get(reverse("web:ticket", args=[ticket.code])).content.decode()
    assert "<svg" in html
    for member in ticket.offer.entry.members.select_related("person"):
        assert member.person.full_name in html
        assert member.person.id_masked in html
        assert member.person.id_number not in html


def test_the_owner_cancels_from_the_ticket_page(client, ticket):
    client.force_login(ticket.offer.entry.visitor.user)
    url = reverse("web:ticket", args=[ticket.code])
    assert "Cancel this ticket" in client.get(url).content.decode()
    client.post(reverse("web:ticket_cancel", args=[ticket.code]), {"confirm": "yes"})
    assert not Ticket.objects.get().is_valid


def test_someone_else_cannot_cancel_a_ticket(client, ticket, visitor):
    client.force_login(visitor.user)
    assert client.get(reverse("web:ticket", args=[ticket.code])).status_code == 404
    cancel = reverse("web:ticket_cancel", args=[ticket.code])
    assert client.post(cancel, {"confirm": "yes"}).status_code == 404
    assert Ticket.objects.get().is_valid


def test_the_code_read_from_a_qr_opens_no_names_without_signing_in(client, ticket):
    """An attacker photographs a QR in the queue, decodes it and opens the ticket page."""
    scanned = signing.verify(tickets.payload(ticket)).ticket
    response = client.get(reverse("web:ticket", args=[scanned]))
    assert response.status_code == 302 and "/sign-in/" in response["Location"]
    html = client.get(reverse("web:ticket", args=[scanned]), follow=True).content.decode()
    for member in ticket.offer.entry.members.select_related("person"):
        assert member.person.full_name not in html


def test_another_signed_in_visitor_cannot_read_a_ticket_from_its_qr(client, ticket, visitor):
    client.force_login(visitor.user)
    scanned = signing.verify(tickets.payload(ticket)).ticket
    response = client.get(reverse("web:ticket", args=[scanned]))
    assert response.status_code == 404
    for member in ticket.offer.entry.members.select_related("person"):
        assert member.person.full_name not in response.content.decode()
