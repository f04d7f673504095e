"""Benchmark the pure draw (the fast path, src/tourdraw/lottery/draw.py) on synthetic rounds.

    .venv/bin/python bench/draw_pure.py [--sizes 10000,100000,1000000] [--repeat 3]

Rounds have 2,000 slots of about 60 persons; parties of 1 to 3 persons, mostly
3; one to three choices; weight 1 for most entries, 2 or 3 for some; tier 0.

"draw v2" is draw_v2(), the tourdraw-draw/2 draw: the same steps, plus the
checks of the opening and closing statements and the sealed inputs (counts,
persons, tiers, weights, digest against the closing statement). It runs with
check_signature=False, as the worker calls it right after checking the beacon
it fetched; the "BLS check" column is that check (drand.verify, once per
round, whatever its size), on a local test chain's signature.

Besides draw() itself, the table shows what its parts cost: checking the
inputs (section 2), the entries digest (the fast path the draw uses, which also
joins each entry's choices into the text it lays out, and the spec's json.dumps
text for comparison) and verify() of the record produced, which is the rule
as the spec reads (draw_rule.py), as every verifier runs it; "draw, rule" is
draw_rule.draw(), the reference the fast path is held equal to, timed once.
The "bare" loop is the issue's yardstick: hash each entry once, sort, walk,
written plainly (a key function per entry). The "lean" loop does the same work
as fast as this Python can (the tricks draw() uses: the hash state copied after
the seed, positions sorted by str keys), stops walking once every slot is full,
as draw() does, and lists the order, which a record must hold. Lean + checks +
digest is the least a draw of the spec costs: one hash per entry, every input
rule checked, the digest taken. Timings swing on a
busy machine; draw/bare and v2/bare are the steadier figures: the two draws and
the bare loop are run in turn, repeat after repeat.

The header says how the table was made (command line, Python, platform), so
that it can be pasted as it is into docs/performance.md.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import platform
import random
import shlex
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from tourdraw.lottery import drand, draw, draw_rule, statements

ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
SLOTS = 2000


def build_round(n: int, seed: int) -> tuple[list[draw.Slot], list[draw.Entry]]:
    rnd = random.Random(seed)
    slots: list[draw.Slot] = [
        {
            "code": f"2026-{1 + day // 28:02d}-{1 + day % 28:02d}T{9 + hour:02d}:30",
            "capacity": rnd.randint(50, 70),
        }
        for day in range(SLOTS // 8)
        for hour in range(8)
    ]
    slot_codes = [slot["code"] for slot in slots]
    numbers = sorted(rnd.sample(range(len(ALPHABET) ** 10), n))
    entries: list[draw.Entry] = []
    for number in numbers:
        code = ""
        for _ in range(10):
            number, digit = divmod(number, len(ALPHABET))
            code = ALPHABET[digit] + code
        entries.append(
            {
                "code": code,
                "party": rnd.choices((1, 2, 3), (15, 25, 60))[0],
                "tier": 0,
                "weight": rnd.choices((1, 2, 3), (85, 10, 5))[0],
                "choices": rnd.sample(slot_codes, rnd.choices((1, 2, 3), (20, 30, 50))[0]),
            }
        )
    return draw.prepare(slots, entries)


def bare(secret: bytes, slots: list[draw.Slot], entries: list[draw.Entry]) -> int:
    """Hash each entry once, sort, walk: no checks, no digest, no weights, no tiers."""
    seed = hashlib.sha256(secret).digest()
    ordered = sorted(
        entries,
        key=lambda e: hashlib.sha256(seed + e["code"].encode("ascii") + b"\0\0\0\0").digest(),
    )
    remaining = {slot["code"]: slot["capacity"] for slot in slots}
    placed = 0
    for entry in ordered:
        for choice in entry["choices"]:
            if remaining[choice] >= entry["party"]:
                remaining[choice] -= entry["party"]
                placed += 1
                break
    return placed


def lean(secret: bytes, slots: list[draw.Slot], entries: list[draw.Entry]) -> list[str]:
    """The bare loop as fast as it goes, listing the order as a record must."""
    after_seed = hashlib.sha256(hashlib.sha256(secret).digest()).copy
    codes = [entry["code"] for entry in entries]
    keys = []
    for code in codes:
        hashed = after_seed()
        hashed.update(code.encode("ascii") + b"\0\0\0\0")
        keys.append(hashed.hexdigest())
    positions = sorted(range(len(keys)), key=keys.__getitem__)
    remaining = {slot["code"]: slot["capacity"] for slot in slots}
    open_slots = sum(1 for places in remaining.values() if places)
    for i in positions:
        if not open_slots:
            break  # every slot full: nobody later can be placed
        party = entries[i]["party"]
        for choice in entries[i]["choices"]:
            places = remaining[choice]
            if places >= party:
                remaining[choice] = places - party
                open_slots -= places == party
                break
    return list(map(codes.__getitem__, positions))


CURVE_ORDER = 0x73EDA753299D7D483339D80809A1D80553BDA402FFFE5BFEFFFFFFFF00000001
CHAIN_KEY = int.from_bytes(hashlib.sha256(b"bench chain").digest(), "big") % CURVE_ORDER


def v2_inputs(
    secret: bytes, slots: list[draw.Slot], entries: list[draw.Entry]
) -> tuple[dict[str, Any], dict[str, Any], draw.Beacon]:
    """The statements and beacon of a tourdraw-draw/2 round, on a local test chain."""
    public = drand.public_key(CHAIN_KEY)
    chain = drand.Chain(
        "bench", hashlib.sha256(bytes.fromhex(public)).hexdigest(), public, 3, 1767225600
    )
    closes_at = datetime(2026, 1, 12, 14, 0, tzinfo=UTC)
    options: statements.Options = {
        "priority": "none",
        "repeat_weight_days": 30,
        "repeat_weight_cap": 3,
    }
    opening = statements.opening_statement(
        round="bench", commitment=draw.commitment_for(secret), opened_at=closes_at,
        closes_at=closes_at, options=options, chain=chain,
    )  # fmt: skip
    closing = statements.closing_statement(
        opening=opening, closed_at=closes_at, entries_digest=draw.entries_digest(entries),
        entries=len(entries), persons=sum(entry["party"] for entry in entries),
        slots=[{"code": s["code"], "capacity": s["capacity"], "reserved": 0} for s in slots],
    )  # fmt: skip
    signature = drand.sign(CHAIN_KEY, opening["beacon"]["round"])
    beacon: draw.Beacon = {
        "chain": chain.as_json(),
        "round": opening["beacon"]["round"],
        "signature": signature,
        "randomness": drand.randomness(signature),
    }
    return opening, closing, beacon


def timed(repeat: int, run: Callable[[], Any]) -> tuple[float, float]:
    """Best and median wall time of ``repeat`` runs, in seconds."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times), statistics.median(times)


