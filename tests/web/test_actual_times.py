"""Pages and messages give the times things happened, not the times planned; and
after a session, an entry says what happened instead of a waitlist position."""

from datetime import datetime, timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import formats, timezone

from tests import support
from tourdraw.catalog.models import Slot
from tourdraw.lottery import rounds
from tourdraw.lottery.entries import EntryRejected, enter_round
from tourdraw.lottery.models import Entry, Round
from tourdraw.people.models import Visitor
from tourdraw.visits import gate
from tourdraw.visits.models import Offer, Ticket
from tourdraw.visits.offers import confirm_offer
from tourdraw.visits.status import entry_status


def _shown(round: Round, moment: datetime) -> str:
    local = timezone.localtime(moment, round.tour.site.tzinfo)
    return formats.date_format(local, "DATETIME_FORMAT")


def _tomorrow_at_ten() -> datetime:
    local = timezone.localtime() + timedelta(days=1)
    return local.replace(hour=10, minute=0, second=0, microsecond=0)


def test_the_round_page_shows_the_early_close_and_draw(client: Client, round: Round) -> None:
    closed_at = _tomorrow_at_ten()
    rounds.close_round(round, now=closed_at)
    support.draw_with_beacon(round, now=closed_at)
    round.refresh_from_db()
    assert round.drawn_at is not None and round.drawn_at < round.draws_at
    page = client.get(reverse("web:round", args=[round.code])).content.decode()
    assert "Entries closed" in page
    assert _shown(round, closed_at) in page
    assert _shown(round, round.drawn_at) in page
    assert _shown(round, round.closes_at) not in page
    assert _shown(round, round.draws_at) not in page


def test_my_entry_shows_the_actual_draw_time(
    client: Client, round: Round, visitor: Visitor
) -> None:
    entry = enter_round(round, visitor, choices=[round.slots.order_by("starts_at")[0].pk])
    rounds.close_round(round, now=_tomorrow_at_ten())
    support.draw_with_beacon(round, now=_tomorrow_at_ten())
    round.refresh_from_db()
    assert round.drawn_at is not None
    client.force_login(visitor.user)
    page = client.get(reverse("web:entry_detail", args=[entry.code])).content.decode()
    assert _shown(round, round.drawn_at) in page
    assert _shown(round, round.draws_at) not in page


def test_entering_after_an_early_close_gives_its_time_in_one_sentence(
    round: Round, visitor: Visitor
) -> None:
    closed_at = _tomorrow_at_ten()
    rounds.close_round(round, now=closed_at)
    with pytest.raises(EntryRejected) as rejected:
        enter_round(round, visitor, choices=[round.slots.order_by("starts_at")[0].pk])
    message = str(rejected.value)
    assert _shown(round, closed_at) in message
    assert "a.m." in message and ".." not in message


def _after_the_session(slot: Slot) -> datetime:
    return slot.ends_at + timedelta(hours=1)


def _confirmed(entry: Entry) -> Ticket:
    offer = Offer.objects.get(entry=entry)
    return confirm_offer(offer, actor=None, accepted_rules=True, via="online")


def test_after_the_session_a_visit_is_called_a_visit(db: None) -> None:
    _round, slot, entries = support.drawn_round(4, [2], [2])
    placed = entries[0]
    ticket = _confirmed(placed)
    members = [member.pk for member in placed.members.all()]
    gate.check_in(ticket, members, slot=slot, gate="East", staff=None, now=slot.starts_at)
    assert entry_status(placed, now=_after_the_session(slot)).key == "visited"
    assert entry_status(placed, now=slot.starts_at).key == "ticket"


def test_after_the_session_a_ticket_unused_is_a_no_show(db: None) -> None:
    _round, slot, entries = support.drawn_round(4, [2], [])
    _confirmed(entries[0])
    status = entry_status(entries[0], now=_after_the_session(slot))
    assert status.key == "no_show"
    assert slot.label in status.label


def test_after_the_session_the_waitlist_position_gives_way(client: Client, db: None) -> None:
    _round, slot, entries = support.drawn_round(2, [2], [2])
    waiting = entries[1]
    assert "waitlist position 1" in entry_status(waiting).label
    ended = timezone.now() - timedelta(hours=1)
    with support.past_the_database_guards():
        Slot.objects.filter(pk=slot.pk).update(starts_at=ended - timedelta(hours=2), ends_at=ended)
    client.force_login(waiting.visitor.user)
    page = client.get(reverse("web:my_entries")).content.decode()
    assert "the waitlist did not reach you" in page
    assert "waitlist position" not in page
