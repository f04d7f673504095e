"""The draw of ``docs/spec/draw.md`` (``tourdraw-draw/2``) and ``draw-v1.md`` (``/1``), in code.

This is the one place the draw rule lives: the project's draw, its published
records, the ``tourdraw verify`` command and the waitlist all come through
here. It uses the standard library only, so anyone can read it, copy it and
re-run a published record without the project.

Section numbers (§) refer to ``draw-v1.md`` in the v1 code and ``draw.md`` in the
v2 code, which shares the v1 steps (§2, §3) and adds the statements and beacon
checks; the BLS check goes through ``drand.py``, imported only when needed. A
change to any rule here that changes a byte of a record is a new format, not an
edit.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import chain, compress, islice, repeat
from operator import itemgetter, lt, ne
from typing import Any, Final, TypedDict

FORMAT: Final = "tourdraw-draw/1"


class Slot(TypedDict):
    """A slot of §2: ``capacity`` persons may be seated there."""

    code: str
    capacity: int


class Entry(TypedDict):
    """An entry of §2, with exactly these five keys."""

    code: str
    party: int
    tier: int
    weight: int
    choices: list[str]


class Placement(TypedDict):
    """One seat of §3: the whole party of ``entry`` goes to ``slot``."""

    entry: str
    slot: str


class Record(TypedDict):
    """The published record of §4, keys in the spec's order."""

    format: str
    round: str
    commitment: str
    secret: str
    beacon: str
    slots: list[Slot]
    entries: list[Entry]
    entries_digest: str
    seed: str
    order: list[str]
    placements: list[Placement]


class DrawError(ValueError):
    """A broken rule: ``rule`` is a short stable name, the message says where and how."""

    def __init__(self, rule: str, message: str) -> None:
        super().__init__(message)
        self.rule = rule


class DrawInputError(DrawError):
    """The inputs given to :func:`draw` break a rule of §2."""


class RecordError(DrawError):
    """A record that does not hold (§4); ``rule`` is the first rule it breaks."""


_RECORD_KEYS: Final = tuple(Record.__annotations__)
_SLOT_KEYS: Final = frozenset(Slot.__annotations__)
_ENTRY_KEYS: Final = frozenset(Entry.__annotations__)
_HEX64: Final = re.compile(r"[0-9a-f]{64}")
# The ticket numbers j of §3 as 4 big-endian bytes. Every entry holds ticket 0, so its
# number is appended to every code up front.
_COUNTERS: Final = tuple(j.to_bytes(4, "big") for j in range(100))
_TICKET_0: Final = _COUNTERS[0]
_ENTRY_FIELDS: Final = tuple(Entry.__annotations__)
_DIGEST_CHUNK: Final = 1 << 12
_NEXT_ENTRY: Final = ',{"choices":["'
# The ASCII characters json.dumps writes as they are: the printable ones, bar '"' and '\\'.
_AS_IS: Final = bytes(range(0x20, 0x7F)).replace(b'"', b"").replace(b"\\", b"")


def canonical(obj: object) -> bytes:
    """The canonical JSON of §2: sorted keys, no whitespace, ASCII only."""
    text = json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return text.encode("ascii")


def commitment_for(secret: bytes) -> str:
    """The commitment of §1, published before the round opens."""
    return hashlib.sha256(secret).hexdigest()


def entries_digest(entries: Sequence[Entry]) -> str:
    """``entries_digest`` of §2, written exactly as the spec defines it."""
    return hashlib.sha256(canonical(entries)).hexdigest()


def seed_for(secret: bytes, entries_digest: str, beacon: str) -> str:
    """The seed of §3."""
    message = FORMAT.encode("ascii") + b"\n" + secret + bytes.fromhex(entries_digest)
    return hashlib.sha256(message + beacon.encode("utf-8")).hexdigest()


def prepare(
    slots: Iterable[Mapping[str, Any]], entries: Iterable[Mapping[str, Any]]
) -> tuple[list[Slot], list[Entry]]:
    """Slots and entries as :func:`draw` takes them: sorted by code, exactly the keys of §2.

    Values are copied as they are; :func:`draw` is the one that checks them.
    """
    normal_slots: list[Slot] = [{"code": s["code"], "capacity": s["capacity"]} for s in slots]
    normal_entries: list[Entry] = [
        {
            "code": e["code"],
            "party": e["party"],
            "tier": e["tier"],
            "weight": e["weight"],
            "choices": list(e["choices"]),
        }
        for e in entries
    ]
    normal_slots.sort(key=itemgetter("code"))
    normal_entries.sort(key=itemgetter("code"))
    return normal_slots, normal_entries


def draw(
    round_code: str, secret: bytes, beacon: str, slots: list[Slot], entries: list[Entry]
) -> Record:
    """Run the draw of §3 and return the record of §4.

    ``slots`` and ``entries`` must already be sorted and well formed (§2; see
    :func:`prepare`), otherwise :class:`DrawInputError` names the first broken
    rule. The record holds the lists it is given, not copies of their dicts.
    """
    if not isinstance(round_code, str):
        raise DrawInputError("round", "the round code must be a string")
    if not isinstance(secret, bytes) or len(secret) != 32:
        raise DrawInputError("secret", "the secret must be 32 bytes (§1)")
    _check_beacon(beacon, DrawInputError)
    derived = _derive(secret, beacon, slots, entries)
    return {
        "format": FORMAT,
        "round": round_code,
        "commitment": commitment_for(secret),
        "secret": secret.hex(),
        "beacon": beacon,
        "slots": list(slots),
        "entries": list(entries),
        "entries_digest": derived.entries_digest,
        "seed": derived.seed,
        "order": derived.order,
        "placements": derived.placements,
    }


