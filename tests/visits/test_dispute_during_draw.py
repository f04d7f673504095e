"""A squatter's entry sealed into a draw (round closed, not drawn) is not voided
under the draw: the dispute is refused with a clear message, nothing moves, and
the draw runs on what it sealed. Settled after the draw, the entry is voided."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tests import support
from tourdraw.lottery import rounds
from tourdraw.lottery.models import Entry
from tourdraw.people.identity import IdentityError
from tourdraw.people.models import IdentityClaim, User, Visitor
from tourdraw.visits import disputes


def _settle(entry: Entry, holder: Visitor, agent: User) -> disputes.Settled:
    person = entry.visitor.people.get(is_self=True)
    return disputes.move_identity(
        id_type=person.id_type,
        id_number=person.id_number,
        claimant=holder,
        agent=agent,
        evidence="Card shown at the site office.",
    )


def test_a_dispute_waits_for_the_draw_of_a_squatters_sealed_entry(db):
    tour = support.make_tour()
    slots = support.make_slots(tour, timezone.localdate() + timedelta(days=10), capacity=4)
    round = support.make_round(tour, slots=slots)
    squatted = support.make_party_entry(round, 800, 2, [slots[0].pk])
    support.make_party_entry(round, 801, 2, [slots[0].pk])
    rounds.close_round(round, now=timezone.now())
    support.give_beacon(round)
    round.refresh_from_db()
    agent = support.make_staff("agent", "call_centre", support.make_site("other-site"))
    holder = Visitor.objects.create(
        user=User.objects.create_user(username="holder"), phone="+8613900000099"
    )
    with pytest.raises(IdentityError) as refused:
        _settle(squatted, holder, agent)
    assert refused.value.code == "entry_awaiting_draw"
    assert "once the round is drawn" in str(refused.value)
    assert Entry.objects.get(pk=squatted.pk).state == Entry.State.ACTIVE
    assert IdentityClaim.objects.get(visitor=squatted.visitor)
    assert support.draw_with_beacon(round).entries == 2
    settled = _settle(squatted, holder, agent)
    assert settled.entries_voided == 1
    assert Entry.objects.get(pk=squatted.pk).state == Entry.State.WITHDRAWN
