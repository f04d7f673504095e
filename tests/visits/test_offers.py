import threading
from datetime import timedelta

import pytest
from django.db import connections

from tests.support import drawn_round
from tourdraw.notify.models import OutboxMessage
from tourdraw.visits import offers
from tourdraw.visits.models import Offer, Promotion, Ticket
from tourdraw.visits.offers import OfferError, confirm_offer, decline_offer


def _offer(entry):
    return Offer.objects.get(entry=entry)


def test_confirming_requires_accepting_the_visit_rules(db):
    _, _, entries = drawn_round(4, [2], [])
    with pytest.raises(OfferError) as error:
        confirm_offer(_offer(entries[0]), actor=None, accepted_rules=False, via="online")
    assert error.value.code == "rules_not_accepted"
    assert _offer(entries[0]).state == Offer.State.PENDING


def test_confirming_issues_one_ticket_and_texts_its_link(db):
    _, _, entries = drawn_round(4, [2], [])
    ticket = confirm_offer(_offer(entries[0]), actor=None, accepted_rules=True, via="online")
    assert ticket.is_valid and ticket.offer.state == Offer.State.CONFIRMED
    message = OutboxMessage.objects.get(topic="ticket.issued")
    assert f"/tickets/{ticket.code}/" in message.body
    assert message.to == entries[0].visitor.phone


def test_an_offer_cannot_be_confirmed_after_its_deadline(db):
    _, _, entries = drawn_round(4, [2], [])
    offer = _offer(entries[0])
    with pytest.raises(OfferError) as error:
        confirm_offer(offer, actor=None, accepted_rules=True, via="online", now=offer.deadline)
    assert error.value.code == "offer_deadline_passed"


def test_a_decided_offer_cannot_be_decided_again(db):
    _, _, entries = drawn_round(4, [2], [])
    decline_offer(_offer(entries[0]), actor=None)
    with pytest.raises(OfferError) as error:
        confirm_offer(_offer(entries[0]), actor=None, accepted_rules=True, via="online")
    assert error.value.code == "offer_declined"


def test_promotion_skips_a_party_too_big_and_gives_the_places_to_a_smaller_one_later(db):
    _, _, entries = drawn_round(4, [2, 2], [3, 2, 1])
    placed_a, placed_b, big, two, one = entries
    decline_offer(_offer(placed_a), actor=None)
    assert [o.entry for o in Offer.objects.filter(source="waitlist")] == [two]
    decline_offer(_offer(placed_b), actor=None)
    assert [o.entry for o in Offer.objects.filter(source="waitlist").order_by("pk")] == [two, one]
    assert not Offer.objects.filter(entry=big).exists()
    log = list(
        Promotion.objects.order_by("pk").values_list("offer__entry__code", "reason", "free_places")
    )
    assert log == [(two.code, "declined", 2), (one.code, "declined", 2)]


def test_promotion_fills_several_parties_while_places_remain(db):
    _, _, entries = drawn_round(3, [3], [1, 1, 2])
    decline_offer(_offer(entries[0]), actor=None)
    assert {o.entry for o in Offer.objects.filter(source="waitlist")} == {entries[1], entries[2]}


def test_a_promoted_winner_is_called_and_texted(db):
    _, _, entries = drawn_round(2, [2], [2])
    decline_offer(_offer(entries[0]), actor=None)
    promoted = _offer(entries[1])
    kinds = set(
        OutboxMessage.objects.filter(topic="offer.made", object_id=str(promoted.pk)).values_list(
            "kind", flat=True
        )
    )
    assert kinds == {"voice", "sms"}


def test_promotion_stops_at_the_cutoff_before_the_slot(db, settings):
    _, slot, entries = drawn_round(2, [2], [2])
    late = slot.starts_at - settings.TOURDRAW_PROMOTION_CUTOFF
    offer = _offer(entries[0])
    Offer.objects.filter(pk=offer.pk).update(deadline=late + timedelta(hours=1))
    decline_offer(offer, actor=None, now=late)
    assert not Offer.objects.filter(source="waitlist").exists()


def test_expired_offers_free_their_places_once(db):
    _, _, entries = drawn_round(2, [2], [2])
    deadline = _offer(entries[0]).deadline
    assert offers.expire_due_offers(deadline - timedelta(seconds=1)) == 0
    assert offers.expire_due_offers(deadline) == 1
    assert offers.expire_due_offers(deadline) == 0
    assert _offer(entries[0]).state == Offer.State.EXPIRED
    assert _offer(entries[1]).source == "waitlist"
    assert Promotion.objects.get().reason == "expired"


def test_an_offer_expires_exactly_once_with_two_workers(transactional_db):
    _, _, entries = drawn_round(2, [2], [2])
    deadline = _offer(entries[0]).deadline
    barrier = threading.Barrier(2)
    counts: list[int] = []

    def worker() -> None:
        try:
            barrier.wait()
            counts.append(offers.expire_due_offers(deadline))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(counts) == [0, 1]
    assert Offer.objects.filter(source="waitlist").count() == 1
    assert OutboxMessage.objects.filter(topic="offer.expired").count() == 1


def test_winners_are_reminded_once_before_the_deadline(db, settings):
    _, _, entries = drawn_round(2, [2], [])
    deadline = _offer(entries[0]).deadline
    early = deadline - settings.TOURDRAW_REMINDER_BEFORE - timedelta(minutes=1)
    assert offers.remind_due_offers(early) == 0
    assert offers.remind_due_offers(deadline - timedelta(hours=1)) == 1
    assert offers.remind_due_offers(deadline - timedelta(minutes=30)) == 0
    assert OutboxMessage.objects.filter(topic="offer.reminder").count() == 1


def test_the_visitor_gets_messages_in_their_language(db):
    _, _, entries = drawn_round(2, [2], [])
    user = entries[0].visitor.user
    user.language = "zh-hans"
    user.save()
    confirm_offer(_offer(entries[0]), actor=None, accepted_rules=True, via="online")
    message = OutboxMessage.objects.get(topic="ticket.issued")
    assert message.language == "zh-hans"
    assert "证件" in message.body


def test_a_ticket_is_one_per_party(db):
    _, _, entries = drawn_round(4, [3], [])
    ticket = confirm_offer(_offer(entries[0]), actor=None, accepted_rules=True, via="online")
    assert Ticket.objects.count() == 1
    assert ticket.offer.entry.members.count() == 3