def verify(record: object) -> None:
    """Check that a record holds, or raise :class:`RecordError` for the first broken rule.

    ``tourdraw-draw/1`` records follow ``draw-v1.md`` §4: format, top-level keys,
    header fields, slots, entries, commitment, entries_digest, seed, order,
    placements. ``tourdraw-draw/2`` records follow the ordered rules of ``draw.md``
    §4 (see :func:`verify_v2`).
    """
    if not isinstance(record, dict):
        raise RecordError("record", "a record is a JSON object")
    if record.get("format") == FORMAT_V2:
        verify_v2(record)
        return
    if record.get("format") != FORMAT:
        raise RecordError(
            "format",
            f"format must be {FORMAT_V2!r} or {FORMAT!r}, found {record.get('format')!r}",
        )
    if set(record) != set(_RECORD_KEYS):
        missing = sorted(set(_RECORD_KEYS) - set(record))
        extra = sorted(set(record) - set(_RECORD_KEYS), key=str)
        raise RecordError("keys", f"top-level keys: missing {missing}, unexpected {extra}")
    if not isinstance(record["round"], str):
        raise RecordError("round", "round must be a string")
    for field in ("commitment", "secret", "entries_digest", "seed"):
        value = record[field]
        if not isinstance(value, str) or not _HEX64.fullmatch(value):
            raise RecordError(f"{field}_hex", f"{field} must be 64 lowercase hex digits")
    _check_beacon(record["beacon"], RecordError)

    secret = bytes.fromhex(record["secret"])
    try:
        derived = _derive(secret, record["beacon"], record["slots"], record["entries"])
    except DrawInputError as error:
        raise RecordError(error.rule, str(error)) from None
    commitment = commitment_for(secret)
    if commitment != record["commitment"]:
        raise RecordError(
            "commitment",
            f"sha256(secret) is {commitment}, the commitment is {record['commitment']}",
        )
    for field, value in (("entries_digest", derived.entries_digest), ("seed", derived.seed)):
        if value != record[field]:
            raise RecordError(field, f"{field} is {record[field]}, the spec derives {value}")
    _compare("order", derived.order, record["order"])
    _compare("placements", derived.placements, record["placements"])


# tourdraw-draw/2 (draw.md): the beacon is fixed when the round opens, the inputs are
# sealed when it closes, and the record carries both statements.

FORMAT_V2: Final = "tourdraw-draw/2"
OPENING_FORMAT: Final = "tourdraw-opening/2"
CLOSING_FORMAT: Final = "tourdraw-closing/2"
PRIORITIES: Final = ("none", "minors")
# The beacon round is the first at or after the close plus this margin (§1.2).
BEACON_MARGIN_SECONDS: Final = 600


class Beacon(TypedDict):
    """The drand round of §1.3, as the record carries it."""

    chain: dict[str, Any]
    round: int
    signature: str
    randomness: str


class RecordV2(TypedDict):
    """The published record of §4 (``tourdraw-draw/2``), keys in the spec's order."""

    format: str
    round: str
    commitment: str
    secret: str
    opening: dict[str, Any]
    closing: dict[str, Any]
    closing_digest: str
    beacon: Beacon
    slots: list[Slot]
    entries: list[Entry]
    entries_digest: str
    seed: str
    order: list[str]
    placements: list[Placement]


_RECORD_V2_KEYS: Final = tuple(RecordV2.__annotations__)
_OPENING_KEYS: Final = (
    "format",
    "round",
    "commitment",
    "opened_at",
    "closes_at",
    "options",
    "beacon",
)
_OPENING_BEACON_KEYS: Final = ("chain", "round", "time")
_CLOSING_KEYS: Final = (
    "format", "round", "commitment", "opening_digest", "closed_at", "entries", "persons",
    "entries_digest", "slots", "options", "beacon",
)  # fmt: skip
_CLOSING_SLOT_KEYS: Final = ("code", "capacity", "reserved")
_CLOSING_SLOT_KEY_SET: Final = frozenset(_CLOSING_SLOT_KEYS)
_CLOSING_BEACON_KEYS: Final = ("chain_hash", "round")
_OPTION_KEYS: Final = ("priority", "repeat_weight_days", "repeat_weight_cap")
_CHAIN_KEYS: Final = ("name", "hash", "public_key", "period", "genesis_time", "scheme")
_BEACON_KEYS: Final = tuple(Beacon.__annotations__)
_TIMESTAMP: Final = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z")
_TIMESTAMP_FORMAT: Final = "%Y-%m-%dT%H:%M:%SZ"
_HEX96: Final = re.compile(r"[0-9a-f]{96}")
_HEX192: Final = re.compile(r"[0-9a-f]{192}")


def digest(obj: object) -> str:
    """The digest that names a published object: ``sha256(canonical(obj))`` as hex."""
    return hashlib.sha256(canonical(obj)).hexdigest()


def seed_v2(secret: bytes, closing_digest: str, randomness: str) -> str:
    """The seed of §3 for ``tourdraw-draw/2``."""
    message = FORMAT_V2.encode("ascii") + b"\n" + secret + bytes.fromhex(closing_digest)
    return hashlib.sha256(message + bytes.fromhex(randomness)).hexdigest()


