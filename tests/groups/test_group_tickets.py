"""An approved group's one signed QR code, and checking its members in at the
gate by their ID documents: each once, at the group's own session only, and
never through a forged, altered, confused or withdrawn code."""

import base64
import json
from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.support import make_site, make_slots, make_staff, make_tour, request_group, resident_id
from tourdraw.groups import services, tickets
from tourdraw.groups.models import GroupMember, GroupVisit
from tourdraw.notify.models import OutboxMessage
from tourdraw.people.models import StaffRole
from tourdraw.visits import gate, signing
from tourdraw.visits import tickets as party_tickets
from tourdraw.visits.models import Offer, Ticket
from tourdraw.visits.offers import confirm_offer

HEADER = "full_name,id_type,id_number,birth_date\n"
LI = resident_id(date(2005, 1, 1), sequence=1)
WANG = resident_id(date(2006, 2, 2), sequence=2)


@pytest.fixture
def slot(db):
    return make_slots(make_tour(), timezone.localdate() + timedelta(days=12), capacity=60)[0]


@pytest.fixture
def group(slot) -> GroupVisit:
    group = services.approve_visit(request_group(slot.tour.site, 3), slot=slot, actor=None)
    services.upload_members(group, f"{HEADER}李明,cn_resident,{LI},\n王芳,cn_resident,{WANG},\n")
    return group


def _at_gate(slot):
    return slot.starts_at - timedelta(minutes=20)


def _parts(payload: str) -> tuple[str, dict, str]:
    prefix, body, signature = payload.split(".")
    return prefix, json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))), signature


