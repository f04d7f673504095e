"""Freezing a round's entries, drawing it, and publishing the record.

The rule itself lives in ``draw.py``; this module feeds it from the database
and stores what it returns, in one transaction.
"""

import json
import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.contrib.postgres.aggregates import StringAgg
from django.db import connection, transaction
from django.db.models import CharField, Sum
from django.db.models.functions import Cast
from django.utils.translation import gettext as _

from tourdraw.audit.services import log_action
from tourdraw.catalog.models import Slot
from tourdraw.db import insert_rows
from tourdraw.errors import DomainError
from tourdraw.groups.models import GroupVisit
from tourdraw.lottery import draw
from tourdraw.lottery.beacon import fetch_drand
from tourdraw.lottery.models import Draw, DrawOutcome, Entry, EntryChoice, Round
from tourdraw.visits import notices
from tourdraw.visits.models import Offer
from tourdraw.visits.offers import offer_deadline

logger = logging.getLogger("tourdraw.draw")


class DrawRefused(DomainError):
    pass


@dataclass(frozen=True)
class DrawInputs:
    slots: list[draw.Slot]
    entries: list[draw.Entry]
    slot_by_code: dict[str, Slot]
    entry_id_by_code: dict[str, int]


def draw_inputs(round: Round) -> DrawInputs:
    """The frozen inputs of spec section 2, and the rows they came from."""
    slots = {slot.code: slot for slot in round.slots.select_related("tour__site")}
    code_of = {slot.pk: code for code, slot in slots.items()}
    choices = {
        entry_id: [code_of[slot_id] for slot_id in slot_ids]
        for entry_id, slot_ids in _ranked_choices(round).items()
    }
    rows = round.entries.filter(state=Entry.State.ACTIVE).values_list(
        "pk", "code", "party_size", "tier", "weight"
    )
    entries: list[draw.Entry] = [
        {"code": code, "party": party, "tier": tier, "weight": weight, "choices": choices[pk]}
        for pk, code, party, tier, weight in rows
    ]
    # The lottery seats what groups have not been given (spec section 2).
    reserved = dict(
        GroupVisit.objects.filter(slot__in=slots.values(), state=GroupVisit.State.APPROVED)
        .values("slot")
        .annotate(n=Sum("size"))
        .values_list("slot", "n")
    )
    capacities: list[draw.Slot] = [
        {"code": code, "capacity": max(slot.capacity - reserved.get(slot.pk, 0), 0)}
        for code, slot in slots.items()
    ]
    sorted_slots, sorted_entries = draw.prepare(capacities, entries)
    ids = {code: pk for pk, code, *_ in rows}
    return DrawInputs(sorted_slots, sorted_entries, slots, ids)


def _ranked_choices(round: Round) -> dict[int, list[int]]:
    """Each active entry's slot ids, best first."""
    active = EntryChoice.objects.filter(entry__round=round, entry__state=Entry.State.ACTIVE)
    if connection.vendor == "postgresql":
        # One row per entry instead of one per choice: a third of the rows to
        # read, which at 100k entries is a third of a second, twice per draw.
        rows = (
            active.values("entry_id")
            .annotate(slots=StringAgg(Cast("slot_id", CharField()), ",", order_by="rank"))
            .values_list("entry_id", "slots")
        )
        return {entry_id: [int(s) for s in slots.split(",")] for entry_id, slots in rows}
    ranked: dict[int, list[int]] = defaultdict(list)
    for entry_id, slot_id in active.order_by("entry_id", "rank").values_list("entry_id", "slot_id"):
        ranked[entry_id].append(slot_id)
    return ranked


def freeze(round: Round) -> None:
    """Record what the draw will see, so that any later change is caught."""
    entries = draw_inputs(round).entries
    round.frozen_digest = draw.entries_digest(entries)
    round.frozen_entries = len(entries)


def _refuse(message: str, code: str) -> DrawRefused:
    return DrawRefused(message, code=code, field="round")


