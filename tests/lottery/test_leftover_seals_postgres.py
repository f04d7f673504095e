"""On PostgreSQL, migration 0009_leftovers_left lets exactly one thing more into
a drawn round's sealed rows: a leftover party, as the claim stores it. A hostile
write still cannot slip an entry into the draw's rows, turn one into the other,
or grow a leftover party after its claim."""

from datetime import date

import pytest
from django.db import IntegrityError, connection, transaction

from tests import support
from tourdraw.visits import leftovers

pytestmark = pytest.mark.postgres


def _refused(sql: str, params: list[int | bool]) -> None:
    with (
        pytest.raises(IntegrityError, match="sealed"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(sql, params)


@pytest.fixture
def claimed(db, site_operator):
    round, slot, entries = support.drawn_round(10, [2, 2], [])
    leftovers.open_leftovers(slot, actor=site_operator)
    visitor = support.make_visitor("+8613755556666", birth_date=date(1991, 1, 1), sequence=55)
    ticket = leftovers.claim_leftover(slot, visitor, accepted_rules=True)
    return round, slot, entries, ticket.offer.entry


_INSERT_ENTRY = (
    "INSERT INTO lottery_entry (round_id, visitor_id, code, party_size, tier, weight,"
    " lost_rounds, state, created_at, updated_at, leftover)"
    " VALUES (%s, %s, 'FORGED0001', 1, 0, 1, 0, 'active', now(), now(), %s)"
)


def test_no_entry_of_the_draw_is_slipped_into_a_drawn_round(claimed):
    round, _, entries, _ = claimed
    _refused(_INSERT_ENTRY, [round.pk, entries[0].visitor_id, False])


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE lottery_entry SET leftover = NOT leftover WHERE id = %s",
        "UPDATE lottery_entry SET party_size = party_size + 1 WHERE id = %s",
    ],
)
def test_neither_kind_of_entry_turns_into_the_other_or_grows(claimed, sql):
    _, _, entries, leftover = claimed
    for entry in (entries[0], leftover):
        _refused(sql, [entry.pk])


def test_a_leftover_party_gains_no_member_or_choice_after_its_claim(claimed):
    _, slot, entries, leftover = claimed
    drawn_member = entries[0].members.first()
    _refused(
        "INSERT INTO lottery_entrymember (entry_id, round_id, person_id, id_hash, role,"
        " position, active) VALUES (%s, %s, %s, 'another', 'companion', 5, true)",
        [leftover.pk, leftover.round_id, drawn_member.person_id],
    )
    _refused(
        "INSERT INTO lottery_entrychoice (entry_id, slot_id, rank) VALUES (%s, %s, 2)",
        [leftover.pk, slot.pk],
    )
