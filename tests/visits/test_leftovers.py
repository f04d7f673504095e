"""Leftover places: when they open, who may claim them, what a claim leaves."""

from datetime import date, time, timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from tests.support import (
    drawn_round,
    make_round,
    make_tour,
    make_visitor,
    present,
    resident_id,
    settle_draw,
)
from tourdraw.audit.models import LogEntry
from tourdraw.catalog.services import generate_slots
from tourdraw.lottery import rounds
from tourdraw.lottery.entries import CompanionInput, EntryRejected
from tourdraw.lottery.models import Entry
from tourdraw.notify.models import OutboxMessage
from tourdraw.visits import capacity, gate, leftovers, tickets
from tourdraw.visits.models import LeftoverOpening, Offer
from tourdraw.visits.offers import decline_offer, promote


def _claimant(number: int, *, name: str = "", language: str = ""):
    visitor = make_visitor(
        f"+86135{number:08d}",
        name=name or f"散客{number}",
        birth_date=date(1975, 1, 1) + timedelta(days=number),
        sequence=number % 1000,
    )
    if language:
        visitor.user.language = language
        visitor.user.save(update_fields=["language"])
    return visitor


def _companion(number: int, born: date | None = None) -> CompanionInput:
    born = born or date(1960, 1, 1) + timedelta(days=number)
    return CompanionInput(
        full_name=f"同行{number}", id_type="cn_resident", id_number=resident_id(born, "320101", 7)
    )


@pytest.fixture
def open_slot(db, site_operator):
    """A drawn slot of 10 places: the draw placed three parties of two and no
    one waits, so four places are leftovers, opened by the operator."""
    round, slot, entries = drawn_round(10, [2, 2, 2], [])
    leftovers.open_leftovers(slot, actor=site_operator)
    return round, slot, entries


def test_leftovers_do_not_open_while_a_waiting_entry_could_still_be_offered(db, site_operator):
    _, slot, entries = drawn_round(10, [2, 2, 2, 2], [3])
    # Two places free; the waiting party of three does not fit them now, but it
    # could have them if another place frees: the waitlist is not done.
    with pytest.raises(leftovers.LeftoverError) as refused:
        leftovers.open_leftovers(slot, actor=site_operator)
    assert refused.value.code == "waitlist_not_done"
    assert "1 entry on the waitlist chose" in refused.value.message
    decline_offer(Offer.objects.get(entry=entries[0]), actor=None)
    waiting = Offer.objects.get(entry=entries[4])
    assert waiting.source == Offer.Source.WAITLIST
    # The waitlist has now had its last entry: its free place may open.
    opening = leftovers.open_leftovers(slot, actor=site_operator)
    assert opening.reason == leftovers.WAITLIST_EMPTY
    assert capacity.free_places(slot) == 1
    assert LogEntry.objects.filter(action="tourdraw.leftovers.opened").count() == 1


def test_leftovers_open_at_the_promotion_cut_off_even_with_entries_waiting(db, site_operator):
    _, slot, _ = drawn_round(10, [2, 2, 2], [3, 3])
    now = slot.starts_at - settings.TOURDRAW_PROMOTION_CUTOFF + timedelta(minutes=1)
    assert promote(slot, reason="declined", now=now) == []
    opening = leftovers.open_leftovers(slot, actor=site_operator, now=now)
    assert opening.reason == leftovers.CUTOFF_PASSED


def test_a_full_slot_has_no_leftovers_to_open(db, site_operator):
    _, full, _ = drawn_round(4, [2, 2], [])
    with pytest.raises(leftovers.LeftoverError) as refused:
        leftovers.open_leftovers(full, actor=site_operator)
    assert refused.value.code == "no_leftovers"
    assert not LeftoverOpening.objects.exists()