def draw_v2(
    round_code: str,
    secret: bytes,
    opening: dict[str, Any],
    closing: dict[str, Any],
    beacon: Beacon,
    slots: list[Slot],
    entries: list[Entry],
    *,
    check_signature: bool = True,
) -> RecordV2:
    """Run the draw of §3 and return the ``tourdraw-draw/2`` record of §4.

    ``opening`` and ``closing`` are the published statements; ``beacon`` is the
    drand round fixed at open, ``{chain, round, signature, randomness}``; ``slots``
    and ``entries`` as :func:`draw` takes them, and exactly what the closing
    statement seals. Every rule of §4 that does not need the draw's output is
    checked first, so a record that would not hold is never made:
    :class:`DrawInputError` names the first broken rule. ``check_signature=False``
    leaves the BLS check out, for a caller that has just done it with
    ``drand.verify`` (about half a second of pure Python).
    """
    if not isinstance(round_code, str):
        raise DrawInputError("round", "the round code must be a string")
    if not isinstance(secret, bytes) or len(secret) != 32:
        raise DrawInputError("secret", "the secret must be 32 bytes (§1.1)")
    header: dict[str, Any] = {
        "format": FORMAT_V2,
        "round": round_code,
        "commitment": commitment_for(secret),
        "secret": secret.hex(),
        "opening": opening,
        "closing": closing,
        "beacon": beacon,
        "slots": slots,
    }
    _check_statements(header, None, DrawInputError, check_signature)
    closing_digest = digest(closing)
    derived = _derive_with(
        slots,
        entries,
        lambda _: seed_v2(secret, closing_digest, beacon["randomness"]),
        _sealed_by(closing, opening["options"]),
    )
    return {
        "format": FORMAT_V2,
        "round": round_code,
        "commitment": header["commitment"],
        "secret": header["secret"],
        "opening": opening,
        "closing": closing,
        "closing_digest": closing_digest,
        "beacon": beacon,
        "slots": list(slots),
        "entries": list(entries),
        "entries_digest": derived.entries_digest,
        "seed": derived.seed,
        "order": derived.order,
        "placements": derived.placements,
    }


def verify_v2(record: dict[str, Any], *, check_signature: bool = True) -> None:
    """Check a ``tourdraw-draw/2`` record (§4), or raise :class:`RecordError` for the
    first broken rule, in the order §4 lists them."""
    if record.get("format") != FORMAT_V2:
        raise RecordError("format", f"format must be {FORMAT_V2!r}")
    _exact_keys(record, _RECORD_V2_KEYS, "keys", "the record", RecordError)
    if not isinstance(record["round"], str):
        raise RecordError("round", "round must be a string")
    for field in ("commitment", "secret", "closing_digest", "entries_digest", "seed"):
        value = record[field]
        if not isinstance(value, str) or not _HEX64.fullmatch(value):
            raise RecordError(f"{field}_hex", f"{field} must be 64 lowercase hex digits")
    _check_statements(record, record["closing_digest"], RecordError, check_signature)
    secret = bytes.fromhex(record["secret"])
    randomness = record["beacon"]["randomness"]
    try:
        derived = _derive_with(
            record["slots"],
            record["entries"],
            lambda _: seed_v2(secret, record["closing_digest"], randomness),
            _sealed_by(record["closing"], record["opening"]["options"]),
        )
    except DrawInputError as error:
        raise RecordError(error.rule, str(error)) from None
    for field, value in (("entries_digest", derived.entries_digest), ("seed", derived.seed)):
        if value != record[field]:
            raise RecordError(field, f"{field} is {record[field]}, the spec derives {value}")
    _compare("order", derived.order, record["order"])
    _compare("placements", derived.placements, record["placements"])


def check_opening(opening: object, error: type[DrawError] = RecordError) -> None:
    """The opening statement's own rules (§1): format, keys, and each field's form."""
    if not isinstance(opening, dict) or opening.get("format") != OPENING_FORMAT:
        raise error("opening_format", f"the opening statement's format must be {OPENING_FORMAT}")
    _exact_keys(opening, _OPENING_KEYS, "opening_keys", "the opening statement", error)
    _check_fields(
        "opening",
        opening,
        {"round": str, "commitment": _HEX64, "opened_at": _TIMESTAMP, "closes_at": _TIMESTAMP},
        error,
    )
    check_options(opening["options"], error)
    beacon = opening["beacon"]
    if not isinstance(beacon, dict):
        raise error("opening_keys", "the opening statement's beacon must be an object")
    _exact_keys(beacon, _OPENING_BEACON_KEYS, "opening_keys", "the opening's beacon", error)
    check_chain(beacon["chain"], error)
    _check_fields("opening", beacon, {"round": _POSITIVE, "time": _TIMESTAMP}, error)


def check_closing(closing: object, error: type[DrawError] = RecordError) -> None:
    """The closing statement's own rules (§2): format, keys, and each field's form."""
    if not isinstance(closing, dict) or closing.get("format") != CLOSING_FORMAT:
        raise error("closing_format", f"the closing statement's format must be {CLOSING_FORMAT}")
    _exact_keys(closing, _CLOSING_KEYS, "closing_keys", "the closing statement", error)
    _check_fields(
        "closing",
        closing,
        {
            "round": str,
            "commitment": _HEX64,
            "opening_digest": _HEX64,
            "closed_at": _TIMESTAMP,
            "entries": _NATURAL,
            "persons": _NATURAL,
            "entries_digest": _HEX64,
        },
        error,
    )
    if not isinstance(closing["slots"], list):
        raise error("closing", "the closing statement's slots must be a list")
    if not all(map(_plain_closing_slot, closing["slots"])):
        _find_broken_closing_slot(closing["slots"], error)
    check_options(closing["options"], error)
    beacon = closing["beacon"]
    if not isinstance(beacon, dict):
        raise error("closing_keys", "the closing statement's beacon must be an object")
    _exact_keys(beacon, _CLOSING_BEACON_KEYS, "closing_keys", "the closing's beacon", error)
    _check_fields("closing", beacon, {"chain_hash": _HEX64, "round": _POSITIVE}, error)


