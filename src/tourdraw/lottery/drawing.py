"""Freezing a round's entries, drawing it, and publishing the record.

The rule itself lives in ``draw.py``; this module feeds it from the database
and stores what it returns, in one transaction.
"""

import gc
import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from operator import itemgetter
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from tourdraw.audit.services import log_action
from tourdraw.catalog.models import Slot
from tourdraw.db import insert_rows
from tourdraw.errors import DomainError
from tourdraw.lottery import draw
from tourdraw.lottery.models import Draw, DrawOutcome, Entry, EntryChoice, Round
from tourdraw.visits import capacity, notices
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
    choices = _ranked_choices(round, {slot.pk: code for code, slot in slots.items()})
    rows = round.entries.filter(state=Entry.State.ACTIVE).values_list(
        "pk", "code", "party_size", "tier", "weight"
    )
    # Built as draw.prepare returns them, exactly the keys of section 2, so that
    # only the sort is left to do: copying 100k entries again costs a tenth of
    # a second, at close and at the draw. draw() checks every key and value.
    entries: list[draw.Entry] = []
    ids: dict[str, int] = {}
    for pk, code, party, tier, weight in rows:
        entries.append(
            {"code": code, "party": party, "tier": tier, "weight": weight, "choices": choices[pk]}
        )
        ids[code] = pk
    entries.sort(key=itemgetter("code"))
    # The lottery seats what groups have not been given (spec section 2).
    reserved = capacity.reserved_by_slot(slots.values())
    capacities: list[draw.Slot] = [
        {"code": code, "capacity": max(slot.capacity - reserved.get(slot.pk, 0), 0)}
        for code, slot in slots.items()
    ]
    capacities.sort(key=itemgetter("code"))
    return DrawInputs(capacities, entries, slots, ids)


def _ranked_choices(round: Round, code_of: dict[int, str]) -> dict[int, list[str]]:
    """Each active entry's slot codes, best first.

    One row per choice, in order: on PostgreSQL this reads faster than one
    ``string_agg`` row per entry, as the aggregate sorts every entry's few
    choices and its text has to be split and parsed again here.
    """
    rows = (
        EntryChoice.objects.filter(entry__round=round, entry__state=Entry.State.ACTIVE)
        .order_by("entry_id", "rank")
        .values_list("entry_id", "slot_id")
    )
    ranked: dict[int, list[str]] = {}
    for entry_id, slot_id in rows:
        ranked.setdefault(entry_id, []).append(code_of[slot_id])
    return ranked


@contextmanager
def _collector_paused() -> Iterator[None]:
    """No cyclic garbage collection while a draw's inputs and outputs are built.

    A large draw makes a million small containers (a dict and a list per entry,
    a tuple per row read and written), none of them in a cycle. Each few hundred
    new containers start a collection, and as they pile up ever more of them go
    through the old generation's full collections, each walking every object the
    process holds: at 100k entries that was about a third of the whole draw, at
    close and again at the draw. Reference counting still frees everything; the
    collector runs again, on whatever cycles are left, when the draw is done.
    The switch is process-wide: a thread that pauses it while another already
    has leaves it to that one to resume, so it always ends up resumed.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def freeze(round: Round) -> None:
    """Record what the draw will see, so that any later change is caught."""
    with _collector_paused():
        round.frozen_digest, round.frozen_entries = _digest_of_inputs(round)


def _digest_of_inputs(round: Round) -> tuple[str, int]:
    # The inputs are freed on return, before the collector resumes: else its
    # first pass would walk every one of them.
    entries = draw_inputs(round).entries
    return draw.entries_digest(entries), len(entries)


def _refuse(message: str, code: str) -> DrawRefused:
    return DrawRefused(message, code=code, field="round")


def draw_round(round: Round, *, now: datetime, actor: Any = None) -> Draw:
    """Draw a closed round: store the record, offer the placements, waitlist the rest.

    The round row is locked first, so of two workers the second waits, then
    finds the round drawn and refuses.
    """
    # _draw's objects are freed on return, before the collector resumes: else
    # its first pass would walk every one of them.
    with _collector_paused():
        result = _draw(round, now=now, actor=actor)
    round.refresh_from_db()
    return result


def _draw(round: Round, *, now: datetime, actor: Any) -> Draw:
    with transaction.atomic():
        locked = Round.objects.select_for_update().select_related("tour__site").get(pk=round.pk)
        if locked.state == Round.State.DRAWN:
            raise _refuse(_("This round has already been drawn."), "already_drawn")
        if locked.state != Round.State.CLOSED:
            raise _refuse(_("A round is drawn only after it closes."), "round_not_closed")
        inputs = draw_inputs(locked)
        record = draw.draw(
            locked.code, bytes.fromhex(locked.secret), locked.beacon, inputs.slots, inputs.entries
        )
        if record["entries_digest"] != locked.frozen_digest:
            raise _refuse(
                _("The entries changed after the round closed; the draw is refused."),
                "entries_changed",
            )
        entry_ids, slots = inputs.entry_id_by_code, inputs.slot_by_code
        party = {entry["code"]: entry["party"] for entry in inputs.entries}
        slot_ids = {code: slot.pk for code, slot in slots.items()}
        # offer_deadline depends on the slot only: once per slot, not per winner.
        deadlines = {code: offer_deadline(locked, slot, now) for code, slot in slots.items()}
        winners = [
            notices.DrawWinner(
                entry_ids[entry], entry, party[entry], slots[slot], slot_ids[slot], deadlines[slot]
            )
            for entry, slot in map(itemgetter("entry", "slot"), record["placements"])
        ]
        placed_in = {winner.code: winner.slot_id for winner in winners}

        result = Draw.objects.create(
            round=locked,
            record=json.dumps(record, ensure_ascii=True, separators=(",", ":")),
            seed=record["seed"],
            entries=len(inputs.entries),
            placed_entries=len(winners),
            drawn_at=now,
        )
        round_id = locked.pk
        insert_rows(
            DrawOutcome,
            ["round", "entry", "position", "slot"],
            (
                (round_id, entry_ids[code], position, placed_in.get(code))
                for position, code in enumerate(record["order"], start=1)
            ),
        )
        pending, source = Offer.State.PENDING.value, Offer.Source.DRAW.value
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
                (w.entry_id, w.slot_id, w.persons, pending, source, w.deadline, now, "")
                for w in winners
            ),
        )
        notices.offers_made_by_draw(locked, winners, now=now)
        locked.state = Round.State.DRAWN
        locked.drawn_at = now
        locked.save(update_fields=["state", "drawn_at", "beacon"])
        log_action(
            "tourdraw.round.drawn",
            locked,
            actor=actor,
            data={"seed": record["seed"], "entries": len(inputs.entries), "placed": len(winners)},
        )
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
