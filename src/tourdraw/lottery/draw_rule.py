"""The draw rule of ``docs/spec/draw.md`` (``tourdraw-draw/2``) and ``draw-v1.md``, as written.

Hold this module beside the spec: it follows the spec's sections in their
order, and each function names the section (§) it implements, in ``draw.md``
unless it says ``draw-v1.md``. It is the reference: written to be plainly
right, with no care for speed. Every verifier uses it (``tourdraw verify``,
``tourdraw audit``, ``draw.verify``); the platform's draw at scale runs the
fast path of ``draw.py``, which the tests hold equal to :func:`draw` and
:func:`draw_v2` here, record for record, on random rounds.

It uses the standard library only, so anyone can read it, copy it and re-run a
published record without the project; the BLS check goes through ``drand.py``,
imported only when needed. A change to any rule here that changes a byte of a
record is a new format, not an edit.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from datetime import UTC, datetime
from operator import itemgetter
from typing import Any, Final, NamedTuple, TypedDict

FORMAT: Final = "tourdraw-draw/1"
FORMAT_V2: Final = "tourdraw-draw/2"
OPENING_FORMAT: Final = "tourdraw-opening/2"
CLOSING_FORMAT: Final = "tourdraw-closing/2"
PRIORITIES: Final = ("none", "minors")
# The beacon round is the first at or after the close plus this margin (§1.2).
BEACON_MARGIN_SECONDS: Final = 600


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
    """The published record of ``draw-v1.md`` §4, keys in the spec's order."""

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


class DrawError(ValueError):
    """A broken rule: ``rule`` is a short stable name, the message says where and how."""

    def __init__(self, rule: str, message: str) -> None:
        super().__init__(message)
        self.rule = rule


class DrawInputError(DrawError):
    """The inputs given to a draw break a rule of §2."""


class RecordError(DrawError):
    """A record that does not hold (§4); ``rule`` is the first rule it breaks."""


class Derived(NamedTuple):
    """What §2 and §3 derive from the inputs: the record's last four fields."""

    entries_digest: str
    seed: str
    order: list[str]
    placements: list[Placement]


_RECORD_KEYS: Final = tuple(Record.__annotations__)
_RECORD_V2_KEYS: Final = tuple(RecordV2.__annotations__)
_SLOT_KEYS: Final = frozenset(Slot.__annotations__)
_ENTRY_KEYS: Final = frozenset(Entry.__annotations__)
_BEACON_KEYS: Final = tuple(Beacon.__annotations__)
_OPENING_KEYS: Final = (
    "format", "round", "commitment", "opened_at", "closes_at", "options", "beacon",
)  # fmt: skip
_OPENING_BEACON_KEYS: Final = ("chain", "round", "time")
_CLOSING_KEYS: Final = (
    "format", "round", "commitment", "opening_digest", "closed_at", "entries", "persons",
    "entries_digest", "slots", "options", "beacon",
)  # fmt: skip
_CLOSING_SLOT_KEYS: Final = ("code", "capacity", "reserved")
_CLOSING_BEACON_KEYS: Final = ("chain_hash", "round")
_OPTION_KEYS: Final = ("priority", "repeat_weight_days", "repeat_weight_cap")
_CHAIN_KEYS: Final = ("name", "hash", "public_key", "period", "genesis_time", "scheme")
_HEX64: Final = re.compile(r"[0-9a-f]{64}")
_HEX96: Final = re.compile(r"[0-9a-f]{96}")
_HEX192: Final = re.compile(r"[0-9a-f]{192}")
_TIMESTAMP: Final = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z")
_TIMESTAMP_FORMAT: Final = "%Y-%m-%dT%H:%M:%SZ"
_NATURAL: Final = "natural"  # a whole number >= 0
_POSITIVE: Final = "positive"  # a whole number >= 1


# §0. Conventions


def canonical(obj: object) -> bytes:
    """§0 canonical JSON: sorted keys, no whitespace, ASCII only."""
    text = json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return text.encode("ascii")


