"""What ``tourdraw-draw/2`` makes public before the randomness exists, without Django.

Section numbers (§) refer to ``docs/spec/draw.md``. Every object here is
published as canonical JSON (``draw.canonical``) and named by its digest,
``sha256(canonical(object))`` as hex:

- the *opening statement* (§1), fixed when the round opens: the commitment,
  the fairness options and the beacon (a drand chain and round number);
- the *closing statement* (§2), fixed when the round closes: the entries
  digest and counts, the exact capacity the lottery seats in each slot (group
  places shown apart), the options and the beacon round again;
- a *receipt* (§6), signed and handed to the entrant for each entry;
- a *log entry* (§7) of the platform's append-only public log, chained to the
  one before it by hash and signed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, Final, TypedDict

from tourdraw.lottery import drand
from tourdraw.lottery.draw import digest

OPENING: Final = "tourdraw-opening/2"
CLOSING: Final = "tourdraw-closing/2"
RECEIPT: Final = "tourdraw-receipt/2"
LOG: Final = "tourdraw-log/2"
# The beacon round is the first whose time is at or after the close plus this margin
# (§1): long enough that a close run a little late still comes before it.
BEACON_MARGIN: Final = timedelta(minutes=10)
GENESIS: Final = "0" * 64


class Options(TypedDict):
    """The fairness options of §2 (tier and weight), fixed at open."""

    priority: str
    repeat_weight_days: int
    repeat_weight_cap: int


class SlotCapacity(TypedDict):
    code: str
    capacity: int
    reserved: int


def timestamp(moment: datetime) -> str:
    """A time as the statements write it: UTC, whole seconds, ``Z``."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_timestamp(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


def beacon_round(chain: drand.Chain, closes_at: datetime) -> int:
    """The beacon round fixed at open (§1.2): first at or after ``closes_at`` + margin.

    ``closes_at`` counts to the whole second, as the opening statement publishes
    it: a verifier has only that text, and a fraction of a second more would move
    R to the next round whenever a round falls exactly on closes_at + margin.
    """
    return drand.round_at(chain, closes_at.replace(microsecond=0) + BEACON_MARGIN)


def opening_statement(
    *,
    round: str,
    commitment: str,
    opened_at: datetime,
    closes_at: datetime,
    options: Options,
    chain: drand.Chain,
) -> dict[str, Any]:
    number = beacon_round(chain, closes_at)
    return {
        "format": OPENING,
        "round": round,
        "commitment": commitment,
        "opened_at": timestamp(opened_at),
        "closes_at": timestamp(closes_at),
        "options": dict(options),
        "beacon": {
            "chain": chain.as_json(),
            "round": number,
            "time": timestamp(datetime.fromtimestamp(drand.round_time(chain, number), UTC)),
        },
    }


def closing_statement(
    *,
    opening: Mapping[str, Any],
    closed_at: datetime,
    entries_digest: str,
    entries: int,
    persons: int,
    slots: Sequence[SlotCapacity],
) -> dict[str, Any]:
    """``slots`` sorted by code; ``capacity`` is what the lottery seats (§2), after
    ``reserved`` places kept for groups."""
    return {
        "format": CLOSING,
        "round": opening["round"],
        "commitment": opening["commitment"],
        "opening_digest": digest(opening),
        "closed_at": timestamp(closed_at),
        "entries": entries,
        "persons": persons,
        "entries_digest": entries_digest,
        "slots": [dict(slot) for slot in slots],
        "options": dict(opening["options"]),
        "beacon": {
            "chain_hash": opening["beacon"]["chain"]["hash"],
            "round": opening["beacon"]["round"],
        },
    }


def choices_digest(choices: Sequence[str]) -> str:
    return digest(list(choices))


def receipt_payload(
    *,
    round: str,
    entry: str,
    party: int,
    tier: int,
    weight: int,
    choices: Sequence[str],
    time: datetime,
    key_id: str,
) -> dict[str, Any]:
    """What a receipt says (§6); the signature is over its canonical JSON."""
    return {
        "format": RECEIPT,
        "round": round,
        "entry": entry,
        "party": party,
        "tier": tier,
        "weight": weight,
        "choices_digest": choices_digest(choices),
        "time": timestamp(time),
        "key": key_id,
    }


def log_entry(
    *, seq: int, prev: str, time: datetime, kind: str, round: str, body: Mapping[str, Any]
) -> dict[str, Any]:
    """A log entry of §7 before it is hashed and signed; ``prev`` is the previous
    entry's hash (``GENESIS`` for the first)."""
    return {
        "seq": seq,
        "prev": prev,
        "time": timestamp(time),
        "kind": kind,
        "round": round,
        "body": dict(body),
    }