def timed_in_turn(repeat: int, *runs: Callable[[], Any]) -> list[tuple[float, float]]:
    """:func:`timed` for several runs taken in turn, so that a busy spell of the
    machine weighs on all of them alike: the ratios between them stay fair."""
    times: list[list[float]] = [[] for _ in runs]
    for _ in range(repeat):
        for run, kept in zip(runs, times, strict=True):
            start = time.perf_counter()
            run()
            kept.append(time.perf_counter() - start)
    return [(min(kept), statistics.median(kept)) for kept in times]


def measure(n: int, seed: int, repeat: int) -> str:
    """One row of the table: a round of ``n`` entries, timed in its parts."""
    slots, entries = build_round(n, seed)
    secret = hashlib.sha256(b"bench").digest()
    beacon = "drand-quicknet:round=1234567"
    record = draw.draw("bench", secret, beacon, slots, entries)
    assert draw.entries_digest(entries) == record["entries_digest"]

    # The parts, through the module's private steps: the split is the point here.
    capacities = draw_rule.check_slots(slots)

    def checks() -> draw._Columns:
        return draw._check_entries(entries, draw_rule.check_slots(slots))

    columns = checks()
    opening, closing, beacon_v2 = v2_inputs(secret, slots, entries)
    record_v2 = draw.draw_v2("bench", secret, opening, closing, beacon_v2, slots, entries)
    draw.verify(dict(record_v2))
    chain = drand.Chain(**beacon_v2["chain"])

    def draw_v2() -> draw.RecordV2:
        return draw.draw_v2(
            "bench", secret, opening, closing, beacon_v2, slots, entries, check_signature=False
        )

    # The draws and the bare loop are taken in turn: their ratios are the point.
    draw_v1, draw_v2_, bare_loop = timed_in_turn(
        repeat,
        lambda: draw.draw("bench", secret, beacon, slots, entries),
        draw_v2,
        lambda: bare(secret, slots, entries),
    )
    times = [
        draw_v1,
        draw_v2_,
        timed(1, lambda: drand.verify(chain, beacon_v2["round"], beacon_v2["signature"])),
        timed(repeat, checks),
        timed(repeat, lambda: draw._digest(columns, capacities)),
        timed(repeat, lambda: draw.entries_digest(entries)),
        timed(repeat, lambda: draw.verify(record)),
        timed(1, lambda: draw_rule.draw("bench", secret, beacon, slots, entries)),
        timed(repeat, lambda: lean(secret, slots, entries)),
        bare_loop,
    ]
    cells = " | ".join(f"{best:.3f} s ({median:.3f})" for best, median in times)
    ratio, ratio_v2 = times[0][0] / times[-1][0], times[1][0] / times[-1][0]
    least = times[8][0] + times[3][0] + times[4][0]
    placed = len(record["placements"])
    return f"| {n:,} | {placed:,} | {cells} | {ratio:.2f} | {ratio_v2:.2f} | {least:.3f} s |"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    print(f"$ {shlex.join(sys.orig_argv)}\n")
    print(f"Python {sys.version} ({platform.python_implementation()})")
    print(f"{platform.platform()}, {os.cpu_count()} CPUs")
    print(f"{SLOTS} slots, round seed {args.seed}, best of {args.repeat} runs (median)\n")
    print(
        "| entries | placed | draw | draw v2 | BLS check | checks | digest | digest, json.dumps "
        "| verify | draw, rule | lean loop | bare loop | draw/bare | v2/bare "
        "| lean + checks + digest |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for size in args.sizes.split(","):
        print(measure(int(size), args.seed, args.repeat), flush=True)


if __name__ == "__main__":
    main()