def digest(obj: object) -> str:
    """§0 digest: the name of a published object, ``sha256(canonical(obj))`` as hex."""
    return hashlib.sha256(canonical(obj)).hexdigest()


def same(a: object, b: object) -> bool:
    """Equal as published: the same canonical JSON (so 1, 1.0 and true all differ)."""
    try:
        return canonical(a) == canonical(b)
    except (TypeError, ValueError):
        return False


def is_timestamp(value: object) -> bool:
    """§0: is ``value`` a timestamp, ``YYYY-MM-DDTHH:MM:SSZ``, a real UTC time?"""
    if not isinstance(value, str) or not _TIMESTAMP.fullmatch(value):
        return False
    try:
        unix_time(value)
    except ValueError:
        return False
    return True


def unix_time(text: str) -> int:
    """§0 ``unix(t)``: a timestamp as Unix seconds."""
    moment = datetime.strptime(text, _TIMESTAMP_FORMAT).replace(tzinfo=UTC)
    return int(moment.timestamp())


def timestamp_of(seconds: int) -> str:
    """Unix seconds as a timestamp (years 1 to 9999; others cannot be one)."""
    try:
        return datetime.fromtimestamp(seconds, UTC).strftime(_TIMESTAMP_FORMAT)
    except (OverflowError, ValueError, OSError):
        return f"(no timestamp: {seconds} s after 1970)"


def _exact_keys(
    obj: dict[str, Any], keys: Sequence[str], rule: str, where: str, error: type[DrawError]
) -> None:
    """§0 "exactly the keys": none missing, no other."""
    if set(obj) != set(keys):
        missing = sorted(set(keys) - set(obj))
        extra = sorted(set(obj) - set(keys), key=str)
        raise error(rule, f"{where}: missing keys {missing}, unexpected keys {extra}")


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


# §1. When the round opens: the opening statement


def commitment_for(secret: bytes) -> str:
    """§1.1 the commitment, published before the round opens: ``sha256(secret)``."""
    return hashlib.sha256(secret).hexdigest()