def _plain_closing_slot(slot: object) -> bool:
    """A closing slot of the right form, at a glance: a round may have thousands."""
    return (
        type(slot) is dict
        and slot.keys() == _CLOSING_SLOT_KEY_SET
        and type(slot["code"]) is str
        and type(slot["capacity"]) is int
        and type(slot["reserved"]) is int
        and slot["capacity"] >= 0
        and slot["reserved"] >= 0
    )


def _find_broken_closing_slot(slots: list[Any], error: type[DrawError]) -> None:
    for i, slot in enumerate(slots):
        if not isinstance(slot, dict):
            raise error("closing_keys", f"closing slots[{i}] must be an object")
        _exact_keys(slot, _CLOSING_SLOT_KEYS, "closing_keys", f"closing slots[{i}]", error)
        fields = {"code": str, "capacity": _NATURAL, "reserved": _NATURAL}
        _check_fields(f"closing slots[{i}]", slot, fields, error, rule="closing")


def check_options(options: object, error: type[DrawError] = RecordError) -> None:
    """The fairness options (§1.4)."""
    if not isinstance(options, dict):
        raise error("options", "options must be an object")
    _exact_keys(options, _OPTION_KEYS, "options", "options", error)
    if options["priority"] not in PRIORITIES or not isinstance(options["priority"], str):
        raise error("options", f"options priority must be one of {list(PRIORITIES)}")
    days, cap = options["repeat_weight_days"], options["repeat_weight_cap"]
    if type(days) is not int or days < 0:
        raise error("options", "options repeat_weight_days must be a whole number >= 0")
    if type(cap) is not int or not 1 <= cap <= 100:
        raise error("options", "options repeat_weight_cap must be a whole number from 1 to 100")


def check_chain(chain: object, error: type[DrawError] = RecordError) -> None:
    """A drand chain's form (§1.3); that it is the right chain is the reader's call."""
    if not isinstance(chain, dict):
        raise error("chain", "a chain must be an object")
    _exact_keys(chain, _CHAIN_KEYS, "chain", "a chain", error)
    fields = {
        "name": str,
        "hash": _HEX64,
        "public_key": _HEX192,
        "period": _POSITIVE,
        "genesis_time": _POSITIVE,
        "scheme": str,
    }
    _check_fields("chain", chain, fields, error, rule="chain")
    if chain["scheme"] != "bls-unchained-g1-rfc9380":
        raise error("chain", "the chain's scheme must be bls-unchained-g1-rfc9380")


def is_timestamp(value: object) -> bool:
    """Is ``value`` a statement's timestamp, ``YYYY-MM-DDTHH:MM:SSZ``, a real UTC time?"""
    if not isinstance(value, str) or not _TIMESTAMP.fullmatch(value):
        return False
    try:
        unix_time(value)
    except ValueError:
        return False
    return True


def unix_time(text: str) -> int:
    """A statement's timestamp as Unix seconds."""
    moment = datetime.strptime(text, _TIMESTAMP_FORMAT).replace(tzinfo=UTC)
    return int(moment.timestamp())


def timestamp_of(seconds: int) -> str:
    """Unix seconds as a statement's timestamp (years 1 to 9999; others cannot be one)."""
    try:
        return datetime.fromtimestamp(seconds, UTC).strftime(_TIMESTAMP_FORMAT)
    except (OverflowError, ValueError, OSError):
        return f"(no timestamp: {seconds} s after 1970)"


_NATURAL: Final = "natural"  # a whole number >= 0
_POSITIVE: Final = "positive"  # a whole number >= 1


def _check_fields(
    where: str,
    obj: dict[str, Any],
    forms: Mapping[str, object],
    error: type[DrawError],
    rule: str | None = None,
) -> None:
    """Each field of ``obj`` in ``forms`` has its form: a type, a pattern or a number kind."""
    for field, form in forms.items():
        value = obj[field]
        if form is str:
            ok, wanted = isinstance(value, str), "a string"
        elif form in (_NATURAL, _POSITIVE):
            low = 0 if form == _NATURAL else 1
            ok, wanted = type(value) is int and value >= low, f"a whole number >= {low}"
        else:
            assert isinstance(form, re.Pattern)
            if form is _TIMESTAMP:
                ok, wanted = is_timestamp(value), "a time YYYY-MM-DDTHH:MM:SSZ"
            else:
                ok = isinstance(value, str) and form.fullmatch(value) is not None
                wanted = "lowercase hex"
        if not ok:
            raise error(rule or where, f"{where} {field} must be {wanted}, found {value!r}")


def _exact_keys(
    obj: dict[str, Any], keys: Sequence[str], rule: str, where: str, error: type[DrawError]
) -> None:
    if set(obj) != set(keys):
        missing = sorted(set(keys) - set(obj))
        extra = sorted(set(obj) - set(keys), key=str)
        raise error(rule, f"{where}: missing keys {missing}, unexpected keys {extra}")


def same(a: object, b: object) -> bool:
    """Equal as published: the same canonical JSON (so 1, 1.0 and true all differ)."""
    try:
        return canonical(a) == canonical(b)
    except (TypeError, ValueError):
        return False


def _check_statements(
    record: dict[str, Any],
    closing_digest: str | None,
    error: type[DrawError],
    check_signature: bool,
) -> None:
    """draw.md §4 rules 6 to 22: the statements, how they link, the beacon, the slots."""
    check_opening(record["opening"], error)
    check_closing(record["closing"], error)
    _check_beacon_form(record["beacon"], error)
    _check_links(record, closing_digest, error)
    _check_beacon_round(record, error, check_signature)
    closing_slots = [
        {"code": slot["code"], "capacity": slot["capacity"]} for slot in record["closing"]["slots"]
    ]
    if not same(record["slots"], closing_slots):
        raise error("slots", "the slots differ from the closing statement's codes and capacities")


