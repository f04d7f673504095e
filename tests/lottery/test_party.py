"""The party rules, once in ``people.party``: each rule on its own, then the
same violation met in an entry and in a group's member list, which must carry
the same code and read the same but for who is named."""

from datetime import date, timedelta

import pytest
from django.utils import formats

from tests.support import request_group, resident_id
from tourdraw.catalog.models import Slot
from tourdraw.errors import DomainError
from tourdraw.groups import services
from tourdraw.lottery.entries import CompanionInput, EntryRejected, enter_round
from tourdraw.lottery.models import Round
from tourdraw.people.models import Visitor
from tourdraw.people.party import (
    PartyMember,
    already_booked,
    check_party,
    repeated,
    under_min_age,
)

VISIT = date(2027, 6, 13)


def member(
    label: str = "王小宝",
    at: str = "companions.0.",
    birth: date = date(2015, 1, 1),
    id_hash: str = "a",
) -> PartyMember:
    return PartyMember(label=label, at=at, birth_date=birth, id_hash=id_hash)


def sixth_birthday_after(day: date, days: int) -> date:
    return date(day.year - 6, day.month, day.day) + timedelta(days=days)


def test_it_rejects_a_child_the_day_before_their_sixth_birthday() -> None:
    error = under_min_age(member(birth=sixth_birthday_after(VISIT, 1)), VISIT, 6)
    assert error is not None
    assert error.code == "under_min_age"
    assert error.field == "companions.0.birth_date"
    assert str(error.message) == (
        "王小宝 will be 5 on June 13, 2027; everyone must be at least 6 on the day of the visit."
    )


def test_it_accepts_a_child_on_their_sixth_birthday() -> None:
    assert under_min_age(member(birth=sixth_birthday_after(VISIT, 0)), VISIT, 6) is None


def test_the_tours_own_minimum_age_applies() -> None:
    teenager = member(birth=date(2013, 6, 14))
    assert under_min_age(teenager, VISIT, 12) is None
    error = under_min_age(teenager, VISIT, 14)
    assert error is not None and "at least 14" in str(error.message)


def test_the_entrants_problems_go_against_the_entrant_not_a_column() -> None:
    error = under_min_age(member(at="entrant", birth=date(2024, 1, 1)), VISIT, 6)
    assert error is not None and error.field == "entrant"


def test_a_repeated_person_is_named_with_their_first_appearance() -> None:
    error = repeated(member("Row 3 (李明二)", "members.1."), member("Row 2 (李明)", "members.0."))
    assert error.code == "person_repeated"
    assert error.field == "members.1.id_number"
    assert str(error.message) == (
        "Row 3 (李明二) has the same ID document as Row 2 (李明); each person comes once."
    )


def test_a_person_already_booked_is_named() -> None:
    error = already_booked(member("张小明"))
    assert error.code == "person_already_booked"
    assert error.field == "companions.0.id_number"
    assert str(error.message) == (
        "张小明 is already in another party; each person comes in one party only."
    )


def test_a_party_is_checked_in_its_order_and_a_repeat_is_reported_once() -> None:
    child = member("王小宝", "companions.0.", date(2024, 1, 1), "child")
    again = member("王小宝二", "companions.1.", date(2024, 1, 1), "child")
    taken = member("张小明", "companions.2.", date(1990, 1, 1), "taken")
    problems = check_party(
        [child, again, taken],
        visit_dates=[VISIT, VISIT + timedelta(days=1)],
        min_age=6,
        taken={"taken"},
    )
    assert [(p.code, p.field) for p in problems] == [
        ("under_min_age", "companions.0.birth_date"),
        ("under_min_age", "companions.0.birth_date"),
        ("person_repeated", "companions.1.id_number"),
        ("person_already_booked", "companions.2.id_number"),
    ]


def test_a_party_that_keeps_the_rules_has_no_problems() -> None:
    adults = [member("李明", "entrant", date(1980, 1, 1), "a"), member(id_hash="b")]
    assert check_party(adults, visit_dates=[VISIT], min_age=6, taken={"c"}) == []


# The same violation, met by an entry and by a group's member list.


