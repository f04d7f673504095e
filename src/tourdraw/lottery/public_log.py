"""The public log (``docs/spec/draw.md`` §7) and receipts (§6), checked without Django.

Anyone holding the platform's log, a round's record and perhaps a receipt can
run these checks; ``tourdraw verify --log``, ``--receipt`` and ``tourdraw
audit`` are thin around them. Only the standard library is needed, plus
``cryptography`` for Ed25519, imported where a signature is checked.

Every failure is a :class:`LogError` naming the rule broken and, where there is
one, the log entry (``seq``) and the round.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from tourdraw.lottery import draw

LOG_FORMAT: Final = "tourdraw-log/2"
RECEIPT_FORMAT: Final = "tourdraw-receipt/2"
GENESIS: Final = "0" * 64
KINDS: Final = ("opening", "closing", "beacon", "draw", "release")
# A round's entries come in this order: the statements, the beacon, the draw, then releases.
_STAGE: Final = {kind: stage for stage, kind in enumerate(KINDS)}
_LOG_KEYS: Final = ("format", "key", "entries")
_KEY_KEYS: Final = ("id", "algorithm", "public_key")
_ENTRY_KEYS: Final = ("seq", "prev", "time", "kind", "round", "body", "hash", "signature")
_HASHED_KEYS: Final = ("seq", "prev", "time", "kind", "round", "body")
_BEACON_KEYS: Final = ("chain_hash", "round", "signature", "randomness")
_DRAW_KEYS: Final = ("record_digest", "record", "entries", "placed")
_RELEASE_KEYS: Final = ("slot", "entry", "persons", "reason", "waitlist_open", "promotions")
_RECEIPT_KEYS: Final = (
    "format", "round", "entry", "party", "tier", "weight", "choices_digest", "time", "key",
    "signature",
)  # fmt: skip
_HEX64: Final = re.compile(r"[0-9a-f]{64}")
_HEX128: Final = re.compile(r"[0-9a-f]{128}")


class LogError(ValueError):
    """A broken rule of §6 or §7: ``rule`` is a short stable name."""

    def __init__(
        self, rule: str, message: str, *, seq: int | None = None, round: str | None = None
    ) -> None:
        super().__init__(message)
        self.rule = rule
        self.seq = seq
        self.round = round

    def where(self) -> str:
        """Which log entry and round, for a reader: ``seq 7, round X`` or ``""``."""
        parts = [f"seq {self.seq}" if self.seq is not None else ""]
        parts.append(f"round {self.round}" if self.round is not None else "")
        return ", ".join(part for part in parts if part)


@dataclass
class RoundLog:
    """One round's entries in the log."""

    round: str
    opening: dict[str, Any] | None = None
    closing: dict[str, Any] | None = None
    beacon: dict[str, Any] | None = None
    draw: dict[str, Any] | None = None
    releases: list[dict[str, Any]] = field(default_factory=list)

    def stage(self) -> str:
        """How far the round has come, as the log shows it."""
        for kind in ("draw", "beacon", "closing", "opening"):
            if getattr(self, kind) is not None:
                return {"opening": "opened", "closing": "closed"}.get(kind, kind)
        return "unknown"


def entry_hash(entry: Mapping[str, Any]) -> str:
    """An entry's hash: the digest of its six hashed fields (§7.2)."""
    return draw.digest({key: entry[key] for key in _HASHED_KEYS})


def key_bytes(key: object) -> bytes:
    """The Ed25519 public key of a key document ``{id, algorithm, public_key}``."""
    if not isinstance(key, dict) or set(key) != set(_KEY_KEYS):
        raise LogError("log_key", f"a key is an object with exactly the keys {list(_KEY_KEYS)}")
    if key["algorithm"] != "Ed25519" or not isinstance(key["id"], str):
        raise LogError("log_key", "a key's algorithm must be Ed25519 and its id a string")
    if not isinstance(key["public_key"], str) or not _HEX64.fullmatch(key["public_key"]):
        raise LogError("log_key", "a key's public_key must be 32 bytes of lowercase hex")
    return bytes.fromhex(key["public_key"])


def signature_holds(public_key: bytes, signature: object, message: bytes) -> bool:
    """Ed25519: is ``signature`` (hex) the key's signature of ``message``?"""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    if not isinstance(signature, str) or not _HEX128.fullmatch(signature):
        return False
    try:
        Ed25519PublicKey.from_public_bytes(public_key).verify(bytes.fromhex(signature), message)
    except (InvalidSignature, ValueError):
        return False
    return True