def _check_beacon_form(beacon: object, error: type[DrawError]) -> None:
    if not isinstance(beacon, dict):
        raise error("beacon_keys", "the beacon must be an object")
    _exact_keys(beacon, _BEACON_KEYS, "beacon_keys", "the beacon", error)
    check_chain(beacon["chain"], error)
    forms = {"round": _POSITIVE, "signature": _HEX96, "randomness": _HEX64}
    _check_fields("beacon", beacon, forms, error, rule="beacon")


def _check_links(
    record: dict[str, Any], closing_digest: str | None, error: type[DrawError]
) -> None:
    opening, closing = record["opening"], record["closing"]
    if opening["round"] != record["round"] or closing["round"] != record["round"]:
        raise error(
            "round",
            f"the record is for round {record['round']!r}, the opening statement for "
            f"{opening['round']!r}, the closing statement for {closing['round']!r}",
        )
    secret_digest = commitment_for(bytes.fromhex(record["secret"]))
    if secret_digest != record["commitment"]:
        raise error(
            "commitment",
            f"sha256(secret) is {secret_digest}, the commitment is {record['commitment']}",
        )
    for name, statement in (("opening", opening), ("closing", closing)):
        if statement["commitment"] != record["commitment"]:
            raise error(
                f"{name}_commitment",
                f"the {name} statement's commitment is {statement['commitment']}, "
                f"the record's {record['commitment']}",
            )
    if closing["opening_digest"] != digest(opening):
        raise error(
            "opening_digest",
            f"the closing statement names opening {closing['opening_digest']}, "
            f"the opening statement's digest is {digest(opening)}",
        )
    if closing_digest is not None and closing_digest != digest(closing):
        raise error(
            "closing_digest",
            f"closing_digest is {closing_digest}, the closing statement's digest is "
            f"{digest(closing)}",
        )
    if not same(closing["options"], opening["options"]):
        raise error("closing_options", "the closing statement's options differ from the opening's")


