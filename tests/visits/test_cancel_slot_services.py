"""Cancelling a session goes through the service of each thing it changes:
every entry, offer, ticket and group gets its own audit entry naming the
operator, its message comes from that service, and all of it is one transaction."""

from datetime import timedelta
from typing import NamedTuple

import pytest
from django.db import IntegrityError
from django.utils import timezone

from tests.faults import audit_writes_fail
from tests.support import drawn_round, make_site, make_staff, request_group
from tourdraw.audit.models import LogEntry
from tourdraw.catalog.models import Slot
from tourdraw.groups.models import GroupVisit
from tourdraw.lottery.entries import enter_round
from tourdraw.lottery.models import Entry, Round
from tourdraw.notify.models import OutboxMessage
from tourdraw.people.models import User, Visitor
from tourdraw.visits.cancellation import cancel_slot
from tourdraw.visits.models import Offer, Promotion, Ticket
from tourdraw.visits.offers import confirm_offer


@pytest.fixture
def operator(db: None) -> User:
    return make_staff("op", "site_operator", make_site("another"))


def _entries_of(action: str, object_type: str) -> dict[str, LogEntry]:
    found = LogEntry.objects.filter(action=action, object_type=object_type)
    return {entry.object_id: entry for entry in found}


class BeforeTheDraw(NamedTuple):
    cancelled: Slot
    keeps: Entry  # chose another session too
    loses: Entry  # chose only the cancelled one


@pytest.fixture
def cancelled_before_the_draw(
    round: Round, visitor: Visitor, other_visitor: Visitor, operator: User
) -> BeforeTheDraw:
    first, second = round.slots.order_by("starts_at")[:2]
    keeps = enter_round(round, visitor, choices=[first.pk, second.pk])
    loses = enter_round(round, other_visitor, choices=[first.pk])
    cancel_slot(first, reason="Line maintenance", actor=operator)
    return BeforeTheDraw(first, keeps, loses)


def test_each_entry_that_loses_the_session_has_its_own_audit_entry(
    cancelled_before_the_draw: BeforeTheDraw, round: Round, operator: User
) -> None:
    slot, keeps, loses = cancelled_before_the_draw
    why = {"slot": slot.code, "reason": "slot_cancelled"}
    dropped = _entries_of("tourdraw.entry.choice_dropped", "lottery.entry")
    withdrawn = _entries_of("tourdraw.entry.withdrawn", "lottery.entry")
    assert set(dropped) == {str(keeps.pk)} and set(withdrawn) == {str(loses.pk)}
    for logged in (dropped[str(keeps.pk)], withdrawn[str(loses.pk)]):
        assert (logged.actor, logged.data) == (operator, why)
    removed = LogEntry.objects.get(action="tourdraw.round.slot_removed")
    assert (removed.object_id, removed.data) == (str(round.pk), {"slot": slot.pk})
    assert Entry.objects.get(pk=loses.pk).members.filter(active=True).count() == 0


def test_each_entrant_is_told_once_by_the_entry_service(
    cancelled_before_the_draw: BeforeTheDraw,
) -> None:
    _, keeps, loses = cancelled_before_the_draw
    told = {m.object_id: m for m in OutboxMessage.objects.filter(object_type="lottery.entry")}
    assert set(told) == {str(keeps.pk), str(loses.pk)}
    assert told[str(keeps.pk)].topic == "entry.choice_dropped"
    assert "仍保留其他志愿" in told[str(keeps.pk)].body  # the visitor's language
    assert told[str(loses.pk)].topic == "entry.withdrawn"
    assert "报名已撤回" in told[str(loses.pk)].body


def _drawn_with_ticket_and_group() -> tuple[Slot, Ticket, GroupVisit, list[Entry]]:
    group = request_group(make_site(), 4, organisation="学校")
    _, slot, entries = drawn_round(10, [2, 2], [2], group=group)
    ticket = confirm_offer(
        Offer.objects.get(entry=entries[0]), actor=None, accepted_rules=True, via="online"
    )
    return slot, ticket, group, entries


def test_each_offer_ticket_and_group_has_its_own_audit_entry(operator: User) -> None:
    slot, ticket, group, _ = _drawn_with_ticket_and_group()
    offers = list(Offer.objects.filter(slot=slot).order_by("pk"))
    cancel_slot(slot, reason="Power cut", actor=operator)
    cancelled_ticket = LogEntry.objects.get(action="tourdraw.ticket.cancelled")
    assert (cancelled_ticket.object_id, cancelled_ticket.actor) == (str(ticket.pk), operator)
    assert cancelled_ticket.data == {"reason": "slot_cancelled"}
    cancelled_offers = _entries_of("tourdraw.offer.cancelled", "visits.offer")
    assert set(cancelled_offers) == {str(offer.pk) for offer in offers}
    assert {logged.actor for logged in cancelled_offers.values()} == {operator}
    released = LogEntry.objects.get(action="tourdraw.group.released")
    assert (released.object_id, released.data) == (str(group.pk), {"slot": slot.pk})
    slot_entry = LogEntry.objects.get(action="tourdraw.slot.cancelled")
    assert slot_entry.data["places_cancelled"] == 2 and slot_entry.data["groups_released"] == 1


def test_no_one_on_the_waitlist_is_promoted_into_the_cancelled_session(operator: User) -> None:
    slot, _, _, entries = _drawn_with_ticket_and_group()
    cancel_slot(slot, reason="Power cut", actor=operator)
    assert not Offer.objects.filter(entry=entries[2]).exists()
    assert set(Offer.objects.values_list("state", flat=True)) == {Offer.State.CANCELLED}
    assert not Promotion.objects.exists()


def test_each_visitor_with_a_place_is_told_once_that_the_session_is_cancelled(
    operator: User,
) -> None:
    slot, _, group, _ = _drawn_with_ticket_and_group()
    before = OutboxMessage.objects.order_by("pk").last()
    cancel_slot(slot, reason="Power cut", actor=operator)
    told = OutboxMessage.objects.filter(pk__gt=before.pk if before else 0)
    offers = {str(pk) for pk in Offer.objects.filter(slot=slot).values_list("pk", flat=True)}
    assert sorted((m.topic, m.object_id) for m in told) == sorted(
        [("group.slot_cancelled", str(group.pk))]
        + [("offer.slot_cancelled", offer) for offer in offers]
    )


def test_a_ticket_goes_with_its_session_even_after_the_visitors_cut_off(operator: User) -> None:
    slot, ticket, _, _ = _drawn_with_ticket_and_group()
    on_the_day = slot.starts_at - timedelta(minutes=30)
    cancel_slot(slot, reason="Power cut", actor=operator, now=on_the_day)
    ticket.refresh_from_db()
    assert (ticket.state, ticket.cancelled_at) == (Ticket.State.CANCELLED, on_the_day)


def test_when_an_audit_entry_cannot_be_written_nothing_is_cancelled(operator: User) -> None:
    slot, ticket, group, _ = _drawn_with_ticket_and_group()
    messages_before = OutboxMessage.objects.count()
    with audit_writes_fail(), pytest.raises(IntegrityError):
        cancel_slot(slot, reason="Power cut", actor=operator, now=timezone.now())
    slot.refresh_from_db()
    assert slot.cancelled_at is None
    assert Ticket.objects.get(pk=ticket.pk).is_valid
    assert set(Offer.objects.filter(slot=slot).values_list("state", flat=True)) == {
        Offer.State.CONFIRMED,
        Offer.State.PENDING,
    }
    assert GroupVisit.objects.get(pk=group.pk).state == GroupVisit.State.APPROVED
    assert OutboxMessage.objects.count() == messages_before
