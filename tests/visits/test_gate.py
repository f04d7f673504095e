import json
from datetime import timedelta

import pytest
from django.urls import reverse

from tests.support import drawn_round, make_site, make_staff, present, sign_in_staff
from tourdraw.lottery.entries import CompanionInput, EntryRejected, enter_round
from tourdraw.visits import gate, tickets
from tourdraw.visits.models import CheckIn, CheckInConflict, NoShow, Offer, Ticket
from tourdraw.visits.offers import confirm_offer


@pytest.fixture
def ticket(db) -> Ticket:
    _, _, entries = drawn_round(6, [3, 2], [])
    for entry in entries[1:]:
        confirm_offer(Offer.objects.get(entry=entry), actor=None, accepted_rules=True, via="online")
    return confirm_offer(
        Offer.objects.get(entry=entries[0]), actor=None, accepted_rules=True, via="online"
    )


def _at_gate(ticket):
    return ticket.offer.slot.starts_at - timedelta(minutes=20)


def _refusal(ticket, scanned=None, **kwargs) -> str:
    with pytest.raises(gate.GateRefusal) as refusal:
        gate.scan(
            scanned or tickets.payload(ticket), slot=kwargs.pop("slot", ticket.offer.slot), **kwargs
        )
    return refusal.value.code


def test_a_scan_shows_the_party_with_names_masked_ids_and_ages(ticket):
    scan = gate.scan(tickets.payload(ticket), slot=ticket.offer.slot, now=_at_gate(ticket))
    assert len(scan.party) == 3
    assert scan.party[0].member.role == "entrant"
    assert all(p.age >= 6 for p in scan.party)


def test_staff_check_in_some_then_the_rest(ticket, gate_staff):
    slot, now = ticket.offer.slot, _at_gate(ticket)
    members = [p.member.pk for p in gate.scan(tickets.payload(ticket), slot=slot, now=now).party]
    gate.check_in(ticket, members[:2], slot=slot, gate="East", staff=gate_staff, now=now)
    scan = gate.scan(tickets.payload(ticket), slot=slot, now=now)
    assert [p.member.pk for p in scan.waiting] == members[2:]
    gate.check_in(ticket, members[2:], slot=slot, gate="East", staff=gate_staff, now=now)
    assert CheckIn.objects.count() == 3


def test_it_refuses_a_ticket_already_checked_in_saying_when_and_where(ticket, gate_staff):
    slot, now = ticket.offer.slot, _at_gate(ticket)
    members = [p.member.pk for p in gate.scan(tickets.payload(ticket), slot=slot, now=now).party]
    gate.check_in(ticket, members, slot=slot, gate="East gate", staff=gate_staff, now=now)
    with pytest.raises(gate.GateRefusal) as refusal:
        gate.scan(tickets.payload(ticket), slot=slot, now=now)
    assert refusal.value.code == "already_checked_in"
    assert "East gate" in str(refusal.value) and "Already checked in at" in str(refusal.value)
    with pytest.raises(gate.GateRefusal) as again:
        gate.check_in(ticket, members[:1], slot=slot, gate="West", staff=gate_staff, now=now)
    assert again.value.code == "already_checked_in"


def test_it_refuses_a_forged_ticket(ticket):
    payload = tickets.payload(ticket)
    prefix, body, signature = payload.split(".")
    forged = f"{prefix}.{body}.{signature[:-4]}AAAA"
    assert _refusal(ticket, forged, now=_at_gate(ticket)) == "forged"


def test_it_refuses_a_cancelled_ticket(ticket):
    payload = tickets.payload(ticket)
    tickets.cancel_ticket(ticket, actor=None)
    assert _refusal(ticket, payload, now=_at_gate(ticket)) == "cancelled"


def test_it_refuses_the_wrong_day_or_slot(ticket):
    from tests.support import make_slots

    other_day = make_slots(
        ticket.offer.slot.tour, ticket.offer.slot.visit_date + timedelta(days=3)
    )[0]
    assert _refusal(ticket, slot=other_day, now=_at_gate(ticket)) == "wrong_day"
    from tourdraw.catalog.models import Slot

    same_day = Slot.objects.create(
        tour=ticket.offer.slot.tour,
        starts_at=ticket.offer.slot.starts_at + timedelta(hours=4),
        ends_at=ticket.offer.slot.ends_at + timedelta(hours=4),
        capacity=10,
    )
    with pytest.raises(gate.GateRefusal) as refusal:
        gate.scan(tickets.payload(ticket), slot=same_day, now=_at_gate(ticket))
    assert refusal.value.code == "wrong_slot"
    assert ticket.offer.slot.label in str(refusal.value)


