"""Freezing a round's entries, drawing it, and publishing the record.

The rule itself lives in ``draw_rule.py``, and ``draw.py`` computes it fast; this
module feeds the fast draw from the database and stores what it returns, in one
transaction.
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
from tourdraw.errors import Code, DomainError
from tourdraw.lottery import drand, draw, statements
from tourdraw.lottery.models import Draw, DrawOutcome, Entry, EntryChoice, Round
from tourdraw.transparency import log as public_log
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
    # Places approved groups keep, by slot code: out of the lottery's capacity.
    reserved: dict[str, int]

    def sealed(self) -> dict[str, Any]:
        """What the closing statement pins of these inputs (spec section 2)."""
        return {
            "entries": len(self.entries),
            "persons": sum(entry["party"] for entry in self.entries),
            "entries_digest": draw.entries_digest(self.entries),
            "slots": [
                {
                    "code": slot["code"],
                    "capacity": slot["capacity"],
                    "reserved": self.reserved[slot["code"]],
                }
                for slot in self.slots
            ],
        }


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
    # An entry left without choices (only by writing past the services) is read
    # as such, so that the draw refuses it with a reason instead of failing.
    entries: list[draw.Entry] = []
    ids: dict[str, int] = {}
    none: list[str] = []
    for pk, code, party, tier, weight in rows:
        ranked = choices.get(pk, none)
        entries.append(
            {"code": code, "party": party, "tier": tier, "weight": weight, "choices": ranked}
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
    held = {code: reserved.get(slot.pk, 0) for code, slot in slots.items()}
    return DrawInputs(capacities, entries, slots, ids, held)


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


def freeze(round: Round) -> dict[str, Any] | None:
    """Seal what the draw will see in the round's closing statement, so that any
    later change is caught; the statement, or None for a round opened before
    tourdraw-draw/2 (it has no opening statement to close)."""
    with _collector_paused():
        sealed = draw_inputs(round).sealed()
    round.frozen_digest, round.frozen_entries = sealed["entries_digest"], sealed["entries"]
    if not round.opening_statement:
        return None
    assert round.closed_at is not None
    closing = statements.closing_statement(
        opening=json.loads(round.opening_statement), closed_at=round.closed_at, **sealed
    )
    round.closing_statement = draw.canonical(closing).decode("ascii")
    round.closing_digest = statements.digest(closing)
    return closing


def _refuse(message: str, code: Code) -> DrawRefused:
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
            raise _refuse(_("This round has already been drawn."), Code.ALREADY_DRAWN)
        if locked.state != Round.State.CLOSED:
            raise _refuse(_("A round is drawn only after it closes."), Code.ROUND_NOT_CLOSED)
        opening, closing, beacon = _sealed_statements(locked, now)
        inputs = draw_inputs(locked)
        _check_sealed(locked, closing, inputs)
        record = _record(locked, opening, closing, beacon, inputs)
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
            ["entry", "slot", "persons", "state", "source", "deadline", "created_at"],
            ((w.entry_id, w.slot_id, w.persons, pending, source, w.deadline, now) for w in winners),
        )
        notices.offers_made_by_draw(locked, winners, now=now)
        locked.state = Round.State.DRAWN
        locked.drawn_at = now
        locked.save(update_fields=["state", "drawn_at"])
        log_action(
            "tourdraw.round.drawn",
            locked,
            actor=actor,
            data={"seed": record["seed"], "entries": len(inputs.entries), "placed": len(winners)},
        )
        _publish(locked, record, placed=len(winners), now=now)
    return result


def _record(
    round: Round,
    opening: dict[str, Any],
    closing: dict[str, Any],
    beacon: draw.Beacon,
    inputs: DrawInputs,
) -> draw.RecordV2:
    """The tourdraw-draw/2 record of these sealed inputs (spec section 4)."""
    try:
        return draw.draw_v2(
            round.code,
            bytes.fromhex(round.secret),
            opening,
            closing,
            beacon,
            inputs.slots,
            inputs.entries,
            # Checked already, by _sealed_statements.
            check_signature=False,
        )
    except draw.DrawError as error:
        raise _refuse(
            _("The draw's inputs do not hold: %(error)s") % {"error": error}, Code.INPUTS_INVALID
        ) from None


def _sealed_statements(
    round: Round, now: datetime
) -> tuple[dict[str, Any], dict[str, Any], draw.Beacon]:
    """The round's opening and closing statements and its beacon, checked again:
    a draw runs only on the beacon round fixed at open, once its time has come,
    with the chain's own signature of it."""
    if not (round.opening_statement and round.closing_statement):
        raise _refuse(
            _("This round has no opening and closing statements; it cannot be drawn."),
            Code.NO_STATEMENTS,
        )
    opening = json.loads(round.opening_statement)
    closing = json.loads(round.closing_statement)
    number = opening["beacon"]["round"]
    chain = drand.Chain.from_json(opening["beacon"]["chain"])
    if (
        round.beacon_round != number
        or round.beacon_chain != chain.as_json()
        or statements.digest(closing) != round.closing_digest
    ):
        raise _refuse(
            _("The round's beacon or closing digest differs from its statements."),
            Code.STATEMENTS_CHANGED,
        )
    if now.timestamp() < drand.round_time(chain, number) or not round.beacon_signature:
        raise _refuse(
            _("Waiting for beacon round %(round)d.") % {"round": number}, Code.BEACON_WAITING
        )
    try:
        randomness = drand.verify(chain, number, round.beacon_signature)
    except drand.BeaconError as error:
        raise _refuse(str(error), Code.BEACON_INVALID) from None
    beacon: draw.Beacon = {
        "chain": chain.as_json(),
        "round": number,
        "signature": round.beacon_signature,
        "randomness": randomness,
    }
    return opening, closing, beacon


