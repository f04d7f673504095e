"""The hostile operator: after a round closes, try to steer its draw through every
path the platform has, and find each attempt refused.

The round below has closed with its beacon round fixed at open. The operator
tries to change the beacon, a slot's capacity, a group's places, an entry, a
fairness option and the draw time: through the services, the back office, the
API and /admin/. Where a write goes round all of them into the database, the
draw itself refuses on SQLite (it recomputes its inputs against the closing
statement), and on PostgreSQL the write is refused by the database.
"""

import json
from datetime import timedelta
from typing import Any

import pytest
from django.db import IntegrityError, connection, transaction
from django.urls import reverse
from django.utils import timezone

from tests import support
from tourdraw.catalog.models import Slot
from tourdraw.catalog.services import generate_slots
from tourdraw.groups import services as groups
from tourdraw.groups.models import GroupVisit
from tourdraw.lottery import beacon, draw, rounds, statements, testchain
from tourdraw.lottery.drawing import DrawRefused, draw_round
from tourdraw.lottery.entries import EntryRejected, change_entry, withdraw_entry
from tourdraw.lottery.models import Draw, Entry, EntryChoice, Round

API = "/api/v1"


@pytest.fixture
def closed(db):
    """A closed round of two slots of 10, a group keeping 4 places in the first,
    eight entries of two; its beacon round is out and fetched."""
    tour = support.make_tour()
    slots = support.make_slots(tour, timezone.localdate() + timedelta(days=10), capacity=10)
    round = support.make_round(tour, slots=slots)
    kept = support.request_group(tour.site, 4)
    groups.approve_visit(kept, slot=slots[0], actor=None)
    for n in range(8):
        support.make_party_entry(round, 500 + n, 2, [slots[n % 2].pk])
    rounds.close_round(round, now=timezone.now())
    support.give_beacon(round)
    round.refresh_from_db()
    return round


def _closing(round: Round) -> dict[str, Any]:
    return json.loads(Round.objects.get(pk=round.pk).closing_statement)


def _draw_refused(round: Round) -> str:
    with pytest.raises(DrawRefused) as refused:
        draw_round(round, now=support.beacon_moment(round))
    assert not Draw.objects.filter(round=round).exists()
    return refused.value.code


def test_the_closing_statement_pins_what_the_draw_will_use(closed):
    closing = _closing(closed)
    first, second = sorted(closed.slots.all(), key=lambda slot: slot.code)
    assert closing["slots"] == [
        {"code": first.code, "capacity": 6, "reserved": 4},
        {"code": second.code, "capacity": 10, "reserved": 0},
    ]
    assert (closing["entries"], closing["persons"]) == (8, 16)
    assert closing["beacon"]["round"] == closed.beacon_round
    assert closed.closing_digest == statements.digest(closing)
    record = json.loads(draw_round(closed, now=support.beacon_moment(closed)).record)
    assert record["closing"] == closing and record["closing_digest"] == closed.closing_digest
    draw.verify(record)


# Through the services


def test_the_services_refuse_another_beacon(closed):
    # Setup: back to before the beacon was fetched.
    with support.past_the_database_guards():
        Round.objects.filter(pk=closed.pk).update(beacon_signature="", beacon_randomness="")
    closed.refresh_from_db()
    assert closed.beacon_round is not None
    chain = support.CHAIN
    other_round = chain.beacon(closed.beacon_round + 1)["signature"]
    other_key = testchain.LocalChain(secret_key=12345).beacon(closed.beacon_round)["signature"]
    for signature in (other_round, other_key, "ab" * 48, "drand-quicknet:round=1"):
        with pytest.raises(beacon.BeaconUnavailable) as refused:
            beacon.accept(closed, signature, now=support.beacon_moment(closed))
        assert refused.value.code == "beacon_invalid"
    assert Round.objects.get(pk=closed.pk).beacon_signature == ""
    support.give_beacon(closed)
    with pytest.raises(beacon.BeaconUnavailable) as again:
        beacon.accept(closed, chain.beacon(closed.beacon_round)["signature"], now=timezone.now())
    assert again.value.code == "beacon_fixed"


