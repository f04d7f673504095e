"""Personal data is erased a set time after nothing needs it; the no-show ban survives."""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from tests.support import (
    drawn_round,
    make_round,
    make_slots,
    make_tour,
    present,
    request_group,
    resident_id,
)
from tourdraw.groups import services as group_services
from tourdraw.groups.models import GroupMember
from tourdraw.lottery.entries import EntryRejected, enter_round
from tourdraw.people.models import Person
from tourdraw.people.services import save_profile
from tourdraw.scheduler import run_due_transitions
from tourdraw.visits import gate
from tourdraw.visits.calls import record_call
from tourdraw.visits.models import CallAttempt, Offer
from tourdraw.visits.offers import confirm_offer


@pytest.fixture(autouse=True)
def _no_retention_run_yet(db):
    """The daily run is remembered in the cache; each test starts with none."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def visited(db):
    """A drawn round whose two parties hold tickets for one session."""
    _, slot, entries = drawn_round(6, [2, 1], [])
    for entry in entries:
        confirm_offer(Offer.objects.get(entry=entry), actor=None, accepted_rules=True, via="online")
    return slot, entries


def test_nothing_is_erased_until_the_retention_period_after_the_last_session(
    visited, settings, call_centre_agent
):
    settings.TOURDRAW_RETENTION_DAYS = 30
    slot, entries = visited
    people = Person.objects.filter(entry_memberships__entry__in=entries).distinct()
    assert people.count() == 3
    record_call(
        Offer.objects.get(entry=entries[0]),
        agent=call_centre_agent,
        outcome="no_answer",
        note="王先生说晚上再打",
    )

    assert run_due_transitions(slot.starts_at + timedelta(days=29))["people_erased"] == 0
    assert all(p.id_number and p.birth_date for p in people)

    assert run_due_transitions(slot.starts_at + timedelta(days=31))["people_erased"] == 3
    for person in Person.objects.filter(pk__in=people):
        assert (person.full_name, person.id_number, person.id_masked) == ("", "", "")
        assert person.birth_date is None and person.erased_at is not None
        assert len(person.id_hash) == 64  # the keyed hash alone stays
    assert CallAttempt.objects.get().note == ""
    # Erasure is done once.
    assert run_due_transitions(slot.starts_at + timedelta(days=32))["people_erased"] == 0


def test_the_retention_run_is_daily_not_every_tick(visitor, settings):
    from tests.support import make_visitor

    settings.TOURDRAW_RETENTION_DAYS = 30
    day = timezone.localtime(timezone.now() + timedelta(days=31)).replace(hour=10)
    assert run_due_transitions(day)["people_erased"] == 1
    make_visitor("+8613900000005", sequence=5)  # due as well, but today's run is done
    assert run_due_transitions(day + timedelta(hours=2))["people_erased"] == 0
    assert run_due_transitions(day + timedelta(days=1))["people_erased"] == 1


def test_a_person_with_an_open_round_keeps_their_data(visitor, round, settings):
    from tourdraw.people import retention

    settings.TOURDRAW_RETENTION_DAYS = 30
    enter_round(round, visitor, choices=[round.slots.first().pk])
    assert retention.erase_due(timezone.now() + timedelta(days=400)) == 0
    assert Person.objects.get().full_name == "王建国"


def test_a_person_in_no_round_is_erased_after_the_period(visitor, settings):
    from tourdraw.people import retention

    settings.TOURDRAW_RETENTION_DAYS = 30
    assert retention.erase_due(timezone.now() + timedelta(days=29)) == 0
    assert retention.erase_due(timezone.now() + timedelta(days=31)) == 1
    # An erased profile is no profile: the visitor is asked for it again.
    assert visitor.self_person is None


def test_the_no_show_ban_survives_erasure_through_the_keyed_hash_only(visited, settings):
    settings.TOURDRAW_RETENTION_DAYS = 30
    slot, entries = visited
    gate.mark_no_shows(slot.ends_at)
    erased_at = slot.starts_at + timedelta(days=31)
    run_due_transitions(erased_at)
    visitor = entries[0].visitor
    assert visitor.self_person is None

    # The visitor gives the same document again; the ban (90 days) still holds.
    person = save_profile(
        visitor,
        full_name="访客1000",
        id_type="cn_resident",
        id_number=resident_id(date(1980, 1, 1) + timedelta(days=1000), sequence=0),
        birth_date=None,
        today=timezone.localdate(erased_at),
    )
    assert person.erased_at is None and person.id_number
    later = make_round(
        slot.tour,
        code="later",
        slots=make_slots(slot.tour, slot.visit_date + timedelta(days=200)),
        closes_at=slot.ends_at + timedelta(days=100),
    )
    with pytest.raises(EntryRejected) as rejected:
        enter_round(later, visitor, choices=[present(later.slots.first()).pk], now=erased_at)
    assert rejected.value.code == "barred_no_show"


def test_group_members_are_erased_after_their_visit_and_the_contact_with_them(db, settings):
    from tourdraw.people import retention

    settings.TOURDRAW_RETENTION_DAYS = 30
    tour = make_tour()
    slot = make_slots(tour, timezone.localdate() + timedelta(days=12), capacity=60)[0]
    group = group_services.approve_visit(request_group(tour.site, 5), slot=slot, actor=None)
    rows = "".join(
        f"学生{k},cn_resident,{resident_id(date(2005, 1, 5 + k), '510104', 300 + k)},\n"
        for k in range(3)
    )
    group_services.upload_members(group, "full_name,id_type,id_number,birth_date\n" + rows)

    assert retention.erase_due(slot.starts_at + timedelta(days=29)) == 0
    assert retention.erase_due(slot.starts_at + timedelta(days=31)) == 3
    for member in GroupMember.objects.all():
        assert (member.full_name, member.id_number, member.birth_date) == ("", "", None)
    group.refresh_from_db()
    assert (group.contact_name, group.contact_phone) == ("", "")
