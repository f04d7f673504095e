"""The public round page of an open round with many entries: what everyone
reloads while a round is open.

    .venv/bin/python bench/round_page.py [--entries 100000] [--database sqlite|postgres]

Builds a round as bench/draw_db.py does (42 slots), then times the page the
first time (the demand counted: once a minute per round) and then as most
visitors get it (the counts from the cache), and the API's round detail.
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

    round = draw_db.build_round(0, args.entries, 42)
    client = Client()
    print(f"$ {' '.join(sys.argv)}\n")
    print(f"| {args.database}, {args.entries:,} entries, 42 slots | median | best |")
    print("|---|---|---|")
    for name, path, counted in (
        ("round page, demand counted", f"/rounds/{round.code}/", True),
        ("round page, demand from the cache", f"/rounds/{round.code}/", False),
        ("API round detail", f"/api/v1/rounds/{round.code}", False),
    ):
        client.get(path)  # connections, templates and URL set-up
        times = []
        for _ in range(5 if counted else args.repeat):
            if counted:
                cache.clear()
            began = time.perf_counter()
            response = client.get(path)
            times.append(time.perf_counter() - began)
            assert response.status_code == 200, response.status_code
        print(f"| {name} | {statistics.median(times) * 1000:.1f} ms | {min(times) * 1000:.1f} ms |")


if __name__ == "__main__":
    main()