def test_the_services_refuse_group_places_entries_and_slots(closed):
    slot = closed.slots.order_by("starts_at").first()
    with pytest.raises(rounds.RoundError) as group:
        groups.approve_visit(support.request_group(slot.tour.site, 2), slot=slot, actor=None)
    assert group.value.code == "round_sealed"
    entry = closed.entries.first()
    with pytest.raises(EntryRejected):
        change_entry(entry, choices=[slot.pk])
    with pytest.raises(EntryRejected):
        withdraw_entry(entry)
    extra = support.make_slots(slot.tour, timezone.localdate() + timedelta(days=30))
    with pytest.raises(rounds.RoundError) as added:
        rounds.add_slots(closed, extra, actor=None)
    assert added.value.code == "round_closed"
    # Planning the same session again never changes an existing slot's capacity.
    generate_slots(
        slot.tour,
        first_day=timezone.localdate(slot.starts_at),
        last_day=timezone.localdate(slot.starts_at),
        times=[timezone.localtime(slot.starts_at).time()],
        capacity=99,
    )
    assert Slot.objects.get(pk=slot.pk).capacity == 10
    assert support.draw_with_beacon(closed).entries == 8


# Through the back office and the API


def test_the_back_office_refuses_a_group_into_a_sealed_slot(client, closed, site_operator):
    slot = closed.slots.order_by("starts_at").first()
    support.sign_in_staff(client, site_operator)
    group = support.request_group(slot.tour.site, 2, organisation="后来的团")
    page = client.post(
        reverse("backoffice:group", args=[group.pk]),
        {"decision": "approve", "slot": slot.pk},
        follow=True,
    )
    assert "sealed by its closing statement" in page.content.decode()
    assert GroupVisit.objects.get(pk=group.pk).state == GroupVisit.State.REQUESTED
    extra = support.make_slots(slot.tour, timezone.localdate() + timedelta(days=30))[0]
    page = client.post(
        reverse("backoffice:round_action", args=[closed.pk]),
        {"action": "add_slots", "slot": [extra.pk]},
        follow=True,
    )
    assert "Slots can be added only before the round closes." in page.content.decode()
    assert closed.slots.count() == 2


def test_the_api_refuses_a_group_into_a_sealed_slot_and_entry_changes(
    client, closed, site_operator
):
    slot = closed.slots.order_by("starts_at").first()
    operator = support.api_token_headers(site_operator)
    group = support.request_group(slot.tour.site, 2, organisation="后来的团")
    approved = client.post(
        f"{API}/operator/groups/{group.pk}/approve",
        {"slot": slot.pk},
        content_type="application/json",
        **operator,
    )
    assert (approved.status_code, approved.json()["code"]) == (400, "round_sealed")
    entry = closed.entries.select_related("visitor__user").first()
    visitor = support.api_token_headers(entry.visitor.user)
    changed = client.put(
        f"{API}/me/entries/{entry.code}",
        {"choices": [slot.pk], "companions": []},
        content_type="application/json",
        **visitor,
    )
    assert changed.status_code == 400
    assert client.delete(f"{API}/me/entries/{entry.code}", **visitor).status_code == 400
    assert Entry.objects.get(pk=entry.pk).party_size == 2
    assert GroupVisit.objects.get(pk=group.pk).state == GroupVisit.State.REQUESTED


# Through /admin/


@pytest.fixture
def superuser_client(client, db, superuser):
    support.sign_in_staff(client, superuser)
    return client