def test_it_refuses_outside_the_arrival_window(ticket):
    opens, closes = gate.arrival_window(ticket.offer.slot)
    assert _refusal(ticket, now=opens - timedelta(minutes=1)) == "too_early"
    assert _refusal(ticket, now=closes + timedelta(minutes=1)) == "too_late"
    assert gate.scan(tickets.payload(ticket), slot=ticket.offer.slot, now=opens)
    assert gate.scan(tickets.payload(ticket), slot=ticket.offer.slot, now=closes)


def test_the_arrival_window_is_a_site_setting(ticket):
    site = ticket.offer.slot.tour.site
    site.arrival_opens_minutes = 10
    site.save()
    slot = ticket.offer.slot
    slot.refresh_from_db()
    assert _refusal(ticket, slot=slot, now=slot.starts_at - timedelta(minutes=11)) == "too_early"


def test_the_manifest_holds_masked_names_revocations_and_keys(ticket):
    slot = ticket.offer.slot
    other = Ticket.objects.exclude(pk=ticket.pk).get()
    tickets.cancel_ticket(other, actor=None)
    data = gate.manifest(slot)
    assert [t["ticket"] for t in data["tickets"]] == [ticket.code]
    assert data["revoked"] == [other.code]
    key_id = gate.signing.signing_keys()[0][0]
    assert data["keys"] == {key_id: gate.signing.public_keys_raw()[key_id]}
    person = ticket.offer.entry.members.order_by("position").first().person
    listed = data["tickets"][0]["persons"][0]
    assert listed["id"] == person.id_masked
    assert listed["name"] != person.full_name and listed["name"][0] == person.full_name[0]
    assert person.id_number not in json.dumps(data, ensure_ascii=False)


def _uploads(ticket, nonce_prefix: str):
    members = ticket.offer.entry.members.order_by("position")
    at = _at_gate(ticket).isoformat()
    return [
        {"nonce": f"{nonce_prefix}-{m.pk}", "ticket": ticket.code, "member": m.pk, "scanned_at": at}
        for m in members
    ]


def test_offline_check_ins_upload_later_and_a_replay_counts_once(ticket, gate_staff):
    slot, now = ticket.offer.slot, _at_gate(ticket)
    uploads = _uploads(ticket, "dev-a")
    first = gate.sync(slot, uploads, gate="East", device="a", staff=gate_staff, now=now)
    assert (first.accepted, first.duplicates, first.conflicts) == (3, 0, 0)
    uploads = _uploads(ticket, "dev-a")
    replay = gate.sync(slot, uploads, gate="East", device="a", staff=gate_staff, now=now)
    assert (replay.accepted, replay.duplicates, replay.conflicts) == (0, 3, 0)
    assert CheckIn.objects.filter(source="offline").count() == 3
    assert present(CheckIn.objects.first()).checked_in_at == _at_gate(ticket)


def test_the_same_ticket_checked_in_on_two_devices_is_flagged_at_sync(ticket, gate_staff):
    slot = ticket.offer.slot
    now = _at_gate(ticket)
    gate.sync(slot, _uploads(ticket, "dev-a"), gate="East", device="a", staff=gate_staff, now=now)
    second = gate.sync(
        slot, _uploads(ticket, "dev-b"), gate="West", device="b", staff=gate_staff, now=now
    )
    assert (second.accepted, second.conflicts) == (0, 3)
    conflict = present(CheckInConflict.objects.first())
    assert (conflict.device, conflict.first.device) == ("b", "a")
    assert CheckIn.objects.count() == 3


def test_offline_uploads_of_cancelled_or_foreign_tickets_are_refused(ticket, gate_staff):
    uploads = _uploads(ticket, "dev-a")
    uploads[0]["ticket"] = "not-a-ticket"
    report = gate.sync(
        ticket.offer.slot, uploads, gate="East", device="a", staff=gate_staff, now=_at_gate(ticket)
    )
    assert (report.accepted, report.refused) == (2, 1)