def check_log(log: object, public_key: bytes | None = None) -> dict[str, RoundLog]:
    """Check the whole log (§7): form, chain of hashes, signatures, and each round's
    entries in order. ``public_key``, when given (the well-known key, or one the
    reader trusts), must be the log's. Returns the rounds, by code."""
    if not isinstance(log, dict) or log.get("format") != LOG_FORMAT:
        raise LogError("log_format", f"a log is an object with format {LOG_FORMAT}")
    if set(log) != set(_LOG_KEYS):
        raise LogError("log_format", f"a log has exactly the keys {list(_LOG_KEYS)}")
    key = key_bytes(log["key"])
    if public_key is not None and key != public_key:
        raise LogError("log_key", "the log is signed with another key than the one given")
    if not isinstance(log["entries"], list):
        raise LogError("log_format", "the log's entries must be a list")
    rounds: dict[str, RoundLog] = {}
    prev = GENESIS
    for seq, entry in enumerate(log["entries"], start=1):
        _check_entry(entry, seq, prev, key)
        prev = entry["hash"]
        try:
            _file(rounds.setdefault(entry["round"], RoundLog(entry["round"])), entry)
        except (LogError, draw.RecordError) as error:
            raise LogError(error.rule, str(error), seq=seq, round=entry["round"]) from None
    return rounds


def _check_entry(entry: object, seq: int, prev: str, key: bytes) -> None:
    """§7.2 for one entry: its form, its place in the chain, its hash and signature."""

    def fail(rule: str, message: str) -> LogError:
        round = entry.get("round") if isinstance(entry, dict) else None
        return LogError(rule, message, seq=seq, round=round if isinstance(round, str) else None)

    if not isinstance(entry, dict) or set(entry) != set(_ENTRY_KEYS):
        raise fail("log_entry", f"an entry has exactly the keys {list(_ENTRY_KEYS)}")
    if type(entry["seq"]) is not int or entry["seq"] != seq:
        raise fail("log_seq", f"entry {seq} of the log says seq {entry['seq']!r}")
    if entry["prev"] != prev:
        raise fail("log_prev", f"prev must be the hash of the entry before it, {prev}")
    if not draw.is_timestamp(entry["time"]):
        raise fail("log_entry", "time must be YYYY-MM-DDTHH:MM:SSZ")
    if entry["kind"] not in KINDS or not isinstance(entry["round"], str):
        raise fail("log_entry", f"kind must be one of {list(KINDS)} and round a string")
    if not isinstance(entry["body"], dict):
        raise fail("log_entry", "body must be an object")
    expected = entry_hash(entry)
    if entry["hash"] != expected:
        raise fail(
            "log_hash", f"the entry's hash is {entry['hash']!r}, its fields hash to {expected}"
        )
    if not signature_holds(key, entry["signature"], bytes.fromhex(expected)):
        raise fail("log_signature", "the signature is not the log key's signature of the hash")


def _file(round_log: RoundLog, entry: dict[str, Any]) -> None:
    """Put an entry in its round, checking its body and that it comes in order (§7.3)."""
    kind, body = entry["kind"], entry["body"]
    latest = max((_STAGE[k] for k in KINDS[:4] if getattr(round_log, k) is not None), default=-1)
    if kind != "release" and getattr(round_log, kind) is not None:
        raise LogError("log_duplicate", f"a second {kind} entry for the round")
    if _STAGE[kind] != min(latest + 1, _STAGE["release"]) and not (
        kind == "release" and latest == _STAGE["draw"]
    ):
        raise LogError("log_order", f"a {kind} entry before the round's {KINDS[latest + 1]}")
    if kind == "opening":
        draw.check_opening(body)
    elif kind == "closing":
        draw.check_closing(body)
    else:
        keys = {"beacon": _BEACON_KEYS, "draw": _DRAW_KEYS, "release": _RELEASE_KEYS}[kind]
        if set(body) != set(keys):
            raise LogError(f"log_{kind}", f"a {kind} body has exactly the keys {list(keys)}")
    if kind in ("opening", "closing") and body["round"] != round_log.round:
        raise LogError("log_round", f"the {kind} statement is for round {body['round']!r}")
    if kind == "release":
        round_log.releases.append(entry)
    else:
        setattr(round_log, kind, entry)


