"""A visitor sees, downloads, corrects and deletes their data, in the web and the API."""

import json
from datetime import timedelta

import pytest
from django.urls import reverse

from tests.support import api_token_headers, drawn_round
from tourdraw.audit.models import LogEntry
from tourdraw.lottery.models import Entry
from tourdraw.people.models import Person, Visitor
from tourdraw.visits.models import Offer, Ticket
from tourdraw.visits.offers import confirm_offer, decline_offer

API = "/api/v1"


def test_the_download_holds_everything_but_no_whole_id_number(client, visitor, round):
    from tourdraw.lottery.entries import enter_round

    entry = enter_round(round, visitor, choices=[round.slots.first().pk])
    client.force_login(visitor.user)
    assert "王建国" in client.get(reverse("web:my_data")).content.decode()
    response = client.get(reverse("web:my_data") + "?download=1")
    assert response["Content-Disposition"].startswith("attachment")
    data = json.loads(response.content)
    assert data["visitor"]["phone"] == "+8613900000001"
    assert [p["full_name"] for p in data["people"]] == ["王建国"]
    assert data["people"][0]["birth_date"] == "1985-03-14"
    assert [e["code"] for e in data["entries"]] == [entry.code]
    assert {c["kind"] for c in data["consents"]} == {"notice", "sensitive_pi"}
    number = Person.objects.get().id_number
    assert number not in response.content.decode() and number[:-4] not in response.content.decode()
    assert data["people"][0]["id_masked"] == "******" + number[-4:]


def test_the_api_gives_the_same_data_and_corrects_a_name(client, visitor):
    headers = api_token_headers(visitor.user)
    data = client.get(f"{API}/me/data", **headers).json()
    assert data["visitor"]["phone"] == "+8613900000001"
    person_id = data["people"][0]["id"]
    corrected = client.patch(
        f"{API}/me/people/{person_id}",
        {"full_name": "  王 建国 "},
        content_type="application/json",
        **headers,
    )
    assert corrected.status_code == 200 and corrected.json()["full_name"] == "王 建国"
    assert LogEntry.objects.filter(action="tourdraw.person.corrected").exists()


def test_a_visitor_cannot_correct_someone_elses_person(client, visitor, other_visitor):
    theirs = Person.objects.get(owner=other_visitor)
    response = client.patch(
        f"{API}/me/people/{theirs.pk}",
        {"full_name": "冒名"},
        content_type="application/json",
        **api_token_headers(visitor.user),
    )
    assert response.status_code == 400 and response.json()["code"] == "person_unknown"
    assert Person.objects.get(pk=theirs.pk).full_name == "李秀英"


def _deleted(visitor: Visitor) -> None:
    visitor.refresh_from_db()
    assert visitor.deleted_at is not None and visitor.phone == ""
    assert not visitor.user.is_active
    for person in Person.objects.filter(owner=visitor):
        assert (person.full_name, person.id_number, person.birth_date) == ("", "", None)


def test_a_deleted_winners_place_goes_down_the_waitlist_as_a_decline_would(
    client, db, call_centre_agent
):
    from tourdraw.visits.calls import record_call
    from tourdraw.visits.models import CallAttempt

    _, slot, entries = drawn_round(2, [2], [2, 2])
    winner, first_waiting, second_waiting = entries
    record_call(
        Offer.objects.get(entry=winner),
        agent=call_centre_agent,
        outcome="no_answer",
        note="王先生说晚上再打",
    )
    # The first in line deletes their account too: promotions pass them by.
    client.force_login(first_waiting.visitor.user)
    assert client.post(reverse("web:delete_account"), {"confirm": "delete"}).status_code == 302
    assert Entry.objects.get(pk=first_waiting.pk).state == Entry.State.WITHDRAWN

    client.force_login(winner.visitor.user)
    page = client.get(reverse("web:delete_account"))
    assert page.status_code == 200
    assert client.post(reverse("web:delete_account"), {"confirm": "delete"}).status_code == 302

    assert Offer.objects.get(entry=winner).state == Offer.State.DECLINED
    promoted = Offer.objects.get(entry=second_waiting)
    assert promoted.source == Offer.Source.WAITLIST and promoted.slot == slot
    assert not Offer.objects.filter(entry=first_waiting).exists()
    _deleted(winner.visitor)
    _deleted(first_waiting.visitor)
    assert CallAttempt.objects.get().note == ""
    assert LogEntry.objects.filter(action="tourdraw.visitor.deleted").count() == 2
    # Signed out, and the account cannot come back.
    assert client.get(reverse("web:my_data")).status_code == 302