def test_parties_that_did_not_come_are_marked_no_shows_once(ticket, gate_staff):
    slot = ticket.offer.slot
    other = Ticket.objects.exclude(pk=ticket.pk).get()
    member = present(other.offer.entry.members.first())
    gate.check_in(
        other, [member.pk], slot=slot, gate="East", staff=gate_staff, now=_at_gate(ticket)
    )
    assert gate.mark_no_shows(slot.ends_at - timedelta(minutes=1)) == 0
    assert gate.mark_no_shows(slot.ends_at) == 1
    assert gate.mark_no_shows(slot.ends_at) == 0
    no_show = NoShow.objects.get()
    assert no_show.ticket == ticket
    assert no_show.barred_until == slot.ends_at + timedelta(days=90)


def test_a_no_show_bars_the_entrant_from_the_sites_rounds_and_says_until_when(ticket):
    from tests.support import make_round, make_slots

    slot = ticket.offer.slot
    gate.mark_no_shows(slot.ends_at)
    later = make_round(
        slot.tour,
        code="later",
        slots=make_slots(slot.tour, slot.visit_date + timedelta(days=200)),
        closes_at=slot.ends_at + timedelta(days=100),
    )
    with pytest.raises(EntryRejected) as rejected:
        enter_round(
            later,
            ticket.offer.entry.visitor,
            choices=[present(later.slots.first()).pk],
            now=slot.ends_at + timedelta(days=1),
        )
    assert rejected.value.code == "barred_no_show"
    assert "did not come to its visit" in str(rejected.value) and "until" in str(rejected.value)
    # Once the ban is over, the entrant may enter again.
    assert enter_round(
        later,
        ticket.offer.entry.visitor,
        choices=[present(later.slots.first()).pk],
        now=slot.ends_at + timedelta(days=91),
    )


def test_a_visit_cool_down_applies_to_each_person(ticket, gate_staff):
    from tests.support import make_round, make_slots

    slot = ticket.offer.slot
    site = slot.tour.site
    site.visit_cooldown_days = 180
    site.save()
    members = [
        p.member.pk
        for p in gate.scan(tickets.payload(ticket), slot=slot, now=_at_gate(ticket)).party
    ]
    gate.check_in(ticket, members, slot=slot, gate="East", staff=gate_staff, now=_at_gate(ticket))
    later = make_round(
        slot.tour, code="later", slots=make_slots(slot.tour, slot.visit_date + timedelta(days=20))
    )
    party = list(ticket.offer.entry.members.select_related("person").order_by("position"))
    companions = [
        CompanionInput(full_name=m.person.full_name, person_id=m.person_id) for m in party[1:]
    ]
    with pytest.raises(EntryRejected) as rejected:
        enter_round(
            later,
            ticket.offer.entry.visitor,
            choices=[present(later.slots.first()).pk],
            companions=companions,
        )
    assert rejected.value.code == "visit_cooldown"
    assert "may enter again from" in str(rejected.value)
    # Everyone who passed the gate is named, each at their own field.
    assert len(party) > 1
    assert [e.field for e in rejected.value.errors if e.code == "visit_cooldown"] == [
        "entrant",
        *(f"companions.{i}.id_number" for i in range(len(party) - 1)),
    ]


def test_the_gate_pages_check_a_party_in(client, ticket, gate_staff, settings):
    site = ticket.offer.slot.tour.site
    site.arrival_opens_minutes = 60 * 24 * 15  # the test runs ten days before the session
    site.save()
    slot = ticket.offer.slot
    sign_in_staff(client, gate_staff)
    page = client.post(
        reverse("backoffice:gate", args=[slot.pk]), {"code": tickets.payload(ticket)}
    )
    html = page.content.decode()
    person = ticket.offer.entry.members.order_by("position").first().person
    assert person.full_name in html and person.id_masked in html
    members = [str(m.pk) for m in ticket.offer.entry.members.all()]
    client.post(
        reverse("backoffice:gate_check_in", args=[slot.pk]),
        {"code": tickets.payload(ticket), "member": members, "nonce": "n1"},
    )
    assert CheckIn.objects.filter(ticket=ticket).count() == 3
    refused = client.post(
        reverse("backoffice:gate", args=[slot.pk]), {"code": tickets.payload(ticket)}
    )
    assert 'data-code="already_checked_in"' in refused.content.decode()
    manifest = client.get(reverse("backoffice:gate_manifest", args=[slot.pk])).json()
    assert manifest["format"] == "tourdraw-gate/1"


