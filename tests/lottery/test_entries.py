from datetime import date, timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from tests.support import make_round, make_slots, make_tour, make_visitor, resident_id
from tourdraw.lottery import rounds
from tourdraw.lottery.codes import ALPHABET
from tourdraw.lottery.entries import (
    CompanionInput,
    EntryRejected,
    change_entry,
    enter_round,
    withdraw_entry,
)
from tourdraw.lottery.models import Entry, EntryMember


def slot_ids(round):
    return list(round.slots.order_by("starts_at").values_list("pk", flat=True))


def companion(
    name: str = "张小明", birth: date = date(2010, 5, 1), sequence: int = 456, guardian: bool = True
) -> CompanionInput:
    """A companion as typed; the entrant declares guardianship, as the form does for a child."""
    return CompanionInput(
        full_name=name,
        id_type="cn_resident",
        id_number=resident_id(birth, sequence=sequence),
        guardian=guardian,
    )


def rejection(**kwargs) -> EntryRejected:
    with pytest.raises(EntryRejected) as error:
        enter_round(**kwargs)
    return error.value


def test_a_visitor_enters_with_two_companions_and_three_choices(round, visitor):
    entry = enter_round(
        round,
        visitor,
        choices=slot_ids(round)[:3],
        companions=[companion(), companion("李四", date(1980, 1, 2), 789)],
    )
    assert entry.party_size == 3
    assert [c.slot_id for c in entry.choices.order_by("rank")] == slot_ids(round)[:3]
    assert [m.role for m in entry.members.order_by("position")] == [
        "entrant",
        "companion",
        "companion",
    ]


def test_each_entry_gets_a_ten_character_code_from_the_unambiguous_alphabet(round, visitor):
    entry = enter_round(round, visitor, choices=slot_ids(round)[:1])
    assert len(entry.code) == 10
    assert set(entry.code) <= set(ALPHABET)
    assert not set("01OIL") & set(ALPHABET)


def test_it_rejects_a_child_the_day_before_their_sixth_birthday(db, visitor):
    visit_day = timezone.localdate() + timedelta(days=30)
    tour = make_tour()
    round = make_round(tour, slots=make_slots(tour, visit_day))
    birthday = date(visit_day.year - 6, visit_day.month, visit_day.day) + timedelta(days=1)
    error = rejection(
        round=round,
        visitor=visitor,
        choices=slot_ids(round)[:1],
        companions=[companion("王小宝", birthday)],
    )
    assert error.code == "under_min_age"
    assert error.field == "companions.0.birth_date"
    assert "王小宝 will be 5 on" in str(error.message)
    assert "at least 6 on the day of the visit" in str(error.message)


def test_it_accepts_a_child_on_their_sixth_birthday(db, visitor):
    visit_day = timezone.localdate() + timedelta(days=30)
    tour = make_tour()
    round = make_round(tour, slots=make_slots(tour, visit_day))
    birthday = date(visit_day.year - 6, visit_day.month, visit_day.day)
    entry = enter_round(
        round, visitor, choices=slot_ids(round)[:1], companions=[companion("王小宝", birthday)]
    )
    assert entry.party_size == 2


def test_age_is_checked_on_each_chosen_slot_date(db, visitor):
    first_day = timezone.localdate() + timedelta(days=30)
    tour = make_tour()
    round = make_round(tour, slots=make_slots(tour, first_day, days=2))
    sixth_birthday_on_second_day = date(
        first_day.year - 6, first_day.month, first_day.day
    ) + timedelta(days=1)
    child = companion("王小宝", sixth_birthday_on_second_day)
    later = slot_ids(round)[2:3]
    assert enter_round(round, visitor, choices=later, companions=[child]).party_size == 2
    other = make_visitor("+8613900000077", sequence=777)
    error = rejection(
        round=round,
        visitor=other,
        choices=slot_ids(round)[:1],
        companions=[companion("刘小宝", sixth_birthday_on_second_day, 778)],
    )
    assert error.code == "under_min_age"