def test_a_round_not_yet_drawn_has_no_leftovers_to_open(site_operator, round):
    with pytest.raises(leftovers.LeftoverError) as refused:
        leftovers.open_leftovers(round.slots.first(), actor=site_operator)
    assert refused.value.code == "round_not_drawn"
    assert not LeftoverOpening.objects.exists()


def test_a_claim_issues_a_confirmed_ticket_and_tells_the_visitor_in_their_language(open_slot):
    round, slot, _ = open_slot
    visitor = _claimant(1, language="en")
    ticket = leftovers.claim_leftover(
        slot, visitor, companions=[_companion(1)], accepted_rules=True
    )
    offer = ticket.offer
    assert (offer.source, offer.state, offer.persons) == ("leftover", "confirmed", 2)
    entry = offer.entry
    assert entry.leftover and entry.round == round and entry.party_size == 2
    assert list(entry.choices.values_list("slot", flat=True)) == [slot.pk]
    assert capacity.free_places(slot) == 2
    message = OutboxMessage.objects.get(topic="ticket.issued", object_id=str(offer.pk))
    assert message.body.startswith("tourdraw: confirmed.")
    assert LogEntry.objects.filter(action="tourdraw.leftover.claimed").count() == 1
    # The gate lets the party in as any other.
    now = slot.starts_at - timedelta(minutes=10)
    scanned = gate.scan(tickets.payload(ticket), slot=slot, now=now)
    members = [m.member.pk for m in scanned.party]
    assert len(gate.check_in(ticket, members, slot=slot, gate="East", staff=None, now=now)) == 2


def test_the_claim_message_is_in_chinese_for_a_chinese_visitor(open_slot):
    _, slot, _ = open_slot
    ticket = leftovers.claim_leftover(slot, _claimant(2, language="zh-hans"), accepted_rules=True)
    message = OutboxMessage.objects.get(topic="ticket.issued", object_id=str(ticket.offer.pk))
    assert "tourdraw: confirmed." not in message.body
    assert "tourdraw" in message.body


def test_a_companion_under_the_minimum_age_is_named(open_slot):
    _, slot, _ = open_slot
    child = _companion(3, born=timezone.localdate() - timedelta(days=365 * 4))
    with pytest.raises(EntryRejected) as refused:
        leftovers.claim_leftover(slot, _claimant(3), companions=[child], accepted_rules=True)
    assert refused.value.code == "under_min_age"
    assert "同行3" in refused.value.message
    assert capacity.free_places(slot) == 4


def test_more_companions_than_the_tour_allows_are_refused(open_slot):
    _, slot, _ = open_slot
    party = [_companion(n) for n in range(10, 13)]
    with pytest.raises(EntryRejected) as refused:
        leftovers.claim_leftover(slot, _claimant(4), companions=party, accepted_rules=True)
    assert refused.value.code == "too_many_companions"


def test_an_entrant_of_the_draw_cannot_claim_a_leftover_too(open_slot):
    _, slot, entries = open_slot
    winner = entries[0].visitor
    with pytest.raises(EntryRejected) as refused:
        leftovers.claim_leftover(slot, winner, accepted_rules=True)
    assert refused.value.code == "person_already_booked"
    assert winner.self_person.full_name in refused.value.message
    assert not Entry.objects.filter(leftover=True).exists()


def test_one_claim_per_person_per_round(open_slot):
    _, slot, _ = open_slot
    visitor = _claimant(5)
    leftovers.claim_leftover(slot, visitor, accepted_rules=True)
    with pytest.raises(EntryRejected) as refused:
        leftovers.claim_leftover(slot, visitor, accepted_rules=True)
    assert refused.value.code == "person_already_booked"
    # Nor as someone else's companion.
    someone = _claimant(6)
    me = present(visitor.self_person)
    as_companion = CompanionInput(
        full_name=me.full_name, person_id=None, id_type=me.id_type, id_number=me.id_number
    )
    with pytest.raises(EntryRejected) as refused:
        leftovers.claim_leftover(slot, someone, companions=[as_companion], accepted_rules=True)
    assert refused.value.code == "person_already_booked"
    assert Offer.objects.filter(source="leftover").count() == 1