def test_deleting_through_the_api_cancels_a_ticket_and_frees_its_places(client, db):
    _, slot, entries = drawn_round(2, [2], [2])
    winner, waiting = entries
    ticket = confirm_offer(
        Offer.objects.get(entry=winner), actor=None, accepted_rules=True, via="online"
    )
    response = client.delete(f"{API}/me", **api_token_headers(winner.visitor.user))
    assert response.status_code == 200 and response.json() == {"deleted": True}
    assert Ticket.objects.get(pk=ticket.pk).state == Ticket.State.CANCELLED
    assert Offer.objects.get(entry=waiting).slot == slot
    _deleted(winner.visitor)


def test_a_decline_gives_the_same_waitlist_result(db):
    """The comparison the deletion test rests on: a plain decline promotes the same way."""
    _, slot, entries = drawn_round(2, [2], [2, 2])
    winner, first_waiting, _ = entries
    decline_offer(Offer.objects.get(entry=winner), actor=None)
    assert Offer.objects.get(entry=first_waiting).slot == slot


@pytest.mark.parametrize("method", ["get", "post"])
def test_deletion_needs_the_explicit_confirmation(client, visitor, method):
    client.force_login(visitor.user)
    getattr(client, method)(reverse("web:delete_account"), {"confirm": "no"})
    visitor.refresh_from_db()
    assert visitor.deleted_at is None


def test_a_ticket_too_close_to_cancel_keeps_its_party_until_retention(db, settings):
    from datetime import timedelta

    from tourdraw.people import retention, rights

    settings.TOURDRAW_RETENTION_DAYS = 30
    _, slot, entries = drawn_round(2, [2], [])
    winner = entries[0]
    ticket = confirm_offer(
        Offer.objects.get(entry=winner), actor=None, accepted_rules=True, via="online"
    )
    rights.delete_account(winner.visitor, now=slot.starts_at - timedelta(hours=1))
    assert Ticket.objects.get(pk=ticket.pk).state == Ticket.State.VALID
    party = Person.objects.filter(entry_memberships__entry=winner)
    assert all(person.full_name and person.birth_date for person in party)
    winner.visitor.refresh_from_db()
    assert winner.visitor.phone == "" and winner.visitor.deleted_at is not None

    retention.erase_due(slot.starts_at + timedelta(days=31))
    assert all(person.erased_at for person in Person.objects.filter(pk__in=party))


def test_a_place_drawn_for_an_account_deleted_after_close_goes_down_the_waitlist(db):
    """The sealed draw still holds the entry; the worker's next tick gives its
    place up as a decline would, not at the offer's deadline."""
    from django.utils import timezone

    from tests.support import make_party_entry, make_round, make_slots, make_tour
    from tourdraw.lottery import rounds
    from tourdraw.lottery.models import DrawOutcome, Round
    from tourdraw.people import rights
    from tourdraw.scheduler import run_due_transitions

    tour = make_tour()
    slot = make_slots(tour, timezone.localdate() + timedelta(days=10), capacity=2)[0]
    round = make_round(tour, slots=[slot])
    gone, waiting = (make_party_entry(round, 2000 + n, 2, [slot.pk]) for n in range(2))
    rounds.close_round(round, now=timezone.now())
    rights.delete_account(gone.visitor, now=timezone.now())
    assert Entry.objects.get(pk=gone.pk).state == Entry.State.ACTIVE  # sealed in the draw

    # The draw's outcome, set by hand as tests.support.drawn_round does.
    now = timezone.now()
    DrawOutcome.objects.create(round=round, entry=gone, position=1, slot=slot)
    DrawOutcome.objects.create(round=round, entry=waiting, position=2, slot=None)
    Offer.objects.create(
        entry=gone,
        slot=slot,
        persons=2,
        source="draw",
        deadline=now + timedelta(days=2),
        created_at=now,
    )
    Round.objects.filter(pk=round.pk).update(state=Round.State.DRAWN, drawn_at=now)

    run_due_transitions(now)
    assert Offer.objects.get(entry=gone).state == Offer.State.DECLINED
    assert Offer.objects.get(entry=waiting).slot == slot