def draw_round(round: Round, *, now: datetime, actor: Any = None) -> Draw:
    """Draw a closed round: store the record, offer the placements, waitlist the rest.

    The round row is locked first, so of two workers the second waits, then
    finds the round drawn and refuses.
    """
    with transaction.atomic():
        locked = Round.objects.select_for_update().select_related("tour__site").get(pk=round.pk)
        if locked.state == Round.State.DRAWN:
            raise _refuse(_("This round has already been drawn."), "already_drawn")
        if locked.state != Round.State.CLOSED:
            raise _refuse(_("A round is drawn only after it closes."), "round_not_closed")
        inputs = draw_inputs(locked)
        if locked.beacon_from_drand and not locked.beacon:
            if not settings.TOURDRAW_DRAND_URL:
                raise _refuse(
                    _("This round reads its beacon from drand, but no drand address is set."),
                    "beacon_unavailable",
                )
            assert locked.closed_at is not None
            locked.beacon = fetch_drand(settings.TOURDRAW_DRAND_URL, locked.closed_at)
        record = draw.draw(
            locked.code, bytes.fromhex(locked.secret), locked.beacon, inputs.slots, inputs.entries
        )
        if record["entries_digest"] != locked.frozen_digest:
            raise _refuse(
                _("The entries changed after the round closed; the draw is refused."),
                "entries_changed",
            )
        placed = {p["entry"]: inputs.slot_by_code[p["slot"]] for p in record["placements"]}
        slot_ids = {code: slot.pk for code, slot in placed.items()}
        party = {entry["code"]: entry["party"] for entry in inputs.entries}
        entry_ids = inputs.entry_id_by_code

        result = Draw.objects.create(
            round=locked,
            record=json.dumps(record, ensure_ascii=True, separators=(",", ":")),
            seed=record["seed"],
            entries=len(inputs.entries),
            placed_entries=len(placed),
            drawn_at=now,
        )
        insert_rows(
            DrawOutcome,
            ["round", "entry", "position", "slot"],
            (
                (locked.pk, entry_ids[code], position, slot_ids.get(code))
                for position, code in enumerate(record["order"], start=1)
            ),
        )
        insert_rows(
            Offer,
            [
                "entry",
                "slot",
                "persons",
                "state",
                "source",
                "deadline",
                "created_at",
                "confirmed_via",
            ],
            (
                (
                    entry_ids[code],
                    slot.pk,
                    party[code],
                    Offer.State.PENDING.value,
                    Offer.Source.DRAW.value,
                    offer_deadline(locked, slot, now),
                    now,
                    "",
                )
                for code, slot in placed.items()
            ),
        )
        notices.offers_made_by_draw(locked, now=now)
        locked.state = Round.State.DRAWN
        locked.drawn_at = now
        locked.save(update_fields=["state", "drawn_at", "beacon"])
        log_action(
            "tourdraw.round.drawn",
            locked,
            actor=actor,
            data={"seed": record["seed"], "entries": len(inputs.entries), "placed": len(placed)},
        )
    round.refresh_from_db()
    return result


def draw_due_rounds(now: datetime) -> int:
    """Draw every closed round whose draw time has come; a refusal waits for an operator."""
    drawn = 0
    for round in Round.objects.filter(state=Round.State.CLOSED, draws_at__lte=now):
        try:
            draw_round(round, now=now)
        except DrawRefused as refused:
            logger.warning("round %s not drawn: %s (%s)", round.code, refused.code, refused)
            continue
        drawn += 1
    return drawn


def set_beacon(round: Round, beacon: str, *, actor: Any = None) -> Round:
    """Bind a public random value, fixed after close, before the draw."""
    with transaction.atomic():
        locked = Round.objects.select_for_update().get(pk=round.pk)
        if locked.state != Round.State.CLOSED:
            raise DrawRefused(
                _("The beacon is set after the round closes and before it is drawn."),
                code="beacon_not_now",
                field="beacon",
            )
        if len(beacon) > 500:
            raise DrawRefused(
                _("A beacon has at most 500 characters."), code="beacon_too_long", field="beacon"
            )
        locked.beacon = beacon.strip()
        locked.save(update_fields=["beacon"])
        log_action("tourdraw.round.beacon_set", locked, actor=actor, data={"beacon": locked.beacon})
    round.refresh_from_db()
    return locked
