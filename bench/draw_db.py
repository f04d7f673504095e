"""The whole draw in the database: freeze, draw, store the record, create offers.

    .venv/bin/python bench/draw_db.py [--entries 100000] [--slots 1000] [--repeat 3]
        [--database sqlite|postgres] [--profile]

Each repeat builds a fresh round of synthetic entries with bulk inserts (not
timed), then times close (freeze) and draw separately. Entries skip the entry
service and its members: the draw reads entries and choices only.
Target (issue 3): 100k entries in 5 s or less on SQLite and on PostgreSQL.
"""

import argparse
import cProfile
import os
import pstats
import random
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))


def configure(database: str) -> None:
    if database == "sqlite":
        path = Path(tempfile.mkdtemp()) / "bench.sqlite3"
        os.environ["DATABASE_URL"] = f"sqlite:///{path}"
    else:
        os.environ["DATABASE_URL"] = os.environ.get(
            "BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/tourdraw_bench"
        )
        import psycopg

        with psycopg.connect(
            "postgres://postgres@127.0.0.1:5432/postgres", autocommit=True
        ) as connection:
            connection.execute("DROP DATABASE IF EXISTS tourdraw_bench")
            connection.execute("CREATE DATABASE tourdraw_bench")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tourdraw.settings")
    from tourdraw import keys

    for name, value in keys.generate().items():
        os.environ.setdefault(name, value)
    os.environ.setdefault("TOURDRAW_ENV", "development")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def build_round(n: int, entries: int, slots: int):  # type: ignore[no-untyped-def]
    from django.utils import timezone

    from tourdraw.catalog.models import Site, Slot, Tour
    from tourdraw.lottery import rounds
    from tourdraw.lottery.codes import new_entry_code
    from tourdraw.lottery.models import Entry, EntryChoice, Round, RoundSlot
    from tourdraw.people.models import User, Visitor

    rng = random.Random(n)
    now = timezone.now()
    site, _ = Site.objects.get_or_create(code="bench", defaults={"name": "bench", "address": "-"})
    tour, _ = Tour.objects.get_or_create(site=site, code="bench", defaults={"name": "bench"})
    start = now + timedelta(days=30 + n * 400)
    slot_rows = Slot.objects.bulk_create(
        Slot(
            tour=tour,
            starts_at=start + timedelta(hours=i),
            ends_at=start + timedelta(hours=i, minutes=90),
            capacity=60,
        )
        for i in range(slots)
    )
    round = Round.objects.create(
        tour=tour,
        code=f"bench-{n}",
        title="bench",
        opens_at=now - timedelta(days=1),
        closes_at=now + timedelta(days=1),
        draws_at=now + timedelta(days=1),
    )
    RoundSlot.objects.bulk_create(RoundSlot(round=round, slot=slot) for slot in slot_rows)
    rounds.open_round(round, now=now)
    user, _ = User.objects.get_or_create(username="bench")
    visitor, _ = Visitor.objects.get_or_create(user=user, defaults={"phone": "+8613900000000"})
    codes = set()
    while len(codes) < entries:
        codes.add(new_entry_code())
    entry_rows = Entry.objects.bulk_create(
        (
            Entry(
                round=round,
                visitor=visitor,
                code=code,
                party_size=rng.choice((1, 2, 3, 3, 3)),
                weight=rng.choice((1, 1, 1, 1, 2, 3)),
            )
            for code in codes
        ),
        batch_size=5000,
    )
    slot_ids = [slot.pk for slot in slot_rows]
    EntryChoice.objects.bulk_create(
        (
            EntryChoice(entry=entry, slot_id=slot_id, rank=rank)
            for entry in entry_rows
            for rank, slot_id in enumerate(rng.sample(slot_ids, rng.choice((1, 2, 3, 3))), 1)
        ),
        batch_size=5000,
    )
    return round


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--slots", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument(
        "--profile",
        action="store_true",
        help="after the timed runs, profile one more with cProfile and print where time goes",
    )
    args = parser.parse_args()
    configure(args.database)

    from django.utils import timezone

    from tourdraw.lottery import draw, rounds
    from tourdraw.lottery.drawing import draw_round

    closes, draws = [], []
    for n in range(args.repeat):
        round = build_round(n, args.entries, args.slots)
        began = time.perf_counter()
        rounds.close_round(round, now=timezone.now())
        closed = time.perf_counter()
        result = draw_round(round, now=timezone.now())
        done = time.perf_counter()
        closes.append(closed - began)
        draws.append(done - closed)
        import json

        draw.verify(json.loads(result.record))
        print(
            f"run {n + 1}: close+freeze {closes[-1]:.2f} s, draw+store {draws[-1]:.2f} s, "
            f"total {closes[-1] + draws[-1]:.2f} s ({result.placed_entries} placed)",
            flush=True,
        )
    totals = [c + d for c, d in zip(closes, draws, strict=True)]
    print(
        f"\n| database | entries | slots | close+freeze (median) | draw+store (median) "
        f"| total best | total median |\n|---|---|---|---|---|---|---|\n"
        f"| {args.database} | {args.entries:,} | {args.slots:,} | "
        f"{statistics.median(closes):.2f} s | {statistics.median(draws):.2f} s | "
        f"{min(totals):.2f} s | {statistics.median(totals):.2f} s |"
    )
    if args.profile:
        # Not in the table: under the profiler Python code runs slower, time in
        # the database does not. Compare shares, and profiles with each other.
        round = build_round(args.repeat, args.entries, args.slots)
        profiler = cProfile.Profile()
        profiler.runcall(rounds.close_round, round, now=timezone.now())
        profiler.runcall(draw_round, round, now=timezone.now())
        stats = pstats.Stats(profiler).strip_dirs()
        stats.sort_stats("cumulative").print_stats(45)
        stats.sort_stats("tottime").print_stats(25)


if __name__ == "__main__":
    main()