def test_a_party_larger_than_the_places_left_is_refused(db, site_operator):
    _, slot, _ = drawn_round(10, [2, 2, 2, 2, 1], [])
    leftovers.open_leftovers(slot, actor=site_operator)
    with pytest.raises(leftovers.LeftoverError) as refused:
        leftovers.claim_leftover(
            slot, _claimant(7), companions=[_companion(7)], accepted_rules=True
        )
    assert refused.value.code == "leftovers_gone"
    assert "Only 1 place is left" in refused.value.message


def _another_drawn_slot(site, days_ahead: int = 20):
    """A second round of the site, drawn with no entries: all its places are leftovers."""
    tour = make_tour(site, code="second-tour")
    day = timezone.localdate() + timedelta(days=days_ahead)
    slot = generate_slots(tour, first_day=day, last_day=day, times=[time(9, 30)], capacity=10)[0]
    round = make_round(tour, code="round-2", slots=[slot])
    rounds.close_round(round, now=timezone.now())
    settle_draw(round, slot, [], placed=0)
    return slot


def test_a_leftover_no_show_is_barred_from_the_sites_next_leftovers(open_slot, site_operator):
    _, slot, _ = open_slot
    visitor = _claimant(8)
    ticket = leftovers.claim_leftover(slot, visitor, accepted_rules=True)
    after = slot.ends_at + timedelta(hours=1)
    # Nobody of the party came: the gate's no-show run marks the leftover ticket too.
    assert gate.mark_no_shows(after) == 1
    assert ticket.no_show.entrant_hash == present(visitor.self_person).id_hash
    later = _another_drawn_slot(slot.tour.site)
    leftovers.open_leftovers(later, actor=site_operator)
    with pytest.raises(EntryRejected) as refused:
        leftovers.claim_leftover(later, visitor, accepted_rules=True, now=after)
    assert refused.value.code == "barred_no_show"
    assert leftovers.claim_leftover(later, _claimant(13), accepted_rules=True, now=after)


def test_claims_need_the_slot_opened_and_stop_at_the_cut_off(db, site_operator):
    _, slot, _ = drawn_round(10, [2, 2], [])
    visitor = _claimant(9)
    with pytest.raises(leftovers.LeftoverError) as refused:
        leftovers.claim_leftover(slot, visitor, accepted_rules=True)
    assert refused.value.code == "leftovers_not_open"
    leftovers.open_leftovers(slot, actor=site_operator)
    late = leftovers.claims_until(slot)
    with pytest.raises(leftovers.LeftoverError) as refused:
        leftovers.claim_leftover(slot, visitor, accepted_rules=True, now=late)
    assert refused.value.code == "leftovers_closed"
    assert leftovers.open_in(slot.round_slot.round, late) == []


def test_a_cancelled_leftover_ticket_returns_its_places_to_the_leftovers(open_slot):
    _, slot, _ = open_slot
    first = leftovers.claim_leftover(
        slot, _claimant(10), companions=[_companion(20), _companion(21)], accepted_rules=True
    )
    leftovers.claim_leftover(slot, _claimant(11), accepted_rules=True)
    assert capacity.free_places(slot) == 0
    late_comer = _claimant(12)
    with pytest.raises(leftovers.LeftoverError) as refused:
        leftovers.claim_leftover(slot, late_comer, accepted_rules=True)
    assert refused.value.code == "leftovers_gone"
    tickets.cancel_ticket(first, actor=None)
    assert capacity.free_places(slot) == 3
    again = leftovers.claim_leftover(slot, late_comer, accepted_rules=True)
    assert again.offer.state == "confirmed"
    [shown] = leftovers.open_in(slot.round_slot.round, timezone.now())
    assert shown.free_places == 2