def _check_beacon_round(record: dict[str, Any], error: type[DrawError], check: bool) -> None:
    """§1.2 and §1.3: the beacon is the round fixed at open, published after the close."""
    from tourdraw.lottery import drand

    opening, closing, beacon = record["opening"], record["closing"], record["beacon"]
    fixed = opening["beacon"]
    if not same(beacon["chain"], fixed["chain"]) or (
        closing["beacon"]["chain_hash"] != fixed["chain"]["hash"]
    ):
        raise error("beacon_chain", "the beacon's chain is not the one the opening fixed")
    number = fixed["round"]
    if beacon["round"] != number or closing["beacon"]["round"] != number:
        raise error(
            "beacon_round",
            f"the opening fixed beacon round {number}; the closing statement says "
            f"{closing['beacon']['round']}, the beacon is round {beacon['round']}",
        )
    chain = drand.Chain(**fixed["chain"])
    # §1.2 in whole seconds (drand.round_at, without a datetime that may overflow).
    due = unix_time(opening["closes_at"]) + BEACON_MARGIN_SECONDS
    first = max(1, -(-(due - chain.genesis_time) // chain.period) + 1)
    if number != first:
        raise error(
            "beacon_round_fixed",
            f"the first round at or after closes_at + {BEACON_MARGIN_SECONDS} s is {first}, "
            f"not {number}",
        )
    published = drand.round_time(chain, number)
    if fixed["time"] != timestamp_of(published):
        raise error("beacon_time", f"round {number} is published at {timestamp_of(published)}")
    if published < unix_time(closing["closed_at"]):
        raise error(
            "beacon_after_close",
            f"round {number} was published at {timestamp_of(published)}, before the round "
            f"closed at {closing['closed_at']}: its randomness was known at the close",
        )
    if beacon["randomness"] != drand.randomness(beacon["signature"]):
        raise error("beacon_randomness", "the randomness is not sha256 of the signature")
    if check:
        try:
            _signature_holds(
                canonical(beacon["chain"]).decode("ascii"), number, beacon["signature"]
            )
        except drand.BeaconError as failure:
            raise error(
                "chain" if failure.rule == "chain" else "beacon_signature", str(failure)
            ) from None


@functools.lru_cache(maxsize=32)
def _signature_holds(chain_text: str, number: int, signature: str) -> None:
    """drand.verify, remembered: a pairing check costs half a second of pure Python, and
    only checks that pass are kept."""
    from tourdraw.lottery import drand

    drand.verify(drand.Chain(**json.loads(chain_text)), number, signature)


def _sealed_by(closing: dict[str, Any], options: dict[str, Any]) -> Callable[[_Columns, str], None]:
    """draw.md §4 rules 25 to 29: the entries are the ones the closing statement sealed."""

    def check(columns: _Columns, entries_digest: str) -> None:
        count, persons = len(columns.codes), sum(columns.parties)
        if count != closing["entries"]:
            raise DrawInputError(
                "closing_entries",
                f"{count} entries, the closing statement says {closing['entries']}",
            )
        if persons != closing["persons"]:
            raise DrawInputError(
                "closing_persons",
                f"the entries seat {persons} persons, the closing statement says "
                f"{closing['persons']}",
            )
        top_tier = 0 if options["priority"] == "none" else 1
        if columns.codes and columns.max_tier > top_tier:
            raise DrawInputError(
                "tiers", f"with priority {options['priority']!r}, tiers go up to {top_tier}"
            )
        cap = 1 if options["repeat_weight_days"] == 0 else options["repeat_weight_cap"]
        if columns.codes and columns.max_weight > cap:
            raise DrawInputError("weights", f"these options allow at most {cap} tickets an entry")
        if entries_digest != closing["entries_digest"]:
            raise DrawInputError(
                "entries_digest",
                f"the entries' digest is {entries_digest}, the closing statement sealed "
                f"{closing['entries_digest']}",
            )

    return check


class Waitlist:
    """Who gets places freed in a slot after the draw (§5).

    Built once per round; each call then walks only the entries that list the
    freed slot, in draw order.
    """

    __slots__ = ("_by_slot",)

    def __init__(self, ordered: Iterable[tuple[str, int, Iterable[str]]]) -> None:
        """``ordered``: every entry as ``(code, party, choices)``, in the record's ``order``."""
        by_slot: dict[str, list[tuple[str, int]]] = {}
        for code, party, choices in ordered:
            for slot in choices:
                by_slot.setdefault(slot, []).append((code, party))
        self._by_slot = by_slot

    @classmethod
    def from_record(cls, record: Record) -> Waitlist:
        """The waitlist of a record that holds (check it with :func:`verify` first)."""
        by_code = {entry["code"]: entry for entry in record["entries"]}
        return cls(
            (code, by_code[code]["party"], by_code[code]["choices"]) for code in record["order"]
        )

    def next_promotions(
        self,
        slot: str,
        free_places: int,
        placed: AbstractSet[str],
        offered_before: AbstractSet[str],
    ) -> list[str]:
        """The entry codes that get ``free_places`` freed in ``slot``, in promotion order (§5)."""
        promoted: list[str] = []
        # One pass is the spec's "repeat from the first entry": an entry passed over
        # because its party did not fit cannot fit later, when fewer places are free.
        for code, party in self._by_slot.get(slot, ()):
            if free_places <= 0:
                break
            if party <= free_places and code not in placed and code not in offered_before:
                promoted.append(code)
                free_places -= party
        return promoted


# The derivation, shared by draw() and verify().


@dataclass(frozen=True, slots=True)
class _Derived:
    entries_digest: str
    seed: str
    order: list[str]
    placements: list[Placement]


@dataclass(frozen=True, slots=True)
class _Columns:
    """Checked entries as columns in code order: the hot loops index plain lists."""

    entries: list[Entry]
    codes: list[str]
    parties: list[int]
    tiers: list[int]
    weights: list[int]
    choices: list[list[str]]
    tier_count: int  # of distinct tiers
    max_tier: int
    max_weight: int
    # The codes joined by '"': the tickets are laid out from it, and it says that the
    # digest's text can be laid out from the columns. None when the entries were
    # checked one by one, as some code or slot code may need escaping in JSON:
    # json.dumps writes the digest's text then.
    codes_text: str | None


def _derive(secret: bytes, beacon: str, slots: object, entries: object) -> _Derived:
    return _derive_with(slots, entries, lambda digest: seed_for(secret, digest, beacon))


def _derive_with(
    slots: object,
    entries: object,
    seed_of: Callable[[str], str],
    check: Callable[[_Columns, str], None] | None = None,
) -> _Derived:
    """§2 and §3: ``seed_of`` makes the seed from the entries digest (it differs by
    format); ``check``, if given, sees the checked columns and their digest first."""
    digest, seed, order, placed, taken = _steps(slots, entries, seed_of, check)
    # The placements' dicts are made last, once the steps' big lists are gone: every
    # few hundred new dicts start a garbage collection, which would otherwise go
    # through each item of those lists.
    placements: list[Placement] = [
        {"entry": entry, "slot": slot} for entry, slot in zip(placed, taken, strict=True)
    ]
    return _Derived(entries_digest=digest, seed=seed, order=order, placements=placements)


def _steps(
    slots: object,
    entries: object,
    seed_of: Callable[[str], str],
    check: Callable[[_Columns, str], None] | None,
) -> tuple[str, str, list[str], list[str], list[str]]:
    """Digest, seed, order, and the placements as entry codes and slot codes."""
    capacities = _check_slots(slots)
    columns = _check_entries(entries, capacities)
    digest = _digest(columns, capacities)
    if check is not None:
        check(columns, digest)
    seed = seed_of(digest)
    positions = _order(columns, bytes.fromhex(seed))
    placed, taken = _walk(columns, positions, capacities)
    return digest, seed, list(map(columns.codes.__getitem__, positions)), placed, taken


def _check_beacon(beacon: object, error: type[DrawError]) -> None:
    if not isinstance(beacon, str):
        raise error("beacon", "the beacon must be a string")
    try:
        beacon.encode("utf-8")
    except UnicodeEncodeError:
        # A lone surrogate survives JSON parsing but has no UTF-8 bytes to seed with.
        raise error("beacon", "the beacon must be valid Unicode text") from None


def _check_slots(slots: object) -> dict[str, int]:
    """§2's slot rules; the capacities by code."""
    if not isinstance(slots, list):
        raise DrawInputError("slots", "slots must be a list")
    for i, slot in enumerate(slots):
        where = f"slots[{i}]"
        if not isinstance(slot, dict) or slot.keys() != _SLOT_KEYS:
            raise DrawInputError(
                "slot_keys", f"{where}: a slot has exactly the keys code, capacity"
            )
        if not isinstance(slot["code"], str) or not slot["code"].isascii():
            raise DrawInputError("slot_code", f"{where}: the code must be an ASCII string")
        capacity = slot["capacity"]
        if type(capacity) is not int or capacity < 0:
            raise DrawInputError(
                "slot_capacity",
                f"{where} ({slot['code']}): capacity must be a whole number >= 0, "
                f"found {capacity!r}",
            )
    codes = [slot["code"] for slot in slots]
    _check_sorted("slots", codes)
    return dict(zip(codes, (slot["capacity"] for slot in slots), strict=True))


def _check_sorted(what: str, codes: list[str]) -> None:
    """Codes must rise strictly: sorted by code point and unique (§2)."""
    if all(map(lt, codes, islice(codes, 1, None))):
        return
    i = next(i for i in range(1, len(codes)) if not codes[i - 1] < codes[i])
    if codes[i - 1] == codes[i]:
        raise DrawInputError(f"{what}_unique", f"{what}[{i}]: code {codes[i]} appears twice")
    raise DrawInputError(
        f"{what}_sorted", f"{what}[{i}]: code {codes[i]} comes after {codes[i - 1]}, not before"
    )


def _check_entries(entries: object, capacities: Mapping[str, int]) -> _Columns:
    """§2's entry rules; the entries as columns."""
    if not isinstance(entries, list):
        raise DrawInputError("entries", "entries must be a list")
    columns = _fast_columns(entries, capacities)
    if columns is not None:
        return columns
    _find_broken_entry(entries, capacities)
    codes, parties, tiers, weights, choices = (
        [entry[key] for entry in entries] for key in _ENTRY_FIELDS
    )
    return _Columns(
        entries=entries,
        codes=codes,
        parties=parties,
        tiers=tiers,
        weights=weights,
        choices=choices,
        tier_count=len(set(tiers)),
        max_tier=max(tiers, default=0),
        max_weight=max(weights, default=1),
        codes_text=None,
    )


def _fast_columns(entries: list[Any], capacities: Mapping[str, int]) -> _Columns | None:
    """Every rule of :func:`_find_broken_entry` at once, in C loops over columns.

    None when some entry may break a rule, or when a code or a slot code needs
    escaping in JSON: the caller then goes entry by entry, to name the first
    broken rule.
    """
    n = len(entries)
    if n == 0 or set(map(type, entries)) != {dict} or sum(map(len, entries)) != 5 * n:
        return None
    try:
        # Five keys in each entry and all five found: exactly the keys of §2.
        codes, parties, tiers, weights, choices = (
            list(map(itemgetter(key), entries)) for key in _ENTRY_FIELDS
        )
        codes_text = '"'.join(codes)
    except (KeyError, TypeError):
        return None
    if not _plain(codes_text, quotes=n - 1) or not all(map(lt, codes, islice(codes, 1, None))):
        return None
    if set(map(type, chain(parties, tiers, weights))) != {int}:
        return None
    party_values, tier_values, weight_values = set(parties), set(tiers), set(weights)
    if min(party_values) < 1 or min(tier_values) < 0:
        return None
    if not 1 <= min(weight_values) <= max(weight_values) <= 100:
        return None
    if set(map(type, choices)) != {list} or not all(choices):
        return None
    # Every choice is checked to be a slot code below: with plain slot codes of type
    # str, the choices need no escaping in JSON either.
    if set(map(type, capacities)) - {str} or not _plain("".join(capacities)):
        return None
    try:
        # A choice list keeps its length in the known slots only if no choice is
        # unknown and none is repeated; as none can grow, the lengths add up only then.
        # Only a str equals a slot code, bar some odd type: _digest stops that one.
        known = set(capacities).intersection
        if sum(map(len, map(known, choices))) != sum(map(len, choices)):
            return None
    except TypeError:
        return None
    return _Columns(
        entries=entries,
        codes=codes,
        parties=parties,
        tiers=tiers,
        weights=weights,
        choices=choices,
        tier_count=len(tier_values),
        max_tier=max(tier_values),
        max_weight=max(weight_values),
        codes_text=codes_text,
    )


def _plain(text: str, quotes: int = 0) -> bool:
    """True when ``text`` has ``quotes`` quotes and nothing else json.dumps would escape."""
    # One C pass drops every character JSON writes as it is: only the quotes may remain.
    return text.isascii() and text.encode("ascii").translate(None, _AS_IS) == b'"' * quotes


def _find_broken_entry(entries: list[Any], capacities: Mapping[str, int]) -> None:
    """Raise for the first broken entry rule: shape of each entry, then order, then choices."""
    for i, entry in enumerate(entries):
        where = f"entries[{i}]"
        if not isinstance(entry, dict) or entry.keys() != _ENTRY_KEYS:
            raise DrawInputError(
                "entry_keys", f"{where}: an entry has exactly the keys {sorted(_ENTRY_KEYS)}"
            )
        if not isinstance(entry["code"], str) or not entry["code"].isascii():
            raise DrawInputError("entry_code", f"{where}: the code must be an ASCII string")
        where = f"{where} ({entry['code']})"
        for field, low, high in (("party", 1, None), ("tier", 0, None), ("weight", 1, 100)):
            value = entry[field]
            if type(value) is not int or value < low or (high is not None and value > high):
                bounds = f"from {low} to {high}" if high else f">= {low}"
                raise DrawInputError(
                    f"entry_{field}",
                    f"{where}: {field} must be a whole number {bounds}, found {value!r}",
                )
        choices = entry["choices"]
        if not isinstance(choices, list) or not choices:
            raise DrawInputError("entry_choices", f"{where}: choices must be a non-empty list")
        if not all(isinstance(choice, str) for choice in choices):
            raise DrawInputError("entry_choices", f"{where}: choices must be slot codes")
    _check_sorted("entries", [entry["code"] for entry in entries])
    for i, entry in enumerate(entries):
        where = f"entries[{i}] ({entry['code']})"
        choices = entry["choices"]
        if len(set(choices)) != len(choices):
            raise DrawInputError(
                "entry_choice_repeated", f"{where}: a slot is listed twice in {choices}"
            )
        for choice in choices:
            if choice not in capacities:
                raise DrawInputError(
                    "entry_choice_unknown", f"{where}: choice {choice} is not a slot of the round"
                )


class _Tails(dict[tuple[int, int, int], str]):
    """An entry's JSON after its code, by (party, tier, weight), up to the next entry's choices."""

    def __missing__(self, key: tuple[int, int, int]) -> str:
        party, tier, weight = key
        tail = f'","party":{party},"tier":{tier},"weight":{weight}}}{_NEXT_ENTRY}'
        self[key] = tail
        return tail


def _digest(columns: _Columns, capacities: Mapping[str, int]) -> str:
    """``entries_digest`` (§2): the same bytes as :func:`entries_digest`, built faster.

    json.dumps spends most of its time on a million small dicts. With nothing to
    escape, an entry's JSON is its choices joined by '","', its code and a tail that
    every entry with the same party, tier and weight shares, so it is laid out from
    columns. Chunks keep the text small enough to stay in cache; the choices are
    joined chunk by chunk too, so that their text is still in cache when it is copied
    and a million strings are never kept at once.
    """
    if columns.codes_text is None:
        return entries_digest(columns.entries)
    codes, parties, tiers, weights = columns.codes, columns.parties, columns.tiers, columns.weights
    choices = columns.choices
    tails = _Tails()
    digest = hashlib.sha256(b'[{"choices":["')
    for start in range(0, len(codes), _DIGEST_CHUNK):
        stop = min(start + _DIGEST_CHUNK, len(codes))
        parts = ['"],"code":"'] * (4 * (stop - start))
        try:
            parts[0::4] = map('","'.join, choices[start:stop])
        except TypeError:
            # Every choice equals a slot code (_fast_columns), yet some choice is of
            # a type that only compares equal to a str: the first broken rule names it.
            _find_broken_entry(columns.entries, capacities)
            raise
        parts[2::4] = codes[start:stop]
        parts[3::4] = map(
            tails.__getitem__,
            zip(parties[start:stop], tiers[start:stop], weights[start:stop], strict=True),
        )
        if stop == len(codes):
            parts[-1] = parts[-1].removesuffix(_NEXT_ENTRY) + "]"
        digest.update("".join(parts).encode("ascii"))
    return digest.hexdigest()


def _tickets(columns: _Columns) -> list[bytes]:
    """Each code in ASCII followed by ticket 0's counter (§3)."""
    if columns.codes_text is None:
        return [code.encode("ascii") + _TICKET_0 for code in columns.codes]
    # No code holds a quote: one replace and one split lay out all the tickets.
    ticket_0 = _TICKET_0.decode("ascii")
    text = columns.codes_text.replace('"', f'{ticket_0}"') + ticket_0
    return text.encode("ascii").split(b'"')


def _order(columns: _Columns, seed: bytes) -> list[int]:
    """§3's order, as positions in ``columns``: by tier, then key, then code."""
    tickets = _tickets(columns)
    # Every ticket's hash starts with the seed: each goes on from a copy of the state
    # after the seed, which costs less than a new hash of seed + ticket.
    after_seed = hashlib.sha256(seed).copy
    # Hex digests sort like the raw bytes, and Python compares str keys faster.
    keys: list[str] = []
    add_key = keys.append
    for ticket in tickets:
        hashed = after_seed()
        hashed.update(ticket)
        add_key(hashed.hexdigest())
    if columns.max_weight > 1:
        weights = columns.weights
        for i in compress(range(len(weights)), map(ne, weights, repeat(1))):
            code = tickets[i][:-4]
            for counter in _COUNTERS[1 : weights[i]]:
                hashed = after_seed()
                hashed.update(code + counter)
                key = hashed.hexdigest()
                if key < keys[i]:
                    keys[i] = key
    # Entries are in code order and both sorts are stable, so equal keys stay in code order.
    positions = sorted(range(len(keys)), key=keys.__getitem__)
    if columns.tier_count > 1:
        positions.sort(key=columns.tiers.__getitem__)
    return positions


def _walk(
    columns: _Columns, positions: list[int], capacities: Mapping[str, int]
) -> tuple[list[str], list[str]]:
    """§3's allocation: one walk down the order, whole parties or nothing.

    The placements come back as two lists, entry codes and slot codes.
    """
    placed, taken = _seat(columns, positions, capacities)
    # The codes are looked up after the walk, in one C loop: inside it, each would be
    # one more wait for memory far away.
    return list(map(columns.codes.__getitem__, placed)), taken


def _seat(
    columns: _Columns, positions: list[int], capacities: Mapping[str, int]
) -> tuple[list[int], list[str]]:
    """The walk itself: the positions of the entries placed, and their slot codes."""
    remaining = dict(capacities)
    open_slots = sum(1 for places in remaining.values() if places)
    placed: list[int] = []
    taken: list[str] = []
    if not open_slots:
        return placed, taken
    place, take = placed.append, taken.append
    parties, choices = columns.parties, columns.choices
    for i in positions:
        party = parties[i]
        for slot in choices[i]:
            places = remaining[slot]
            if places >= party:
                remaining[slot] = places - party
                place(i)
                take(slot)
                if places == party:
                    open_slots -= 1
                    if not open_slots:
                        # Every slot is full: no later entry can be placed, however small.
                        return placed, taken
                break
    return placed, taken


def _compare(field: str, derived: list[Any], found: object) -> None:
    if derived == found:
        return
    if not isinstance(found, list):
        raise RecordError(field, f"{field} must be a list")
    for position, (expected, given) in enumerate(zip(derived, found, strict=False), start=1):
        if expected != given:
            raise RecordError(
                field,
                f"{field} differs from the derived {field} at position {position}: "
                f"expected {_show(expected)}, found {_show(given)}",
            )
    raise RecordError(field, f"{field} has {len(found)} items, the draw derives {len(derived)}")


def _show(value: object) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, sort_keys=True, default=repr)