def _encode(body: dict) -> str:
    raw = json.dumps(body, sort_keys=True, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _refused(scanned: str) -> str:
    with pytest.raises(gate.GateRefusal) as refusal:
        gate.find_group(scanned)
    return refusal.value.code


# The code


def test_a_groups_code_verifies_and_names_the_group_and_its_session(group, slot):
    claim = signing.verify_group(tickets.payload(group))
    assert (claim.group_id, claim.slot_id, claim.visit_date, claim.persons) == (
        group.pk,
        slot.pk,
        slot.visit_date,
        3,
    )
    assert group.code not in tickets.payload(group)  # not the secret link to the names
    assert gate.find_group(tickets.payload(group)) == group


def test_an_altered_group_code_is_refused(group):
    prefix, body, signature = _parts(tickets.payload(group))
    other = services.approve_visit(request_group(group.site, 3), slot=group.slot, actor=None)
    altered = f"{prefix}.{_encode({**body, 'g': other.pk})}.{signature}"
    assert _refused(altered) == "forged"
    assert _refused(f"{prefix}.{_encode({**body, 'p': 60})}.{signature}") == "forged"
    assert _refused(tickets.payload(group)[:-6] + "AAAAAA") == "forged"
    assert _refused("TG1.not-json.xx") == "malformed"


def test_a_group_code_signed_with_an_unknown_key_is_refused(group, settings):
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat

    private = Ed25519PrivateKey.generate().private_bytes(
        Encoding.Raw, PrivateFormat.Raw, NoEncryption()
    )
    secret = base64.urlsafe_b64encode(private).rstrip(b"=").decode()
    known = list(settings.TOURDRAW_TICKET_KEYS)
    settings.TOURDRAW_TICKET_KEYS = [f"rogue:{secret}"]
    rogue = tickets.payload(group)
    settings.TOURDRAW_TICKET_KEYS = known
    assert _refused(rogue) == "unknown_key"


@pytest.fixture
def ticket(db) -> Ticket:
    from tests.support import drawn_round

    _, _, entries = drawn_round(6, [2], [])
    return confirm_offer(
        Offer.objects.get(entry=entries[0]), actor=None, accepted_rules=True, via="online"
    )


def test_a_party_ticket_is_never_read_as_a_group_code_nor_the_reverse(ticket):
    slot = ticket.offer.slot
    party = party_tickets.payload(ticket)
    group_code = signing.sign_group(ticket.pk, slot.pk, slot.visit_date, 2)
    for verify, scanned in ((signing.verify_group, party), (signing.verify, group_code)):
        with pytest.raises(signing.TicketSignatureError) as error:
            verify(scanned)
        assert error.value.code == "malformed"
    # Relabelled by hand, each keeps a signature made over the other prefix.
    _, party_body, party_signature = party.split(".")
    _, group_body, group_signature = group_code.split(".")
    with pytest.raises(signing.TicketSignatureError) as as_group:
        signing.verify_group(f"TG1.{party_body}.{party_signature}")
    with pytest.raises(signing.TicketSignatureError) as as_party:
        signing.verify(f"TD1.{group_body}.{group_signature}")
    assert (as_group.value.code, as_party.value.code) == ("forged", "forged")
    # And at the gate: neither lookup takes the other's code.
    assert _refused(party) == "malformed"
    with pytest.raises(gate.GateRefusal) as refusal:
        gate.find_ticket(group_code)
    assert refusal.value.code == "malformed"


# Who may enter with it


def test_a_declined_or_released_groups_code_is_refused(group, slot):
    payload = tickets.payload(group)
    services.release_visit(group, actor=None)
    assert _refused(payload) == "group_not_approved"
    declined = request_group(slot.tour.site, 2)
    services.decline_visit(declined, reason="Full", actor=None)
    forged_for_declined = signing.sign_group(declined.pk, slot.pk, slot.visit_date, 2)
    assert _refused(forged_for_declined) == "group_not_approved"


def test_a_code_printed_before_the_group_moved_session_is_refused(group, slot):
    payload = tickets.payload(group)
    services.release_visit(group, actor=None)
    later = make_slots(slot.tour, slot.visit_date + timedelta(days=1))[0]
    services.approve_visit(group, slot=later, actor=None)
    assert _refused(payload) == "cancelled"


def test_a_scan_shows_the_members_masked_with_who_is_in(group, slot):
    scan = gate.inspect_group(group, slot=slot, now=_at_gate(slot))
    assert [(p.name, p.id_masked) for p in scan.members] == [
        ("李*", group.members.get(position=1).id_masked),
        ("王*", group.members.get(position=2).id_masked),
    ]
    assert all("*" in p.id_masked and LI not in p.id_masked for p in scan.members)
    assert len(scan.waiting) == 2


def test_members_are_checked_in_one_by_one_by_their_id_document(group, slot, gate_staff):
    now = _at_gate(slot)
    member = services.check_in_by_document(
        group, slot=slot, id_type="cn_resident", id_number=WANG.lower(), gate="East",
        staff=gate_staff, now=now,
    )  # fmt: skip
    assert member.full_name == "王芳" and member.checked_in_gate == "East"
    scan = gate.inspect_group(group, slot=slot, now=now)
    assert [p.name for p in scan.waiting] == ["李*"]


def test_a_member_is_checked_in_once(group, slot, gate_staff):
    now = _at_gate(slot)
    kwargs = {"slot": slot, "id_type": "cn_resident", "id_number": LI, "staff": gate_staff}
    services.check_in_by_document(group, gate="East", now=now, **kwargs)
    with pytest.raises(gate.GateRefusal) as refusal:
        services.check_in_by_document(group, gate="West", now=now, **kwargs)
    assert refusal.value.code == "already_checked_in"
    assert "East" in str(refusal.value) and "李*" in str(refusal.value)
    first = group.members.get(position=1)
    with pytest.raises(gate.GateRefusal) as by_list:
        services.check_in_members(group, [first.pk], slot=slot, gate="West", staff=None, now=now)
    assert by_list.value.code == "already_checked_in"
    assert GroupMember.objects.get(pk=first.pk).checked_in_gate == "East"


def test_someone_not_on_the_list_is_refused(group, slot, gate_staff):
    stranger = resident_id(date(1990, 3, 3), sequence=9)
    with pytest.raises(gate.GateRefusal) as refusal:
        services.check_in_by_document(
            group, slot=slot, id_type="cn_resident", id_number=stranger, gate="East",
            staff=gate_staff, now=_at_gate(slot),
        )  # fmt: skip
    assert refusal.value.code == "not_in_group"
    assert not group.members.filter(checked_in_at__isnull=False).exists()


@pytest.mark.parametrize(
    ("where", "code"),
    [
        ("other session that day", "wrong_slot"),
        ("next day", "wrong_day"),
        ("too early", "too_early"),
        ("too late", "too_late"),
    ],
)
def test_a_group_is_refused_outside_its_session_as_party_tickets_are(group, slot, where, code):
    at, now = slot, _at_gate(slot)
    if where == "other session that day":
        at = slot.tour.slots.exclude(pk=slot.pk).get(starts_at__date=slot.starts_at.date())
        now = _at_gate(at)
    elif where == "next day":
        at = make_slots(slot.tour, slot.visit_date + timedelta(days=1))[0]
        now = _at_gate(at)
    elif where == "too early":
        now = slot.starts_at - timedelta(hours=3)
    else:
        now = slot.starts_at + timedelta(hours=1)
    with pytest.raises(gate.GateRefusal) as scanned:
        gate.inspect_group(group, slot=at, now=now)
    with pytest.raises(gate.GateRefusal) as by_document:
        services.check_in_by_document(
            group, slot=at, id_type="cn_resident", id_number=LI, gate="East", staff=None, now=now
        )
    assert scanned.value.code == by_document.value.code == code
    assert not group.members.filter(checked_in_at__isnull=False).exists()


# The pages


def _open_gate(slot):
    """The arrival window wide open: the page checks in at the real time."""
    site = slot.tour.site
    site.arrival_opens_minutes = 60 * 24 * 15
    site.save()
    slot.refresh_from_db()


def test_scanning_the_group_code_at_the_gate_page_leads_to_check_in_by_document(
    group, slot, signed_in, gate_staff
):
    _open_gate(slot)
    client = signed_in(gate_staff)
    page = client.post(reverse("backoffice:gate", args=[slot.pk]), {"code": tickets.payload(group)})
    html = page.content.decode()
    assert page.status_code == 200 and 'id="group-scan"' in html
    assert "李*" in html and "2 members, 2 still to check in." in html
    checked = client.post(
        reverse("backoffice:gate_group_document", args=[slot.pk, group.pk]),
        {"id_type": "cn_resident", "id_number": LI},
    )
    assert checked.status_code == 200
    assert "李* checked in." in checked.content.decode()
    again = client.post(
        reverse("backoffice:gate_group_document", args=[slot.pk, group.pk]),
        {"id_type": "cn_resident", "id_number": LI},
    )
    assert again.status_code == 400 and "already checked in" in again.content.decode()
    assert group.members.filter(checked_in_at__isnull=False).count() == 1


def test_a_forged_group_code_at_the_gate_page_is_refused(group, slot, signed_in, gate_staff):
    _open_gate(slot)
    prefix, body, signature = _parts(tickets.payload(group))
    forged = f"{prefix}.{_encode({**body, 'p': 50})}.{signature}"
    page = signed_in(gate_staff).post(reverse("backoffice:gate", args=[slot.pk]), {"code": forged})
    html = page.content.decode()
    assert 'data-code="forged"' in html and 'id="group-scan"' not in html


def test_a_stranger_cannot_check_a_group_in(group, slot, signed_in, client, visitor):
    _open_gate(slot)
    url = reverse("backoffice:gate_group_document", args=[slot.pk, group.pk])
    posted = {"id_type": "cn_resident", "id_number": LI}
    elsewhere = make_staff("nio-gate", StaffRole.Role.GATE, make_site("nio", name="蔚来"))
    assert signed_in(elsewhere).post(url, posted).status_code == 404
    assert (
        signed_in(elsewhere)
        .post(reverse("backoffice:gate", args=[slot.pk]), {"code": tickets.payload(group)})
        .status_code
        == 404
    )
    client.logout()
    client.force_login(visitor.user)
    assert client.post(url, posted).status_code == 403
    client.logout()
    assert client.post(url, posted).status_code == 302  # to the sign-in page
    assert not group.members.filter(checked_in_at__isnull=False).exists()


def test_the_group_page_shows_its_code_once_approved_with_its_list(client, slot):
    group = request_group(slot.tour.site, 3)
    page = lambda: client.get(reverse("web:group", args=[group.code])).content.decode()  # noqa: E731
    assert "group-ticket" not in page()
    services.approve_visit(group, slot=slot, actor=None)
    assert "group-ticket" not in page()  # no list yet: nothing to check members against
    services.upload_members(group, f"{HEADER}李明,cn_resident,{LI},\n")
    html = page()
    assert 'class="group-ticket"' in html and "<svg" in html


def test_the_approval_message_leads_to_the_page_with_the_code(slot):
    group = services.approve_visit(request_group(slot.tour.site, 3), slot=slot, actor=None)
    body = OutboxMessage.objects.get(
        object_id=str(group.pk), topic="group.approved", kind="sms"
    ).body
    assert "QR code" in body and reverse("web:group", args=[group.code]) in body
