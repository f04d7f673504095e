"""A local drand-compatible test chain and tourdraw-draw/2 rounds built on it, without Django.

The chain's BLS secret key is fixed, so ``docs/spec/draw-vector-2.json`` can be
rebuilt from this module: its signatures are this key's, its public key is in
the vector's chain.
"""

import copy
import hashlib
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