def test_it_rejects_too_many_companions(round, visitor):
    party = [companion(f"同伴{i}", date(1990, 1, 1 + i), 500 + i) for i in range(3)]
    error = rejection(round=round, visitor=visitor, choices=slot_ids(round)[:1], companions=party)
    assert error.code == "too_many_companions"
    assert error.field == "companions"
    assert str(error.message) == "A party has at most 2 companions; you named 3."


def test_it_rejects_too_many_choices(round, visitor):
    error = rejection(round=round, visitor=visitor, choices=slot_ids(round)[:4])
    assert error.code == "too_many_choices"
    assert str(error.message) == "Choose at most 3 slots; you chose 4."


def test_it_rejects_no_choice(round, visitor):
    error = rejection(round=round, visitor=visitor, choices=[])
    assert error.code == "choice_required"
    assert str(error.message) == "Choose at least one slot."


def test_it_rejects_a_repeated_choice_naming_the_slot(round, visitor):
    first = slot_ids(round)[0]
    error = rejection(round=round, visitor=visitor, choices=[first, first])
    assert error.code == "choice_repeated"
    assert error.field == "choices.1"
    assert "more than once" in str(error.message)
    assert "09:30" in str(error.message)


def test_it_rejects_a_slot_of_another_round(round, visitor):
    other = make_round(
        round.tour,
        code="other-round",
        slots=make_slots(round.tour, timezone.localdate() + timedelta(days=40)),
    )
    error = rejection(round=round, visitor=visitor, choices=[slot_ids(other)[0]])
    assert error.code == "choice_unknown"
    assert str(error.message) == "Choice 1 is not a slot of this round."


def test_it_rejects_a_companion_who_is_in_another_entry(round, visitor, other_visitor):
    enter_round(round, other_visitor, choices=slot_ids(round)[:1], companions=[companion("张小明")])
    error = rejection(
        round=round, visitor=visitor, choices=slot_ids(round)[:1], companions=[companion("张小明")]
    )
    assert error.code == "person_already_booked"
    assert error.field == "companions.0.id_number"
    assert (
        str(error.message)
        == "张小明 is already in another party; each person comes in one party only."
    )


def test_it_rejects_an_entrant_who_is_a_companion_elsewhere(round, visitor, other_visitor):
    me = visitor.self_person
    as_companion = CompanionInput(
        full_name=me.full_name, id_type="cn_resident", id_number=me.id_number
    )
    enter_round(round, other_visitor, choices=slot_ids(round)[:1], companions=[as_companion])
    error = rejection(round=round, visitor=visitor, choices=slot_ids(round)[:1])
    assert error.code == "person_already_booked"
    assert error.field == "entrant"
    assert str(error.message) == (
        f"{me.full_name} is already in another party; each person comes in one party only."
    )


def test_it_rejects_the_same_person_twice_in_one_party(round, visitor):
    error = rejection(
        round=round,
        visitor=visitor,
        choices=slot_ids(round)[:1],
        companions=[companion("张小明"), companion("张晓明")],
    )
    assert error.code == "person_repeated"
    assert "张晓明 has the same ID document as 张小明" in str(error.message)


def test_a_person_may_enter_different_rounds(round, visitor):
    other = make_round(
        round.tour,
        code="other-round",
        slots=make_slots(round.tour, timezone.localdate() + timedelta(days=40)),
    )
    enter_round(round, visitor, choices=slot_ids(round)[:1])
    assert enter_round(other, visitor, choices=slot_ids(other)[:1])


def test_the_database_refuses_a_person_twice_in_one_round(round, visitor, other_visitor):
    entry = enter_round(round, visitor, choices=slot_ids(round)[:1])
    other_entry = enter_round(round, other_visitor, choices=slot_ids(round)[:1])
    mine = entry.members.get()
    with pytest.raises(IntegrityError), transaction.atomic():
        EntryMember.objects.create(
            entry=other_entry,
            round=round,
            person=other_visitor.self_person,
            id_hash=mine.id_hash,
            role="companion",
            position=5,
        )