def test_the_admin_shows_a_closed_rounds_inputs_read_only(superuser_client, closed):
    url = reverse("admin:lottery_round_change", args=[closed.pk])
    form = superuser_client.get(url).context["adminform"].form
    for field in ("priority", "repeat_weight_days", "closes_at", "draws_at", "beacon"):
        assert field not in form.fields
    before = Round.objects.values().get(pk=closed.pk)
    posted = superuser_client.post(
        url,
        {
            "title": "第1轮",
            "title_en": "Round 1",
            "confirm_window": "2 00:00:00",
            "priority": "minors",
            "repeat_weight_days": "30",
            "repeat_weight_cap": "5",
            "draws_at_0": "2030-01-01",
            "draws_at_1": "10:00:00",
            "beacon": "drand-quicknet:round=1",
            "round_slots-TOTAL_FORMS": "0",
            "round_slots-INITIAL_FORMS": "2",
            "round_slots-MIN_NUM_FORMS": "0",
            "round_slots-MAX_NUM_FORMS": "1000",
        },
    )
    assert posted.status_code == 302  # saved, with the sealed fields left as they were
    assert Round.objects.values().get(pk=closed.pk) == before
    assert closed.round_slots.count() == 2
    deleted = superuser_client.post(
        reverse("admin:lottery_round_delete", args=[closed.pk]), {"post": "yes"}
    )
    assert deleted.status_code == 403 and Round.objects.filter(pk=closed.pk).exists()


def test_the_admin_keeps_a_sealed_slots_capacity(superuser_client, closed):
    slot = closed.slots.order_by("starts_at").first()
    url = reverse("admin:catalog_slot_change", args=[slot.pk])
    assert "capacity" not in superuser_client.get(url).context["adminform"].form.fields
    posted = superuser_client.post(
        url, {"capacity": "200", "cancel_reason": "", "cancelled_at_0": "", "cancelled_at_1": ""}
    )
    assert posted.status_code == 302
    assert Slot.objects.get(pk=slot.pk).capacity == 10
    deleted = superuser_client.post(reverse("admin:catalog_slot_delete", args=[slot.pk]))
    assert deleted.status_code == 403
    entry = closed.entries.first()
    assert superuser_client.post(
        reverse("admin:lottery_entry_change", args=[entry.pk]), {"party_size": "1"}
    ).status_code in (302, 403)
    assert Entry.objects.get(pk=entry.pk).party_size == 2


# Past every path, straight into the database


def _raw_writes(round: Round) -> dict[str, tuple[str, list[Any]]]:
    """One SQL write per input: what an operator with the database could try."""
    first = support.present(round.slots.order_by("starts_at").first())
    entry = support.present(round.entries.order_by("code").first())
    group = GroupVisit.objects.get(slot=first)
    choice = support.present(EntryChoice.objects.filter(entry=entry).first())
    later = round.draws_at + timedelta(days=1)
    return {
        "capacity": ("UPDATE catalog_slot SET capacity = 40 WHERE id = %s", [first.pk]),
        "group": ("UPDATE groups_groupvisit SET size = 1 WHERE id = %s", [group.pk]),
        "entry": ("UPDATE lottery_entry SET weight = 3 WHERE id = %s", [entry.pk]),
        "withdrawn": ("UPDATE lottery_entry SET state = 'withdrawn' WHERE id = %s", [entry.pk]),
        "choice": ("DELETE FROM lottery_entrychoice WHERE id = %s", [choice.pk]),
        "option": ("UPDATE lottery_round SET priority = 'minors' WHERE id = %s", [round.pk]),
        "draw time": ("UPDATE lottery_round SET draws_at = %s WHERE id = %s", [later, round.pk]),
        "beacon": (
            "UPDATE lottery_round SET beacon_round = beacon_round + 1 WHERE id = %s",
            [round.pk],
        ),
    }


# What the draw finds when each write is made (on SQLite, where nothing stops it).
CAUGHT_BY_THE_DRAW = {
    "capacity": "inputs_changed",
    "group": "inputs_changed",
    "entry": "inputs_changed",
    "withdrawn": "inputs_changed",
    "choice": "inputs_changed",
    "option": "inputs_changed",
    "beacon": "statements_changed",
}