def fixed_beacon_round(closes_at: str, chain: Mapping[str, Any]) -> int:
    """§1.2 ``R``: the first drand round at or after the announced close plus 600 s."""
    due = unix_time(closes_at) + BEACON_MARGIN_SECONDS
    return max(1, -(-(due - chain["genesis_time"]) // chain["period"]) + 1)


def check_chain(chain: object, error: type[DrawError] = RecordError) -> None:
    """§1.3 a drand chain's form; that it is the right chain is the reader's call."""
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


def check_options(options: object, error: type[DrawError] = RecordError) -> None:
    """§1.4 the fairness options."""
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


def check_opening(opening: object, error: type[DrawError] = RecordError) -> None:
    """§1.5 (§4 rule 6) the opening statement's own rules: format, keys, each field's form."""
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


# §2. When the round closes: the inputs and the closing statement


def prepare(
    slots: Iterable[Mapping[str, Any]], entries: Iterable[Mapping[str, Any]]
) -> tuple[list[Slot], list[Entry]]:
    """§2 slots and entries as a draw takes them: sorted by code, exactly the keys.

    Values are copied as they are; the draw is the one that checks them.
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


def check_slots(slots: object) -> dict[str, int]:
    """§2 slot rules (§4 rule 23), slot by slot, then their order; the capacities by code."""
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
    check_sorted("slots", codes)
    return {slot["code"]: slot["capacity"] for slot in slots}


def check_sorted(what: str, codes: list[str]) -> None:
    """§2: codes rise strictly, sorted by code point and unique; names the first pair that
    does not."""
    for i in range(1, len(codes)):
        if codes[i - 1] == codes[i]:
            raise DrawInputError(f"{what}_unique", f"{what}[{i}]: code {codes[i]} appears twice")
        if not codes[i - 1] < codes[i]:
            raise DrawInputError(
                f"{what}_sorted",
                f"{what}[{i}]: code {codes[i]} comes after {codes[i - 1]}, not before",
            )


def check_entries(entries: object, slot_codes: AbstractSet[str]) -> None:
    """§2 entry rules (§4 rule 24): each entry's form, then their order, then the choices."""
    if not isinstance(entries, list):
        raise DrawInputError("entries", "entries must be a list")
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
    check_sorted("entries", [entry["code"] for entry in entries])
    for i, entry in enumerate(entries):
        where = f"entries[{i}] ({entry['code']})"
        choices = entry["choices"]
        if len(set(choices)) != len(choices):
            raise DrawInputError(
                "entry_choice_repeated", f"{where}: a slot is listed twice in {choices}"
            )
        for choice in choices:
            if choice not in slot_codes:
                raise DrawInputError(
                    "entry_choice_unknown", f"{where}: choice {choice} is not a slot of the round"
                )


def entries_digest(entries: Sequence[Entry]) -> str:
    """§2 ``entries_digest = digest(entries)``."""
    return digest(entries)


def check_closing(closing: object, error: type[DrawError] = RecordError) -> None:
    """§2 (§4 rule 7) the closing statement's own rules: format, keys, each field's form."""
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
    for i, slot in enumerate(closing["slots"]):
        if not isinstance(slot, dict):
            raise error("closing_keys", f"closing slots[{i}] must be an object")
        _exact_keys(slot, _CLOSING_SLOT_KEYS, "closing_keys", f"closing slots[{i}]", error)
        fields = {"code": str, "capacity": _NATURAL, "reserved": _NATURAL}
        _check_fields(f"closing slots[{i}]", slot, fields, error, rule="closing")
    check_options(closing["options"], error)
    beacon = closing["beacon"]
    if not isinstance(beacon, dict):
        raise error("closing_keys", "the closing statement's beacon must be an object")
    _exact_keys(beacon, _CLOSING_BEACON_KEYS, "closing_keys", "the closing's beacon", error)
    _check_fields("closing", beacon, {"chain_hash": _HEX64, "round": _POSITIVE}, error)


# §3. The draw


def seed_for(secret: bytes, entries_digest: str, beacon: str) -> str:
    """``draw-v1.md`` §3 the seed: ``sha256("tourdraw-draw/1\\n" + secret + digest + beacon)``."""
    message = FORMAT.encode("ascii") + b"\n" + secret + bytes.fromhex(entries_digest)
    return hashlib.sha256(message + beacon.encode("utf-8")).hexdigest()


def seed_v2(secret: bytes, closing_digest: str, randomness: str) -> str:
    """§3 the seed: ``sha256("tourdraw-draw/2\\n" + secret + closing_digest + randomness)``."""
    message = FORMAT_V2.encode("ascii") + b"\n" + secret + bytes.fromhex(closing_digest)
    return hashlib.sha256(message + bytes.fromhex(randomness)).hexdigest()


def ticket_key(seed: str, entry: Entry) -> bytes:
    """§3 an entry's key: the smallest hash of its ``weight`` tickets."""
    return min(
        hashlib.sha256(
            bytes.fromhex(seed) + entry["code"].encode("ascii") + j.to_bytes(4, "big")
        ).digest()
        for j in range(entry["weight"])
    )


def draw_order(seed: str, entries: list[Entry]) -> list[Entry]:
    """§3 ``order``: the entries sorted by ``(tier, key, code)``."""
    return sorted(
        entries, key=lambda entry: (entry["tier"], ticket_key(seed, entry), entry["code"])
    )


def allocate(ordered: list[Entry], slots: list[Slot]) -> list[Placement]:
    """§3 the allocation: one walk down the order; each entry takes the first of its
    choices with room for its whole party, or nothing."""
    remaining = {slot["code"]: slot["capacity"] for slot in slots}
    placements: list[Placement] = []
    for entry in ordered:
        for choice in entry["choices"]:
            if remaining[choice] >= entry["party"]:
                remaining[choice] -= entry["party"]
                placements.append({"entry": entry["code"], "slot": choice})
                break
    return placements


def derive(
    slots: object,
    entries: object,
    seed_of: Callable[[str], str],
    sealed: Callable[[list[Entry], str], None] | None = None,
) -> Derived:
    """§2 and §3 from the inputs: check them, digest, seed, order, placements.

    ``seed_of`` makes the seed from the entries digest (it differs by format);
    ``sealed``, if given, checks the checked entries and their digest first.
    """
    slot_codes = check_slots(slots).keys()
    check_entries(entries, slot_codes)
    assert isinstance(slots, list) and isinstance(entries, list)
    entries_digest_ = entries_digest(entries)
    if sealed is not None:
        sealed(entries, entries_digest_)
    seed = seed_of(entries_digest_)
    ordered = draw_order(seed, entries)
    return Derived(
        entries_digest=entries_digest_,
        seed=seed,
        order=[entry["code"] for entry in ordered],
        placements=allocate(ordered, slots),
    )


def check_secret(round_code: object, secret: object, section: str) -> None:
    """What a draw is given besides the inputs: a round code, a 32-byte secret."""
    if not isinstance(round_code, str):
        raise DrawInputError("round", "the round code must be a string")
    if not isinstance(secret, bytes) or len(secret) != 32:
        raise DrawInputError("secret", f"the secret must be 32 bytes ({section})")


def check_beacon_text(beacon: object, error: type[DrawError]) -> None:
    """``draw-v1.md`` §3: the beacon is text, with UTF-8 bytes to seed with."""
    if not isinstance(beacon, str):
        raise error("beacon", "the beacon must be a string")
    try:
        beacon.encode("utf-8")
    except UnicodeEncodeError:
        # A lone surrogate survives JSON parsing but has no UTF-8 bytes to seed with.
        raise error("beacon", "the beacon must be valid Unicode text") from None


def draw(
    round_code: str, secret: bytes, beacon: str, slots: list[Slot], entries: list[Entry]
) -> Record:
    """``draw-v1.md`` §3: run the draw and return the record of §4."""
    check_secret(round_code, secret, "§1")
    check_beacon_text(beacon, DrawInputError)
    derived = derive(slots, entries, lambda digest_: seed_for(secret, digest_, beacon))
    return v1_record(round_code, secret, beacon, slots, entries, derived)


def v1_record(
    round_code: str,
    secret: bytes,
    beacon: str,
    slots: list[Slot],
    entries: list[Entry],
    derived: Derived,
) -> Record:
    """``draw-v1.md`` §4 the record, keys in the spec's order."""
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
    """§3: run the draw and return the ``tourdraw-draw/2`` record of §4.

    Every rule of §4 that does not need the draw's output is checked first, so
    a record that would not hold is never made. ``check_signature=False`` leaves
    the BLS check out, for a caller that has just done it.
    """
    check_secret(round_code, secret, "§1.1")
    header = v2_header(round_code, secret, opening, closing, beacon, slots)
    check_statements(header, None, DrawInputError, check_signature)
    closing_digest = digest(closing)
    derived = derive(
        slots,
        entries,
        lambda _: seed_v2(secret, closing_digest, beacon["randomness"]),
        lambda checked, entries_digest_: check_sealed(
            closing, opening["options"], sealed_counts(checked), entries_digest_
        ),
    )
    return v2_record(header, closing_digest, list(entries), derived)


def v2_header(
    round_code: str,
    secret: bytes,
    opening: dict[str, Any],
    closing: dict[str, Any],
    beacon: Beacon,
    slots: list[Slot],
) -> dict[str, Any]:
    """The fields of a ``tourdraw-draw/2`` record that :func:`check_statements` reads."""
    return {
        "format": FORMAT_V2,
        "round": round_code,
        "commitment": commitment_for(secret),
        "secret": secret.hex(),
        "opening": opening,
        "closing": closing,
        "beacon": beacon,
        "slots": slots,
    }


def v2_record(
    header: dict[str, Any], closing_digest: str, entries: list[Entry], derived: Derived
) -> RecordV2:
    """§4 the ``tourdraw-draw/2`` record, keys in the spec's order."""
    return {
        "format": FORMAT_V2,
        "round": header["round"],
        "commitment": header["commitment"],
        "secret": header["secret"],
        "opening": header["opening"],
        "closing": header["closing"],
        "closing_digest": closing_digest,
        "beacon": header["beacon"],
        "slots": list(header["slots"]),
        "entries": entries,
        "entries_digest": derived.entries_digest,
        "seed": derived.seed,
        "order": derived.order,
        "placements": derived.placements,
    }


# §4. The published record, and when it holds


def verify(record: object) -> None:
    """Check that a record holds, or raise :class:`RecordError` for the first broken rule.

    ``tourdraw-draw/2`` records follow the ordered rules of §4 (:func:`verify_v2`);
    ``tourdraw-draw/1`` records ``draw-v1.md`` §4: format, top-level keys, header
    fields, slots, entries, commitment, entries_digest, seed, order, placements.
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
    _check_header(record, ("commitment", "secret", "entries_digest", "seed"))
    check_beacon_text(record["beacon"], RecordError)
    secret = bytes.fromhex(record["secret"])
    try:
        derived = derive(
            record["slots"],
            record["entries"],
            lambda digest_: seed_for(secret, digest_, record["beacon"]),
        )
    except DrawInputError as error:
        raise RecordError(error.rule, str(error)) from None
    commitment = commitment_for(secret)
    if commitment != record["commitment"]:
        raise RecordError(
            "commitment",
            f"sha256(secret) is {commitment}, the commitment is {record['commitment']}",
        )
    check_derived(record, derived)


def verify_v2(record: dict[str, Any], *, check_signature: bool = True) -> None:
    """Check a ``tourdraw-draw/2`` record (§4), or raise :class:`RecordError` for the
    first broken rule, in the order §4 lists them."""
    if record.get("format") != FORMAT_V2:
        raise RecordError("format", f"format must be {FORMAT_V2!r}")
    _exact_keys(record, _RECORD_V2_KEYS, "keys", "the record", RecordError)
    _check_header(record, ("commitment", "secret", "closing_digest", "entries_digest", "seed"))
    check_statements(record, record["closing_digest"], RecordError, check_signature)
    secret = bytes.fromhex(record["secret"])
    closing, options = record["closing"], record["opening"]["options"]
    try:
        derived = derive(
            record["slots"],
            record["entries"],
            lambda _: seed_v2(secret, record["closing_digest"], record["beacon"]["randomness"]),
            lambda checked, entries_digest_: check_sealed(
                closing, options, sealed_counts(checked), entries_digest_
            ),
        )
    except DrawInputError as error:
        raise RecordError(error.rule, str(error)) from None
    check_derived(record, derived)


def _check_header(record: dict[str, Any], hex_fields: Sequence[str]) -> None:
    """§4 rules 4 and 5: ``round`` a string, the hex64 fields."""
    if not isinstance(record["round"], str):
        raise RecordError("round", "round must be a string")
    for field in hex_fields:
        value = record[field]
        if not isinstance(value, str) or not _HEX64.fullmatch(value):
            raise RecordError(f"{field}_hex", f"{field} must be 64 lowercase hex digits")


def check_statements(
    record: dict[str, Any],
    closing_digest: str | None,
    error: type[DrawError],
    check_signature: bool,
) -> None:
    """§4 rules 6 to 22: the statements, how they link, the beacon, the slots.

    ``closing_digest`` is the record's (rule 14), None for a draw that makes it.
    """
    check_opening(record["opening"], error)
    check_closing(record["closing"], error)
    _check_beacon_form(record["beacon"], error)
    _check_links(record, closing_digest, error)
    _check_beacon(record, error, check_signature)
    closing_slots = [
        {"code": slot["code"], "capacity": slot["capacity"]} for slot in record["closing"]["slots"]
    ]
    if not same(record["slots"], closing_slots):
        raise error("slots", "the slots differ from the closing statement's codes and capacities")


def _check_beacon_form(beacon: object, error: type[DrawError]) -> None:
    """§4 rule 8: the beacon's form."""
    if not isinstance(beacon, dict):
        raise error("beacon_keys", "the beacon must be an object")
    _exact_keys(beacon, _BEACON_KEYS, "beacon_keys", "the beacon", error)
    check_chain(beacon["chain"], error)
    forms = {"round": _POSITIVE, "signature": _HEX96, "randomness": _HEX64}
    _check_fields("beacon", beacon, forms, error, rule="beacon")


def _check_links(
    record: dict[str, Any], closing_digest: str | None, error: type[DrawError]
) -> None:
    """§4 rules 9 to 15: how the record and its statements link."""
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


def _check_beacon(record: dict[str, Any], error: type[DrawError], check: bool) -> None:
    """§4 rules 16 to 21: the beacon is the round fixed at open, published after the close."""
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
    first = fixed_beacon_round(opening["closes_at"], fixed["chain"])
    if number != first:
        raise error(
            "beacon_round_fixed",
            f"the first round at or after closes_at + {BEACON_MARGIN_SECONDS} s is {first}, "
            f"not {number}",
        )
    published = drand.round_time(drand.Chain(**fixed["chain"]), number)
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
    """§1.3 the BLS check (``drand.verify``), remembered: a pairing check costs half a
    second of pure Python, and only checks that pass are kept."""
    from tourdraw.lottery import drand

    drand.verify(drand.Chain(**json.loads(chain_text)), number, signature)


class SealedCounts(NamedTuple):
    """What §4 rules 25 to 28 read of the checked entries."""

    entries: int
    persons: int
    max_tier: int
    max_weight: int


def sealed_counts(entries: list[Entry]) -> SealedCounts:
    """The counts of :class:`SealedCounts`, read entry by entry."""
    return SealedCounts(
        entries=len(entries),
        persons=sum(entry["party"] for entry in entries),
        max_tier=max((entry["tier"] for entry in entries), default=0),
        max_weight=max((entry["weight"] for entry in entries), default=1),
    )


def check_sealed(
    closing: dict[str, Any], options: dict[str, Any], counts: SealedCounts, entries_digest: str
) -> None:
    """§4 rules 25 to 29: the entries are the ones the closing statement sealed."""
    if counts.entries != closing["entries"]:
        raise DrawInputError(
            "closing_entries",
            f"{counts.entries} entries, the closing statement says {closing['entries']}",
        )
    if counts.persons != closing["persons"]:
        raise DrawInputError(
            "closing_persons",
            f"the entries seat {counts.persons} persons, the closing statement says "
            f"{closing['persons']}",
        )
    top_tier = 0 if options["priority"] == "none" else 1
    if counts.max_tier > top_tier:
        raise DrawInputError(
            "tiers", f"with priority {options['priority']!r}, tiers go up to {top_tier}"
        )
    cap = 1 if options["repeat_weight_days"] == 0 else options["repeat_weight_cap"]
    if counts.max_weight > cap:
        raise DrawInputError("weights", f"these options allow at most {cap} tickets an entry")
    if entries_digest != closing["entries_digest"]:
        raise DrawInputError(
            "entries_digest",
            f"the entries' digest is {entries_digest}, the closing statement sealed "
            f"{closing['entries_digest']}",
        )


def check_derived(record: dict[str, Any], derived: Derived) -> None:
    """§4 rules 30 to 33: ``entries_digest``, ``seed``, ``order`` and ``placements`` are
    what §2 and §3 derive."""
    for field, value in (("entries_digest", derived.entries_digest), ("seed", derived.seed)):
        if value != record[field]:
            raise RecordError(field, f"{field} is {record[field]}, the spec derives {value}")
    _compare("order", derived.order, record["order"])
    _compare("placements", derived.placements, record["placements"])


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


# §5. After the draw: offers and the waitlist


class Waitlist:
    """§5.1 who gets places freed in a slot after the draw.

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
        """The entry codes that get ``free_places`` freed in ``slot``, in promotion order."""
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