def test_the_gate_is_closed_to_visitors(client, visitor, ticket):
    client.force_login(visitor.user)
    assert client.get(reverse("backoffice:gate", args=[ticket.offer.slot.pk])).status_code == 403
    assert (
        client.get(reverse("backoffice:gate_manifest", args=[ticket.offer.slot.pk])).status_code
        == 403
    )


def test_gate_staff_of_another_site_get_404_for_its_sessions(client, ticket):
    slot = ticket.offer.slot
    sign_in_staff(client, make_staff("nio-gate", "gate", make_site("nio", name="蔚来")))
    for name in ("backoffice:gate", "backoffice:gate_manifest"):
        assert client.get(reverse(name, args=[slot.pk])).status_code == 404
    sync = client.post(
        reverse("backoffice:gate_sync", args=[slot.pk]), "{}", content_type="application/json"
    )
    assert sync.status_code == 404
    check_in = client.post(reverse("backoffice:gate_check_in", args=[slot.pk]), {"code": "x"})
    assert check_in.status_code == 404


def test_a_typed_entry_code_never_checks_anyone_in(client, ticket, gate_staff):
    """Gate staff (or whoever holds their tablet) read winners' entry codes off the
    public draw record and type one in."""
    code = ticket.offer.entry.code
    with pytest.raises(gate.GateRefusal) as refusal:
        gate.scan(code, slot=ticket.offer.slot, now=_at_gate(ticket))
    assert refusal.value.code == "malformed"
    site = ticket.offer.slot.tour.site
    site.arrival_opens_minutes = 60 * 24 * 15
    site.save()
    sign_in_staff(client, gate_staff)
    members = [str(m.pk) for m in ticket.offer.entry.members.all()]
    for typed in (code, code.lower(), ticket.code):
        client.post(
            reverse("backoffice:gate_check_in", args=[ticket.offer.slot.pk]),
            {"code": typed, "member": members, "nonce": "n1"},
        )
    assert CheckIn.objects.count() == 0


def test_a_visitor_without_a_phone_is_found_by_the_id_document_shown(client, ticket, gate_staff):
    site = ticket.offer.slot.tour.site
    site.arrival_opens_minutes = 60 * 24 * 15
    site.save()
    slot = ticket.offer.slot
    companion = ticket.offer.entry.members.order_by("position").last().person
    number = companion.id_number
    sign_in_staff(client, gate_staff)
    page = client.post(
        reverse("backoffice:gate", args=[slot.pk]),
        {"id_type": companion.id_type, "id_number": f" {number.lower()} "},
    )
    assert companion.full_name in page.content.decode()
    members = [str(m.pk) for m in ticket.offer.entry.members.all()]
    client.post(
        reverse("backoffice:gate_check_in", args=[slot.pk]),
        {"id_type": companion.id_type, "id_number": number, "member": members, "nonce": "n2"},
    )
    assert CheckIn.objects.filter(ticket=ticket).count() == 3
    with pytest.raises(gate.GateRefusal) as refusal:
        gate.find_by_document(slot, "cn_resident", "110101199001011234")
    assert refusal.value.code == "unknown_ticket"