@pytest.fixture
def slot(round: Round) -> Slot:
    return round.slots.order_by("starts_at")[0]


def entry_errors(
    round: Round, visitor: Visitor, people: list[tuple[str, date, int]]
) -> list[DomainError]:
    companions = [
        CompanionInput(
            full_name=name,
            id_type="cn_resident",
            id_number=resident_id(birth, sequence=sequence),
            guardian=True,
        )
        for name, birth, sequence in people
    ]
    with pytest.raises(EntryRejected) as caught:
        enter_round(
            round, visitor, choices=[round.slots.order_by("starts_at")[0].pk], companions=companions
        )
    return caught.value.errors


def group_problems(slot: Slot, people: list[tuple[str, date, int]]) -> list[DomainError]:
    group = services.approve_visit(request_group(slot.tour.site, 5), slot=slot, actor=None)
    rows = [
        {
            "full_name": name,
            "id_type": "cn_resident",
            "id_number": resident_id(birth, sequence=sequence),
            "birth_date": "",
        }
        for name, birth, sequence in people
    ]
    with pytest.raises(services.GroupError) as caught:
        services.replace_members(group, rows)
    return caught.value.problems


def same_rule(entry: DomainError, group: DomainError, labels: dict[str, str]) -> None:
    """The same code, the same column, and the same text once the group's labels
    (its rows) are read as the entry's (its names)."""
    assert entry.code == group.code
    assert entry.field.rsplit(".", 1)[-1] == group.field.rsplit(".", 1)[-1]
    text = str(group.message)
    for row, name in labels.items():
        text = text.replace(row, name)
    assert str(entry.message) == text


def test_a_child_under_age_reads_the_same_in_an_entry_and_a_group(
    round: Round, visitor: Visitor, slot: Slot
) -> None:
    child = ("王小宝", sixth_birthday_after(slot.visit_date, 1), 456)
    [in_entry] = entry_errors(round, visitor, [child])
    [in_group] = group_problems(slot, [child])
    assert in_entry.code == "under_min_age"
    assert in_group.field == "members.0.birth_date"
    same_rule(in_entry, in_group, {"Row 1 (王小宝)": "王小宝"})
    day = formats.date_format(slot.visit_date, "DATE_FORMAT")
    assert str(in_group.message).startswith(f"Row 1 (王小宝) will be 5 on {day};")


def test_a_person_twice_reads_the_same_in_an_entry_and_a_group(
    round: Round, visitor: Visitor, slot: Slot
) -> None:
    twice = [("张小明", date(2000, 5, 1), 456), ("张晓明", date(2000, 5, 1), 456)]
    [in_entry] = entry_errors(round, visitor, twice)
    [in_group] = group_problems(slot, twice)
    assert in_entry.code == "person_repeated"
    assert in_group.field == "members.1.id_number"
    same_rule(in_entry, in_group, {"Row 1 (张小明)": "张小明", "Row 2 (张晓明)": "张晓明"})


def test_a_person_already_in_another_party_reads_the_same_in_an_entry_and_a_group(
    round: Round, visitor: Visitor, other_visitor: Visitor, slot: Slot
) -> None:
    person = ("张小明", date(2000, 5, 1), 456)
    booked = services.approve_visit(request_group(slot.tour.site, 5), slot=slot, actor=None)
    services.replace_members(
        booked,
        [
            {
                "full_name": person[0],
                "id_type": "cn_resident",
                "id_number": resident_id(person[1], sequence=person[2]),
                "birth_date": "",
            }
        ],
    )
    enter_round(
        round,
        other_visitor,
        choices=[slot.pk],
        companions=[
            CompanionInput(
                full_name=person[0],
                id_type="cn_resident",
                id_number=resident_id(person[1], sequence=person[2]),
            )
        ],
    )
    [in_entry] = entry_errors(round, visitor, [person])
    [in_group] = group_problems(slot, [person])
    assert in_entry.code == "person_already_booked"
    assert in_entry.field == "companions.0.id_number"
    same_rule(in_entry, in_group, {"Row 1 (张小明)": "张小明"})