def check_round(round_log: RoundLog, *, check_signature: bool = True) -> None:
    """What the log alone says of a round, drawn or not (§7.3): the closing names
    the opening, and the beacon is the round fixed at open, signed by its chain."""
    where = {"round": round_log.round}
    if round_log.opening is None:
        return
    opening = round_log.opening["body"]
    closing = round_log.closing
    if closing is not None and closing["body"]["opening_digest"] != draw.digest(opening):
        raise LogError(
            "opening_digest",
            "the logged closing statement does not name the logged opening statement",
            seq=closing["seq"],
            **where,
        )
    beacon = round_log.beacon
    if beacon is None:
        return
    fixed, body = opening["beacon"], beacon["body"]
    if body["chain_hash"] != fixed["chain"]["hash"] or body["round"] != fixed["round"]:
        raise LogError(
            "log_beacon",
            f"the logged beacon is not chain {fixed['chain']['hash']} round {fixed['round']}, "
            "fixed at open",
            seq=beacon["seq"],
            **where,
        )
    if check_signature:
        from tourdraw.lottery import drand

        try:
            randomness = drand.verify(
                drand.Chain(**fixed["chain"]), fixed["round"], body["signature"]
            )
        except drand.BeaconError as error:
            raise LogError("beacon_signature", str(error), seq=beacon["seq"], **where) from None
        if body["randomness"] != randomness:
            raise LogError(
                "beacon_randomness",
                "the randomness is not sha256 of the signature",
                seq=beacon["seq"],
                **where,
            )


def check_record(round_log: RoundLog, record: object) -> None:
    """A record against the log (§7.4): it holds, its statements and beacon are the
    ones logged, its digest is the draw entry's, and every release replays by §5."""
    try:
        draw.verify(record)
    except draw.RecordError as error:
        raise LogError(
            error.rule, f"the record does not hold: {error}", round=round_log.round
        ) from None
    assert isinstance(record, dict)
    if record["format"] != draw.FORMAT_V2:
        raise LogError("log_record_format", "only tourdraw-draw/2 records are in a public log")
    beacon = record["beacon"]
    logged = {
        "opening": record["opening"],
        "closing": record["closing"],
        "beacon": {
            "chain_hash": beacon["chain"]["hash"],
            "round": beacon["round"],
            "signature": beacon["signature"],
            "randomness": beacon["randomness"],
        },
    }
    for kind, body in logged.items():
        entry = getattr(round_log, kind)
        if entry is None:
            raise LogError(f"log_{kind}", f"the log has no {kind} entry", round=round_log.round)
        if not draw.same(entry["body"], body):
            raise LogError(
                f"log_{kind}",
                f"the record's {kind} differs from the one logged",
                seq=entry["seq"],
                round=round_log.round,
            )
    _check_draw_entry(round_log, record)
    replay(record, round_log.releases)


def _check_draw_entry(round_log: RoundLog, record: dict[str, Any]) -> None:
    entry = round_log.draw
    if entry is None:
        raise LogError("log_draw", "the log has no draw entry", round=round_log.round)
    body, where = entry["body"], {"seq": entry["seq"], "round": round_log.round}
    if body["record_digest"] != draw.digest(record):
        raise LogError(
            "record_digest",
            f"the record's digest is {draw.digest(record)}, the log says {body['record_digest']}",
            **where,
        )
    counts = {"entries": len(record["entries"]), "placed": len(record["placements"])}
    for name, count in counts.items():
        if body[name] != count or type(body[name]) is not int:
            raise LogError(
                "log_draw", f"the log says {body[name]!r} {name}, the record {count}", **where
            )


def replay(record: Mapping[str, Any], releases: Iterable[Mapping[str, Any]]) -> None:
    """§5.2: replay the releases, in log order, from the record's placements."""
    entries = {entry["code"]: entry for entry in record["entries"]}
    capacity = {slot["code"]: slot["capacity"] for slot in record["closing"]["slots"]}
    holding = {p["entry"]: p["slot"] for p in record["placements"]}  # entry -> slot
    offered = set(holding)
    waitlist = draw.Waitlist.from_record(record)  # type: ignore[arg-type]  # checked as a Record already
    for release in releases:
        body = release["body"]

        def fail(rule: str, message: str, release: Mapping[str, Any] = release) -> LogError:
            return LogError(rule, message, seq=release["seq"], round=record["round"])

        slot, code = body["slot"], body["entry"]
        if not isinstance(slot, str) or not isinstance(code, str) or holding.get(code) != slot:
            raise fail("release_holder", f"entry {code!r} holds no places in slot {slot!r}")
        if body["persons"] != entries[code]["party"] or type(body["persons"]) is not int:
            raise fail("release_persons", f"entry {code} holds {entries[code]['party']} places")
        if not isinstance(body["reason"], str) or type(body["waitlist_open"]) is not bool:
            raise fail("log_release", "reason must be a string and waitlist_open true or false")
        del holding[code]
        free = capacity[slot] - sum(entries[c]["party"] for c, s in holding.items() if s == slot)
        chosen: list[str] = []
        if body["waitlist_open"]:
            chosen = waitlist.next_promotions(slot, free, set(holding), offered)
        expected = [{"entry": c, "persons": entries[c]["party"]} for c in chosen]
        if not draw.same(body["promotions"], expected):
            raise fail(
                "promotions",
                f"{free} places free in {slot}: section 5 promotes {expected}, the log "
                f"says {body['promotions']!r}",
            )
        for c in chosen:
            holding[c] = slot
            offered.add(c)