def test_offline_sync_refuses_check_ins_outside_the_sessions_window(ticket, gate_staff):
    """A device uploads check-ins dated 2001 and dated tomorrow's session, today."""
    slot = ticket.offer.slot
    uploads = _uploads(ticket, "dev-a")
    uploads[0]["scanned_at"] = "2001-01-01T09:00:00+08:00"
    uploads[1]["scanned_at"] = (slot.starts_at + timedelta(days=1)).isoformat()
    now = _at_gate(ticket) + timedelta(minutes=5)
    report = gate.sync(slot, uploads, gate="East", device="a", staff=gate_staff, now=now)
    assert (report.accepted, report.refused) == (1, 2)
    assert [r["code"] for r in report.refusals] == ["too_early", "in_the_future"]
    dated_ahead = _uploads(ticket, "dev-b")[:1]
    early = slot.starts_at - timedelta(hours=3)
    refused = gate.sync(slot, dated_ahead, gate="East", device="b", staff=gate_staff, now=early)
    assert refused.refusals == [{"nonce": dated_ahead[0]["nonce"], "code": "in_the_future"}]
    assert CheckIn.objects.count() == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (b"not json", ""),
        (b"[1, 2]", "checkins"),
        (b'{"checkins": "all of them"}', "checkins"),
        (b'{"checkins": [1]}', "checkins[0]"),
        (b'{"device": 7, "checkins": []}', "device"),
        (
            b'{"checkins": [{"nonce": "n", "ticket": "t", "member": "x", "scanned_at": "s"}]}',
            "checkins[0].member",
        ),
        (
            b'{"checkins": [{"nonce": "n", "ticket": ["t"], "member": 1, "scanned_at": "s"}]}',
            "checkins[0].ticket",
        ),
        (
            b'{"checkins": [{"nonce": "n", "ticket": "t", "member": 1,'
            b' "scanned_at": "yesterday"}]}',
            "checkins[0].scanned_at",
        ),
        (
            b'{"checkins": [{"nonce": "n", "ticket": "t", "member": 1,'
            b' "scanned_at": "2026-01-01T09:00:00"}]}',
            "checkins[0].scanned_at",
        ),
        (
            b'{"checkins": [{"nonce": "", "ticket": "t", "member": 1, "scanned_at": "s"}]}',
            "checkins[0].nonce",
        ),
        (
            b'{"checkins": [{"nonce": "n", "ticket": "t", "member": 99999999999999999999,'
            b' "scanned_at": "2026-01-01T09:00:00+08:00"}]}',
            "checkins[0].member",
        ),
    ],
)
def test_malformed_offline_uploads_get_400_naming_what_is_wrong(
    client, ticket, gate_staff, body, field
):
    sign_in_staff(client, gate_staff)
    response = client.post(
        reverse("backoffice:gate_sync", args=[ticket.offer.slot.pk]),
        body,
        content_type="application/json",
    )
    assert response.status_code == 400
    assert response.json()["field"] == field and response.json()["message"]
    assert CheckIn.objects.count() == 0


def test_gate_staff_see_only_their_sites_sessions(client, ticket, gate_staff):
    from django.utils import timezone

    from tourdraw.catalog.models import Slot

    slot = ticket.offer.slot
    today = timezone.localtime().replace(hour=15, minute=0, second=0, microsecond=0)
    Slot.objects.filter(pk=slot.pk).update(starts_at=today, ends_at=today + timedelta(hours=1))
    sign_in_staff(client, make_staff("nio-gate", "gate", make_site("nio", name="蔚来")))
    html = client.get(reverse("backoffice:gate_slots")).content.decode()
    assert reverse("backoffice:gate", args=[slot.pk]) not in html
    sign_in_staff(client, gate_staff)
    html = client.get(reverse("backoffice:gate_slots")).content.decode()
    assert reverse("backoffice:gate", args=[slot.pk]) in html


def test_two_uploads_of_the_same_queue_at_once_count_once(transactional_db, gate_staff):
    import threading

    from django.db import connections

    _, slot, entries = drawn_round(6, [3], [])
    ticket = confirm_offer(
        Offer.objects.get(entry=entries[0]), actor=None, accepted_rules=True, via="online"
    )
    uploads = _uploads(ticket, "dev-a")
    barrier = threading.Barrier(2)
    reports: list = []
    failures: list = []

    def upload() -> None:
        try:
            barrier.wait()
            reports.append(
                gate.sync(
                    slot, uploads, gate="East", device="a", staff=gate_staff, now=_at_gate(ticket)
                )
            )
        except Exception as error:  # reported by the assertion below
            failures.append(repr(error))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=upload) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert sum(r.accepted for r in reports) == 3
    assert sum(r.duplicates for r in reports) == 3
    assert CheckIn.objects.count() == 3