def _check_sealed(round: Round, closing: dict[str, Any], inputs: DrawInputs) -> None:
    """Refuse to draw on inputs other than those the closing statement pinned."""
    now_sealed = inputs.sealed()
    for field, value in now_sealed.items():
        if closing[field] != value:
            raise _refuse(
                _(
                    "The draw's inputs differ from the closing statement (%(field)s); "
                    "the draw is refused."
                )
                % {"field": field},
                Code.INPUTS_CHANGED,
            )
    if closing["options"] != options_of(round):
        raise _refuse(
            _(
                "The draw's inputs differ from the closing statement (%(field)s); "
                "the draw is refused."
            )
            % {"field": "options"},
            Code.INPUTS_CHANGED,
        )


def options_of(round: Round) -> statements.Options:
    """The fairness options as the statements write them."""
    return {
        "priority": round.priority,
        "repeat_weight_days": round.repeat_weight_days,
        "repeat_weight_cap": round.repeat_weight_cap,
    }


def _publish(round: Round, record: draw.RecordV2, *, placed: int, now: datetime) -> None:
    """The beacon and the record's digest, on the public log (spec section 7)."""
    beacon = record["beacon"]
    public_log.append(
        "beacon",
        round_code=round.code,
        body={
            "chain_hash": beacon["chain"]["hash"],
            "round": beacon["round"],
            "signature": beacon["signature"],
            "randomness": beacon["randomness"],
        },
        now=now,
    )
    public_log.append(
        "draw",
        round_code=round.code,
        body={
            "record_digest": statements.digest(record),
            "record": f"/rounds/{round.code}/draw.json",
            "entries": len(record["entries"]),
            "placed": placed,
        },
        now=now,
    )


def draw_due_rounds(now: datetime) -> int:
    """Draw every closed round whose draw time has come and whose beacon is in; a
    refusal waits for an operator."""
    drawn = 0
    due = Round.objects.filter(state=Round.State.CLOSED, draws_at__lte=now).exclude(
        beacon_signature=""
    )
    for round in due:
        try:
            draw_round(round, now=now)
        except DrawRefused as refused:
            logger.warning("round %s not drawn: %s (%s)", round.code, refused.code, refused)
            continue
        drawn += 1
    return drawn
