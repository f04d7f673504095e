"""The draw at scale: the rule of ``draw_rule.py``, computed fast.

``draw_rule.py`` is the rule of ``docs/spec/draw.md`` (``tourdraw-draw/2``) and
``draw-v1.md`` (``/1``) as the spec reads, and every verifier uses it. The
platform draws with :func:`draw` and :func:`draw_v2` here: they return the
records ``draw_rule.draw`` and ``draw_rule.draw_v2`` return, byte for byte (the
tests hold them equal on random rounds, broken inputs included), at about the
cost of a bare hash-sort-walk loop (``docs/performance.md``). Everything in
this module is for speed only: the checks that name a broken rule, the
statements' and the record's, are the rule's own, and where an input may break
a rule the fast checks hand over to the rule, to name the first one broken.

Callers import the draw's names from here: the rule's public names are
re-exported, with :func:`verify` the rule's.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from itertools import chain, compress, islice, repeat
from operator import itemgetter, lt, ne
from typing import Any, Final

from tourdraw.lottery.draw_rule import (
    BEACON_MARGIN_SECONDS,
    CLOSING_FORMAT,
    FORMAT,
    FORMAT_V2,
    OPENING_FORMAT,
    PRIORITIES,
    Beacon,
    Derived,
    DrawError,
    DrawInputError,
    Entry,
    Placement,
    Record,
    RecordError,
    RecordV2,
    SealedCounts,
    Slot,
    Waitlist,
    canonical,
    check_beacon_text,
    check_chain,
    check_closing,
    check_entries,
    check_opening,
    check_options,
    check_sealed,
    check_secret,
    check_slots,
    check_statements,
    commitment_for,
    digest,
    entries_digest,
    is_timestamp,
    prepare,
    same,
    seed_for,
    seed_v2,
    timestamp_of,
    unix_time,
    v1_record,
    v2_header,
    v2_record,
    verify,
    verify_v2,
)

__all__ = [
    "BEACON_MARGIN_SECONDS",
    "CLOSING_FORMAT",
    "FORMAT",
    "FORMAT_V2",
    "OPENING_FORMAT",
    "PRIORITIES",
    "Beacon",
    "DrawError",
    "DrawInputError",
    "Entry",
    "Placement",
    "Record",
    "RecordError",
    "RecordV2",
    "Slot",
    "Waitlist",
    "canonical",
    "check_chain",
    "check_closing",
    "check_opening",
    "check_options",
    "commitment_for",
    "digest",
    "draw",
    "draw_v2",
    "entries_digest",
    "is_timestamp",
    "prepare",
    "same",
    "seed_for",
    "seed_v2",
    "timestamp_of",
    "unix_time",
    "verify",
    "verify_v2",
]

# The ticket numbers j of §3 as 4 big-endian bytes. Every entry holds ticket 0, so its
# number is appended to every code up front.
_COUNTERS: Final = tuple(j.to_bytes(4, "big") for j in range(100))
_TICKET_0: Final = _COUNTERS[0]
_ENTRY_FIELDS: Final = tuple(Entry.__annotations__)
_DIGEST_CHUNK: Final = 1 << 12
_NEXT_ENTRY: Final = ',{"choices":["'
# The ASCII characters json.dumps writes as they are: the printable ones, bar '"' and '\\'.
_AS_IS: Final = bytes(range(0x20, 0x7F)).replace(b'"', b"").replace(b"\\", b"")


def draw(
    round_code: str, secret: bytes, beacon: str, slots: list[Slot], entries: list[Entry]
) -> Record:
    """``draw_rule.draw``, fast: the ``tourdraw-draw/1`` record of the inputs.

    ``slots`` and ``entries`` must already be sorted and well formed (§2; see
    :func:`prepare`), otherwise :class:`DrawInputError` names the first broken
    rule. The record holds the lists it is given, not copies of their dicts.
    """
    check_secret(round_code, secret, "§1")
    check_beacon_text(beacon, DrawInputError)
    derived = _derive(slots, entries, lambda digest_: seed_for(secret, digest_, beacon))
    return v1_record(round_code, secret, beacon, slots, entries, derived)


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
    """``draw_rule.draw_v2``, fast: the ``tourdraw-draw/2`` record of the inputs.

    ``opening`` and ``closing`` are the published statements; ``beacon`` is the
    drand round fixed at open, ``{chain, round, signature, randomness}``; ``slots``
    and ``entries`` as :func:`draw` takes them, and exactly what the closing
    statement seals. Every rule of §4 that does not need the draw's output is
    checked first, so a record that would not hold is never made:
    :class:`DrawInputError` names the first broken rule. ``check_signature=False``
    leaves the BLS check out, for a caller that has just done it with
    ``drand.verify`` (about half a second of pure Python).
    """
    check_secret(round_code, secret, "§1.1")
    header = v2_header(round_code, secret, opening, closing, beacon, slots)
    check_statements(header, None, DrawInputError, check_signature)
    closing_digest = digest(closing)

    def sealed(columns: _Columns, entries_digest_: str) -> None:
        counts = SealedCounts(
            entries=len(columns.codes),
            persons=sum(columns.parties),
            max_tier=columns.max_tier,
            max_weight=columns.max_weight,
        )
        check_sealed(closing, opening["options"], counts, entries_digest_)

    derived = _derive(
        slots, entries, lambda _: seed_v2(secret, closing_digest, beacon["randomness"]), sealed
    )
    return v2_record(header, closing_digest, list(entries), derived)


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


def _derive(
    slots: object,
    entries: object,
    seed_of: Callable[[str], str],
    check: Callable[[_Columns, str], None] | None = None,
) -> Derived:
    """§2 and §3: ``seed_of`` makes the seed from the entries digest (it differs by
    format); ``check``, if given, sees the checked columns and their digest first."""
    digest, seed, order, placed, taken = _steps(slots, entries, seed_of, check)
    # The placements' dicts are made last, once the steps' big lists are gone: every
    # few hundred new dicts start a garbage collection, which would otherwise go
    # through each item of those lists.
    placements: list[Placement] = [
        {"entry": entry, "slot": slot} for entry, slot in zip(placed, taken, strict=True)
    ]
    return Derived(entries_digest=digest, seed=seed, order=order, placements=placements)


def _steps(
    slots: object,
    entries: object,
    seed_of: Callable[[str], str],
    check: Callable[[_Columns, str], None] | None,
) -> tuple[str, str, list[str], list[str], list[str]]:
    """Digest, seed, order, and the placements as entry codes and slot codes."""
    capacities = check_slots(slots)
    columns = _check_entries(entries, capacities)
    digest = _digest(columns, capacities)
    if check is not None:
        check(columns, digest)
    seed = seed_of(digest)
    positions = _order(columns, bytes.fromhex(seed))
    placed, taken = _walk(columns, positions, capacities)
    return digest, seed, list(map(columns.codes.__getitem__, positions)), placed, taken


def _check_entries(entries: object, capacities: Mapping[str, int]) -> _Columns:
    """§2's entry rules; the entries as columns."""
    if not isinstance(entries, list):
        raise DrawInputError("entries", "entries must be a list")
    columns = _fast_columns(entries, capacities)
    if columns is not None:
        return columns
    check_entries(entries, capacities.keys())
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
    """Every rule of ``draw_rule.check_entries`` at once, in C loops over columns.

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
            check_entries(columns.entries, capacities.keys())
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
