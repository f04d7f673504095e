"""On PostgreSQL, the seal on a closed round's rows (migration
0008_seal_what_the_draw_reads_fixc) is exactly what the draw reads and the
closing statement pins: a hostile write to any of it is refused, while the
privacy and identity rules' writes after the draw go through (an account deleted
leaves the waitlist, a squatter's entries are voided, names are erased)."""

from datetime import timedelta

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from tests import support
from tourdraw.lottery import rounds
from tourdraw.lottery.models import Entry, EntryChoice, EntryMember
from tourdraw.people import crypto, retention, rights
from tourdraw.people.models import Person, User, Visitor
from tourdraw.visits import disputes

pytestmark = pytest.mark.postgres


def _refused(sql: str, params: list[int]) -> None:
    with (
        pytest.raises(IntegrityError, match="sealed"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(sql, params)


@pytest.fixture
def drawn(db):
    """A drawn round: one party placed, two waiting."""
    round, _slot, entries = support.drawn_round(2, [2], [2, 2])
    return round, entries


def test_after_the_draw_a_withdrawn_entry_never_comes_back(drawn):
    _, entries = drawn
    waiting = entries[1]
    Entry.objects.filter(pk=waiting.pk).update(state=Entry.State.WITHDRAWN)
    _refused("UPDATE lottery_entry SET state = 'active' WHERE id = %s", [waiting.pk])


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE lottery_entry SET weight = weight + 1 WHERE id = %s",
        "UPDATE lottery_entry SET party_size = 1 WHERE id = %s",
        "UPDATE lottery_entry SET code = reverse(code) WHERE id = %s",
        "UPDATE lottery_entry SET tier = tier + 1 WHERE id = %s",
        "DELETE FROM lottery_entrychoice WHERE entry_id = %s",
        "UPDATE lottery_entrymember SET position = position + 10 WHERE entry_id = %s",
        "UPDATE lottery_entrymember SET id_hash = 'forged' WHERE entry_id = %s",
        "DELETE FROM lottery_entrymember WHERE entry_id = %s",
    ],
)
def test_after_the_draw_what_it_read_stays_sealed(drawn, sql):
    _, entries = drawn
    _refused(sql, [entries[1].pk])


def test_after_the_draw_no_member_is_added_or_let_back_in(drawn):
    _, entries = drawn
    member = support.present(
        EntryMember.objects.filter(entry=entries[1]).order_by("position").last()
    )
    EntryMember.objects.filter(pk=member.pk).update(active=False)
    _refused("UPDATE lottery_entrymember SET active = true WHERE id = %s", [member.pk])
    _refused(
        "INSERT INTO lottery_entrymember (entry_id, round_id, person_id, id_hash, role,"
        " position, active) SELECT entry_id, round_id, person_id, 'other', role, 9, true"
        " FROM lottery_entrymember WHERE id = %s",
        [member.pk],
    )


def test_before_the_draw_no_entry_leaves(db):
    tour = support.make_tour()
    slots = support.make_slots(tour, timezone.localdate() + timedelta(days=10), capacity=4)
    round = support.make_round(tour, slots=slots)
    entry = support.make_party_entry(round, 700, 2, [slots[0].pk])
    rounds.close_round(round, now=timezone.now())
    _refused("UPDATE lottery_entry SET state = 'withdrawn' WHERE id = %s", [entry.pk])
    assert EntryChoice.objects.filter(entry=entry).count() == 1


def test_an_account_deleted_after_the_draw_leaves_the_waitlist(drawn):
    _, entries = drawn
    waiting = entries[2]
    rights.delete_account(waiting.visitor, now=timezone.now())
    assert Entry.objects.get(pk=waiting.pk).state == Entry.State.WITHDRAWN
    assert not Person.objects.filter(owner=waiting.visitor).exclude(full_name="").exists()


def test_retention_erases_the_members_of_a_drawn_round(drawn):
    round, entries = drawn
    later = round.slots.get().ends_at + timedelta(days=400)
    Person.objects.update(created_at=timezone.now() - timedelta(days=400))
    assert retention.erase_due(later) >= len(entries)
    member = support.present(EntryMember.objects.filter(entry=entries[0]).first())
    assert Person.objects.get(pk=member.person_id).full_name == ""


def test_a_squatters_entry_in_a_drawn_round_is_voided(drawn):
    _, entries = drawn
    squatter = entries[1].visitor
    self_person = squatter.people.get(is_self=True)
    agent = support.make_staff("agent", "call_centre", support.make_site("other-site"))
    holder_user = User.objects.create_user(username="holder")
    holder = Visitor.objects.create(user=holder_user, phone="+8613900000099")
    settled = disputes.move_identity(
        id_type=self_person.id_type,
        id_number=self_person.id_number,
        claimant=holder,
        agent=agent,
        evidence="Card shown at the site office.",
    )
    assert settled.entries_voided == 1
    assert Entry.objects.get(pk=entries[1].pk).state == Entry.State.WITHDRAWN
    digest = crypto.id_hash(self_person.id_type, self_person.id_number)
    assert not EntryMember.objects.filter(id_hash=digest, active=True).exists()
