"""A local drand-compatible test chain and tourdraw-draw/2 rounds built on it, without Django.

The chain's BLS secret key is fixed, so ``docs/spec/draw-vector-2.json`` can be
rebuilt from this module: its signatures are this key's, its public key is in
the vector's chain.
"""

import copy
import hashlib
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from tourdraw.lottery import drand, draw, statements

CURVE_ORDER = 0x73EDA753299D7D483339D80809A1D80553BDA402FFFE5BFEFFFFFFFF00000001
TEST_KEY = (
    int.from_bytes(hashlib.sha256(b"tourdraw-draw/2 test chain").digest(), "big") % CURVE_ORDER
)
TEST_PUBLIC_KEY = drand.public_key(TEST_KEY)
TEST_CHAIN = drand.Chain(
    name="tourdraw-test",
    # A label: drand's own chain hash covers group data this chain does not have.
    hash=hashlib.sha256(b"tourdraw-test chain " + bytes.fromhex(TEST_PUBLIC_KEY)).hexdigest(),
    public_key=TEST_PUBLIC_KEY,
    period=3,
    genesis_time=1767225600,  # 2026-01-01T00:00:00Z
)
OPENED_AT = datetime(2026, 1, 5, 2, 0, tzinfo=UTC)
CLOSES_AT = datetime(2026, 1, 12, 14, 0, tzinfo=UTC)
CLOSED_AT = datetime(2026, 1, 12, 14, 0, 2, tzinfo=UTC)


def beacon_for(chain: drand.Chain, number: int, key: int = TEST_KEY) -> draw.Beacon:
    signature = drand.sign(key, number)
    return {
        "chain": chain.as_json(),
        "round": number,
        "signature": signature,
        "randomness": drand.randomness(signature),
    }


def statements_for(
    round_code: str,
    secret: bytes,
    slots: list[dict[str, Any]],
    entries: list[draw.Entry],
    options: statements.Options,
    *,
    chain: drand.Chain = TEST_CHAIN,
    closes_at: datetime = CLOSES_AT,
    closed_at: datetime = CLOSED_AT,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The opening and closing statements of a round; ``slots`` as the closing
    statement lists them, with ``reserved``."""
    opening = statements.opening_statement(
        round=round_code,
        commitment=draw.commitment_for(secret),
        opened_at=min(OPENED_AT, closes_at),
        closes_at=closes_at,
        options=options,
        chain=chain,
    )
    closing = statements.closing_statement(
        opening=opening,
        closed_at=closed_at,
        entries_digest=draw.entries_digest(entries),
        entries=len(entries),
        persons=sum(entry["party"] for entry in entries),
        slots=[
            {"code": s["code"], "capacity": s["capacity"], "reserved": s["reserved"]} for s in slots
        ],
    )
    return opening, closing


def draw_round(
    round_code: str,
    secret: bytes,
    slots: list[dict[str, Any]],
    entries: list[draw.Entry],
    options: statements.Options,
    **times: Any,
) -> draw.RecordV2:
    """A whole tourdraw-draw/2 round on the test chain: statements, beacon, draw."""
    opening, closing = statements_for(round_code, secret, slots, entries, options, **times)
    beacon = beacon_for(TEST_CHAIN, opening["beacon"]["round"])
    draw_slots: list[draw.Slot] = [{"code": s["code"], "capacity": s["capacity"]} for s in slots]
    return draw.draw_v2(
        round_code, secret, opening, closing, beacon, draw_slots, copy.deepcopy(entries)
    )


class Log:
    """A platform's public log (draw.md §7), built and signed the way the platform does."""

    def __init__(self, key_id: str = "test-2026") -> None:
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

        self.private = Ed25519PrivateKey.generate()
        self.key_id = key_id
        self.entries: list[dict[str, Any]] = []

    @property
    def public_key(self) -> str:
        return self.private.public_key().public_bytes_raw().hex()

    def key_document(self) -> dict[str, str]:
        return {"id": self.key_id, "algorithm": "Ed25519", "public_key": self.public_key}

    def append(
        self, kind: str, round: str, body: dict[str, Any], time: datetime = CLOSED_AT
    ) -> dict[str, Any]:
        entry = statements.log_entry(
            seq=len(self.entries) + 1,
            prev=self.entries[-1]["hash"] if self.entries else statements.GENESIS,
            time=time,
            kind=kind,
            round=round,
            body=body,
        )
        self.entries.append(entry)
        self.seal(entry)
        return entry

    def seal(self, entry: dict[str, Any]) -> None:
        """(Re)compute an entry's hash and signature, as a forger holding the key would."""
        hashed = {key: entry[key] for key in ("seq", "prev", "time", "kind", "round", "body")}
        entry["hash"] = statements.digest(hashed)
        entry["signature"] = self.private.sign(bytes.fromhex(entry["hash"])).hex()

    def reseal_from(self, seq: int) -> None:
        """Rechain and re-sign every entry from ``seq`` on, after changing one."""
        for position in range(seq - 1, len(self.entries)):
            before = self.entries[position - 1]["hash"] if position else statements.GENESIS
            self.entries[position]["prev"] = before
            self.seal(self.entries[position])

    def document(self) -> dict[str, Any]:
        return {
            "format": "tourdraw-log/2",
            "key": self.key_document(),
            "entries": copy.deepcopy(self.entries),
        }

    def receipt(
        self, round: str, entry: Mapping[str, Any], time: datetime = OPENED_AT
    ) -> dict[str, Any]:
        payload = statements.receipt_payload(
            round=round,
            entry=entry["code"],
            party=entry["party"],
            tier=entry["tier"],
            weight=entry["weight"],
            choices=entry["choices"],
            time=time,
            key_id=self.key_id,
        )
        signature = self.private.sign(draw.canonical(payload)).hex()
        return {**payload, "signature": signature}


def logged_round(log: Log, record: draw.RecordV2 | dict[str, Any], path: str) -> None:
    """Log a drawn round as the platform does: opening, closing, beacon, draw."""
    code = record["round"]
    log.append("opening", code, record["opening"], OPENED_AT)
    log.append("closing", code, record["closing"], CLOSED_AT)
    beacon = record["beacon"]
    log.append(
        "beacon",
        code,
        {key: beacon[key] for key in ("round", "signature", "randomness")}
        | {"chain_hash": beacon["chain"]["hash"]},
    )
    body = {
        "record_digest": draw.digest(record),
        "record": path,
        "entries": len(record["entries"]),
        "placed": len(record["placements"]),
    }
    log.append("draw", code, body)


def release(
    log: Log,
    round: str,
    slot: str,
    entry: str,
    persons: int,
    promotions: list[tuple[str, int]],
    *,
    reason: str = "declined",
    waitlist_open: bool = True,
) -> dict[str, Any]:
    body = {
        "slot": slot,
        "entry": entry,
        "persons": persons,
        "reason": reason,
        "waitlist_open": waitlist_open,
        "promotions": [{"entry": code, "persons": n} for code, n in promotions],
    }
    return log.append("release", round, body)
