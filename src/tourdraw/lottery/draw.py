"""The draw of ``spec/draw.md`` (format ``tourdraw-draw/1``), in code.

This is the one place the draw rule lives: the project's draw, its published
records, the ``tourdraw verify`` command and the waitlist all come through
here. It uses the standard library only, so anyone can read it, copy it and
re-run a published record without the project.

Section numbers (§) refer to ``spec/draw.md``. A change to any rule here that
changes a byte of a record is a new format, not an edit.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
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
    """Check that a record holds (§4), or raise :class:`RecordError` for the first broken rule.

    Rules are checked in this order: format, top-level keys, header fields,
    slots, entries, commitment, entries_digest, seed, order, placements.
    """
    if not isinstance(record, dict):
        raise RecordError("record", "a record is a JSON object")
    if record.get("format") != FORMAT:
        raise RecordError("format", f"format must be {FORMAT!r}, found {record.get('format')!r}")
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


def next_promotions(
    record: Record,
    slot: str,
    free_places: int,
    placed: AbstractSet[str],
    offered_before: AbstractSet[str],
) -> list[str]:
    """§5 for a single call; build a :class:`Waitlist` once when promoting repeatedly."""
    return Waitlist.from_record(record).next_promotions(slot, free_places, placed, offered_before)


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
    max_weight: int
    # The codes joined by '"': the tickets are laid out from it, and it says that the
    # digest's text can be laid out from the columns. None when the entries were
    # checked one by one, as some code or slot code may need escaping in JSON:
    # json.dumps writes the digest's text then.
    codes_text: str | None


def _derive(secret: bytes, beacon: str, slots: object, entries: object) -> _Derived:
    digest, seed, order, placed, taken = _steps(secret, beacon, slots, entries)
    # The placements' dicts are made last, once the steps' big lists are gone: every
    # few hundred new dicts start a garbage collection, which would otherwise go
    # through each item of those lists.
    placements: list[Placement] = [
        {"entry": entry, "slot": slot} for entry, slot in zip(placed, taken, strict=True)
    ]
    return _Derived(entries_digest=digest, seed=seed, order=order, placements=placements)


def _steps(
    secret: bytes, beacon: str, slots: object, entries: object
) -> tuple[str, str, list[str], list[str], list[str]]:
    """Digest, seed, order, and the placements as entry codes and slot codes."""
    capacities = _check_slots(slots)
    columns = _check_entries(entries, capacities)
    digest = _digest(columns, capacities)
    seed = seed_for(secret, digest, beacon)
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