@pytest.mark.parametrize("what", sorted(CAUGHT_BY_THE_DRAW))
def test_a_write_past_every_path_makes_the_draw_refuse(closed, what):
    sql, params = _raw_writes(closed)[what]
    with support.past_the_database_guards(), connection.cursor() as cursor:
        cursor.execute(sql, params)
    assert _draw_refused(closed) == CAUGHT_BY_THE_DRAW[what]


def test_a_later_draw_time_changes_nothing_the_draw_uses(closed):
    """The draw time is not an input: the beacon round was fixed at open."""
    with support.past_the_database_guards():
        Round.objects.filter(pk=closed.pk).update(draws_at=closed.draws_at + timedelta(days=1))
    record = json.loads(support.draw_with_beacon(closed).record)
    assert record["beacon"]["round"] == json.loads(closed.opening_statement)["beacon"]["round"]


def test_a_beacon_swapped_in_the_database_is_refused_by_the_draw(closed):
    """Even a valid signature of the chain, for another round, is not the beacon."""
    other = support.CHAIN.beacon(closed.beacon_round + 1)
    with support.past_the_database_guards():
        Round.objects.filter(pk=closed.pk).update(
            beacon_signature=other["signature"], beacon_randomness=other["randomness"]
        )
    assert _draw_refused(closed) == "beacon_invalid"


@pytest.mark.postgres
@pytest.mark.parametrize("what", [*sorted(CAUGHT_BY_THE_DRAW), "draw time"])
def test_on_postgresql_the_database_refuses_each_write(closed, what):
    sql, params = _raw_writes(closed)[what]
    with (
        pytest.raises(IntegrityError, match="sealed"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(sql, params)
    assert support.draw_with_beacon(closed).entries == 8


@pytest.mark.postgres
def test_on_postgresql_the_fetched_beacon_cannot_be_replaced(closed):
    other = support.CHAIN.beacon(closed.beacon_round + 1)
    with pytest.raises(IntegrityError, match="sealed"), transaction.atomic():
        Round.objects.filter(pk=closed.pk).update(beacon_signature=other["signature"])


@pytest.mark.postgres
def test_on_postgresql_a_drawn_entry_may_only_leave_the_waitlist(closed):
    """After the draw, deleting an account or settling an identity dispute takes an
    entry (and its party, at the gate) out, one way; the database still refuses
    bringing it back or changing anything else about it."""
    support.draw_with_beacon(closed)
    entry = closed.entries.order_by("code").first()
    member = entry.members.order_by("position").first()
    refused = [
        ("UPDATE lottery_entry SET weight = 3 WHERE id = %s", [entry.pk]),
        ("UPDATE lottery_entrymember SET position = 9 WHERE id = %s", [member.pk]),
        ("UPDATE lottery_entrymember SET active = false, role = 'x' WHERE id = %s", [member.pk]),
        ("DELETE FROM lottery_entrychoice WHERE entry_id = %s", [entry.pk]),
    ]
    allowed = [
        ("UPDATE lottery_entry SET state = 'withdrawn' WHERE id = %s", [entry.pk]),
        ("UPDATE lottery_entrymember SET active = false WHERE id = %s", [member.pk]),
    ]
    back = [
        ("UPDATE lottery_entry SET state = 'active' WHERE id = %s", [entry.pk]),
        ("UPDATE lottery_entrymember SET active = true WHERE id = %s", [member.pk]),
    ]
    for sql, params in refused:
        with pytest.raises(IntegrityError, match="sealed"), transaction.atomic():
            connection.cursor().execute(sql, params)
    for sql, params in allowed:
        connection.cursor().execute(sql, params)
    for sql, params in back:
        with pytest.raises(IntegrityError, match="sealed"), transaction.atomic():
            connection.cursor().execute(sql, params)
    entry.refresh_from_db()
    member.refresh_from_db()
    assert (entry.state, entry.weight, member.active) == ("withdrawn", 1, False)