def check_receipt(receipt: object, record: Mapping[str, Any], public_key: bytes) -> dict[str, Any]:
    """§6: the receipt is the platform's, and its entry is in the record as entered.

    Returns the record's entry. Rules: ``receipt`` (form), ``receipt_signature``,
    ``receipt_round``, ``dropped`` (no such entry), ``altered`` (the entry differs).
    """
    if not isinstance(receipt, dict) or set(receipt) != set(_RECEIPT_KEYS):
        raise LogError("receipt", f"a receipt has exactly the keys {list(_RECEIPT_KEYS)}")
    if receipt["format"] != RECEIPT_FORMAT:
        raise LogError("receipt", f"a receipt's format is {RECEIPT_FORMAT}")
    payload = {key: value for key, value in receipt.items() if key != "signature"}
    if not signature_holds(public_key, receipt["signature"], draw.canonical(payload)):
        raise LogError("receipt_signature", "the receipt is not signed by the platform's key")
    if receipt["round"] != record["round"]:
        raise LogError(
            "receipt_round",
            f"the receipt is for round {receipt['round']!r}, the record for {record['round']!r}",
        )
    found = next((e for e in record["entries"] if e["code"] == receipt["entry"]), None)
    if found is None:
        raise LogError(
            "dropped",
            f"entry {receipt['entry']} is not in the record: it was dropped after the "
            "receipt was issued (the closing statement's digest and count do not include it)",
        )
    as_entered = {
        "party": receipt["party"],
        "tier": receipt["tier"],
        "weight": receipt["weight"],
        "choices_digest": receipt["choices_digest"],
    }
    as_drawn = {
        "party": found["party"],
        "tier": found["tier"],
        "weight": found["weight"],
        "choices_digest": draw.digest(list(found["choices"])),
    }
    changed = [name for name in as_entered if not draw.same(as_entered[name], as_drawn[name])]
    if changed:
        raise LogError(
            "altered",
            f"entry {receipt['entry']} was altered: its {', '.join(changed)} in the record "
            "differ from the receipt (if you changed the entry yourself later, use the "
            "receipt of that change)",
        )
    return found


def load_key(text: str, read: Callable[[str], str]) -> bytes:
    """A key given on the command line: 64 hex digits, or a key document's file name."""
    if _HEX64.fullmatch(text):
        return bytes.fromhex(text)
    import json

    return key_bytes(json.loads(read(text)))


def check_extends(earlier: object, log: Mapping[str, Any]) -> None:
    """§7.5: a copy of the log saved earlier is the start of this one, key and all.

    The platform holds its key, so it could rewrite its history and sign it
    again; only a reader who kept an earlier copy can see that it did.
    """
    if not isinstance(earlier, dict) or not isinstance(earlier.get("entries"), list):
        raise LogError("log_format", "the earlier copy is not a log")
    if not draw.same(earlier.get("key"), log["key"]):
        raise LogError("log_rewritten", "the log is now signed with another key than before")
    if len(earlier["entries"]) > len(log["entries"]):
        raise LogError(
            "log_rewritten",
            f"the earlier copy has {len(earlier['entries'])} entries, the log now "
            f"{len(log['entries'])}",
        )
    for before, now in zip(earlier["entries"], log["entries"], strict=False):
        if not draw.same(before, now):
            seq = now.get("seq") if isinstance(now, dict) else None
            raise LogError(
                "log_rewritten",
                "this entry differs from the earlier copy of the log",
                seq=seq if isinstance(seq, int) else None,
                round=now.get("round") if isinstance(now, dict) else None,
            )
