"""The public pages everyone reloads: a round's while it is open, its results
once it is drawn, for a round with many entries.

    .venv/bin/python bench/public_pages.py [--entries 100000] [--database sqlite|postgres]

Builds a round as bench/draw_db.py does (42 slots) and times the round page
the first time (the demand counted: once a minute per round) and as most
visitors get it (the counts from the cache), and the API's round detail. Then
it closes and draws the round and times the results page, alone and with a
lookup of a waitlisted entry, the API's lookup, and the record download.
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

import draw_db  # noqa: E402 - after the path it needs


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--repeat", type=int, default=50)
    args = parser.parse_args()
    os.environ.setdefault("ALLOWED_HOSTS", "testserver")
    draw_db.configure(args.database)

    from django.core.cache import cache
    from django.test import Client
    from django.utils import timezone

    from tourdraw.lottery import rounds
    from tourdraw.lottery.drawing import draw_round
    from tourdraw.lottery.models import DrawOutcome

    round = draw_db.build_round(0, args.entries, 42)
    client = Client()

    def timed(name: str, path: str, *, counted: bool = False) -> None:
        client.get(path)  # connections, templates and URL set-up
        times = []
        for _ in range(5 if counted else args.repeat):
            if counted:
                cache.clear()
            began = time.perf_counter()
            response = client.get(path)
            times.append(time.perf_counter() - began)
            assert response.status_code == 200, (path, response.status_code)
        median, best = statistics.median(times) * 1000, min(times) * 1000
        print(f"| {name} | {median:.1f} ms | {best:.1f} ms |", flush=True)

    print(f"$ {' '.join(sys.argv)}\n")
    print(f"| {args.database}, {args.entries:,} entries, 42 slots | median | best |")
    print("|---|---|---|")
    timed("round page, demand counted", f"/rounds/{round.code}/", counted=True)
    timed("round page, demand from the cache", f"/rounds/{round.code}/")
    timed("API round detail", f"/api/v1/rounds/{round.code}")

    rounds.close_round(round, now=timezone.now())
    draw_round(round, now=timezone.now())
    last = DrawOutcome.objects.filter(round=round).order_by("-position").select_related("entry")
    waiting = last.first().entry.code  # type: ignore[union-attr]
    timed("results page", f"/rounds/{round.code}/results/")
    timed("results page, last entry looked up", f"/rounds/{round.code}/results/?entry={waiting}")
    timed("API lookup, last entry", f"/api/v1/rounds/{round.code}/results?entry={waiting}")
    timed("draw record download", f"/rounds/{round.code}/draw.json")


if __name__ == "__main__":
    main()