def test_it_names_each_bad_companion_document(round, visitor):
    bad = CompanionInput(full_name="赵六", id_type="cn_resident", id_number="11010519491231002")
    error = rejection(
        round=round, visitor=visitor, choices=slot_ids(round)[:1], companions=[companion(), bad]
    )
    assert error.code == "cn_id_length"
    assert error.field == "companions.1.id_number"
    assert str(error.message).startswith("赵六: ")


def test_it_reports_every_failed_rule_at_once(round, visitor):
    first = slot_ids(round)[0]
    child = companion("王小宝", timezone.localdate() - timedelta(days=365 * 3))
    error = rejection(round=round, visitor=visitor, choices=[first, first], companions=[child])
    assert {e.code for e in error.errors} == {"choice_repeated", "under_min_age"}


def test_it_rejects_an_entry_before_the_round_opens(db, visitor):
    later = timezone.now() + timedelta(days=1)
    round = make_round(opens_at=later, closes_at=later + timedelta(days=1), open_now=False)
    error = rejection(round=round, visitor=visitor, choices=slot_ids(round)[:1])
    assert error.code == "round_not_open"
    assert "open at" in str(error.message)


def test_it_rejects_an_entry_after_the_round_closes(round, visitor):
    rounds.close_round(round, now=timezone.now())
    error = rejection(round=round, visitor=visitor, choices=slot_ids(round)[:1])
    assert error.code == "round_not_open"
    assert "closed at" in str(error.message)


def test_it_rejects_an_entry_after_closing_time_even_before_the_worker_closes_it(round, visitor):
    error = rejection(
        round=round, visitor=visitor, choices=slot_ids(round)[:1], now=round.closes_at
    )
    assert error.code == "round_not_open"


def test_it_requires_a_profile_first(round, db):
    from tourdraw.people.models import User, Visitor

    user = User.objects.create_user(username="visitor-new")
    bare = Visitor.objects.create(user=user, phone="+8613900000099")
    error = rejection(round=round, visitor=bare, choices=slot_ids(round)[:1])
    assert error.code == "profile_incomplete"


def test_a_visitor_changes_their_entry_while_open(round, visitor):
    entry = enter_round(round, visitor, choices=slot_ids(round)[:1])
    entry = change_entry(entry, choices=slot_ids(round)[1:3], companions=[companion()])
    assert entry.party_size == 2
    assert [c.slot_id for c in entry.choices.order_by("rank")] == slot_ids(round)[1:3]


def test_changing_keeps_the_same_companion_without_a_false_conflict(round, visitor):
    entry = enter_round(round, visitor, choices=slot_ids(round)[:1], companions=[companion()])
    saved = entry.members.get(role="companion").person
    kept = CompanionInput(full_name="张小明", person_id=saved.pk)
    entry = change_entry(entry, choices=slot_ids(round)[:2], companions=[kept])
    assert entry.members.get(role="companion").person == saved


def test_a_withdrawn_entry_frees_its_people(round, visitor, other_visitor):
    entry = enter_round(round, visitor, choices=slot_ids(round)[:1], companions=[companion()])
    withdraw_entry(entry)
    assert Entry.objects.get(pk=entry.pk).state == Entry.State.WITHDRAWN
    assert enter_round(round, other_visitor, choices=slot_ids(round)[:1], companions=[companion()])


def test_an_entry_cannot_change_after_close(round, visitor):
    entry = enter_round(round, visitor, choices=slot_ids(round)[:1])
    rounds.close_round(round, now=timezone.now())
    with pytest.raises(EntryRejected) as error:
        change_entry(entry, choices=slot_ids(round)[1:2])
    assert error.value.code == "round_not_open"
    with pytest.raises(EntryRejected) as error:
        withdraw_entry(entry)
    assert error.value.code == "round_not_open"
