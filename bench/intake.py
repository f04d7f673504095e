"""Entry intake through the real server: gunicorn, several workers, PostgreSQL,
production settings.

    .venv/bin/python bench/intake.py [--entries 3000] [--workers 4] [--clients 8]

Signed-in visitors (bearer tokens) submit realistic entries: two companions
with their own ID documents, three ranked choices, every person unique. In the
same run, a bare endpoint of the same stack inserts one row per request. The
report gives requests per second and p50/p99 for both, and their ratio
(issue 7: entries at least half the bare insert's rate, p99 under 100 ms, no
error). Client processes share the machine's two cores with the server.

A third row is the floor under any entry: the same signed-in POST with a body
the API refuses (422) before any service runs. It pays for what every API
write pays (rate limit, token, body parsing, error answer) and nothing else,
so no entry can be faster than it.
"""

import argparse
import http.client
import json
import multiprocessing
import os
import random
import sys
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))

import realserver  # noqa: E402 - after the paths it needs

DATABASE = "tourdraw_bench_intake"
PORT = 8766
# The bare endpoint's URLs, and a write limit that does not stop the load.
# What each kind of request answers when all is well.
EXPECTED = {"bare": 201, "entry": 201, "refused": 422}
EXTRA_ENV = {"TOURDRAW_URLCONF": "intake_urls", "TOURDRAW_API_WRITE_RATE": "100000/m"}


def resident_id(region: str, born: date, sequence: int) -> str:
    from tourdraw.people.documents import cn_check_character

    first17 = f"{region}{born:%Y%m%d}{sequence:03d}"
    return first17 + cn_check_character(first17)


def setup(visitors: int) -> tuple[str, list[int], list[str]]:
    realserver.fresh_database(DATABASE, **EXTRA_ENV)
    from django.utils import timezone

    from tourdraw.api.models import ApiToken
    from tourdraw.catalog.models import Site, Slot, Tour
    from tourdraw.lottery import rounds
    from tourdraw.lottery.models import Round, RoundSlot
    from tourdraw.people import crypto, documents
    from tourdraw.people.models import Person, User, Visitor

    now = timezone.now()
    site = Site.objects.create(code="bench", name="bench", address="-", operator_name="-")
    tour = Tour.objects.create(site=site, code="bench", name="bench")
    start = now + timedelta(days=20)
    slots = Slot.objects.bulk_create(
        Slot(
            tour=tour,
            starts_at=start + timedelta(hours=i),
            ends_at=start + timedelta(hours=i, minutes=90),
            capacity=60,
        )
        for i in range(42)
    )
    round = Round.objects.create(
        tour=tour,
        code="bench",
        title="bench",
        opens_at=now - timedelta(hours=1),
        closes_at=now + timedelta(days=2),
        draws_at=now + timedelta(days=2),
    )
    RoundSlot.objects.bulk_create(RoundSlot(round=round, slot=slot) for slot in slots)
    rounds.open_round(round, now=now)
    users = User.objects.bulk_create(User(username=f"v{n}") for n in range(visitors))
    people = Visitor.objects.bulk_create(
        Visitor(user=user, phone=f"+86139{n:08d}") for n, user in enumerate(users)
    )
    selves = []
    for n, visitor in enumerate(people):
        number = resident_id("110101", date(1970, 1, 1) + timedelta(days=n % 9000), n % 1000)
        selves.append(
            Person(
                owner=visitor,
                is_self=True,
                full_name=f"访客{n}",
                id_type="cn_resident",
                id_number=number,
                id_hash=crypto.id_hash("cn_resident", number),
                id_masked=documents.mask("cn_resident", number),
                birth_date=date(1970, 1, 1) + timedelta(days=n % 9000),
            )
        )
    Person.objects.bulk_create(selves)
    keys = []
    tokens = []
    for user in users:
        key = "td_bench_" + os.urandom(16).hex()
        keys.append(key)
        tokens.append(
            # As issued at sign-in (POST /auth/token), just before entering.
            ApiToken(
                user=user,
                name="bench",
                key_hash=ApiToken.digest(key),
                prefix=key[:8],
                last_used_at=now,
            )
        )
    ApiToken.objects.bulk_create(tokens)
    return round.code, [slot.pk for slot in slots], keys


def client(args: tuple) -> list[tuple[float, int]]:  # type: ignore[type-arg]
    kind, jobs, round_code, slot_ids = args
    rng = random.Random(jobs[0][0] if jobs else 0)
    results = []
    for number, key in jobs:
        if kind == "entry":
            # Every person unique: the visitor's number is spread over the
            # region and birth date digits of both companions' ID numbers.
            born = date(1980, 1, 1) + timedelta(days=number % 7000)
            companions = [
                {
                    "full_name": f"同伴{number}-{k}",
                    "id_number": resident_id(
                        f"{310000 + number // 7000 * 2 + k:06d}", born, 100 + k
                    ),
                }
                for k in range(2)
            ]
            body = json.dumps({"choices": rng.sample(slot_ids, 3), "companions": companions})
            path = f"/api/v1/rounds/{round_code}/entries"
            headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
        elif kind == "refused":
            body = json.dumps({"choices": "none", "companions": []})
            path = f"/api/v1/rounds/{round_code}/entries"
            headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
        else:
            body, path, headers = "", "/bench/bare/", {}
        connection = http.client.HTTPConnection("127.0.0.1", PORT, timeout=30)
        began = time.perf_counter()
        connection.request("POST", path, body, headers)
        response = connection.getresponse()
        payload = response.read()
        results.append((time.perf_counter() - began, response.status))
        if response.status != EXPECTED[kind] and sum(r[1] != EXPECTED[kind] for r in results) <= 1:
            print(kind, response.status, payload[:300], file=sys.stderr)
        connection.close()
    return results


def warm_up(round_code: str, workers: int) -> None:
    """A few untimed requests per worker on both paths, so that neither pays for
    first-request work (URL and schema set-up, database connections)."""
    for _ in range(10 * workers):
        for method, path in (("POST", "/bench/bare/"), ("GET", f"/api/v1/rounds/{round_code}")):
            connection = http.client.HTTPConnection("127.0.0.1", PORT, timeout=30)
            connection.request(method, path)
            connection.getresponse().read()
            connection.close()


def load(
    kind: str, keys: list[str], round_code: str, slot_ids: list[int], processes: int, threads: int
) -> dict:  # type: ignore[type-arg]
    jobs = list(enumerate(keys))
    lanes = processes * threads
    chunks = [jobs[i::lanes] for i in range(lanes)]
    cpu_before = {name: realserver.cpu_seconds(name) for name in ("gunicorn", "postgres")}
    began = time.perf_counter()
    with multiprocessing.Pool(lanes) as pool:
        results = [
            r
            for chunk in pool.map(client, [(kind, c, round_code, slot_ids) for c in chunks])
            for r in chunk
        ]
    wall = time.perf_counter() - began
    cpu = {name: realserver.cpu_seconds(name) - cpu_before[name] for name in cpu_before}
    latencies = sorted(r[0] for r in results)
    return {
        "requests": len(results),
        "errors": sum(1 for r in results if r[1] != EXPECTED[kind]),
        "per_second": len(results) / wall,
        "p50_ms": latencies[len(latencies) // 2] * 1000,
        "p99_ms": latencies[max(int(len(latencies) * 0.99) - 1, 0)] * 1000,
        "app_cpu_ms": cpu["gunicorn"] / len(results) * 1000,
        "db_cpu_ms": cpu["postgres"] / len(results) * 1000,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--entries", type=int, default=3000)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--clients", type=int, default=8)
    args = parser.parse_args()
    round_code, slot_ids, keys = setup(args.entries)
    with realserver.gunicorn(PORT, args.workers, ready_path="/api/v1/sites"):
        warm_up(round_code, args.workers)
        bare = load("bare", keys, round_code, slot_ids, 1, args.clients)
        refused = load("refused", keys, round_code, slot_ids, 1, args.clients)
        entries = load("entry", keys, round_code, slot_ids, 1, args.clients)
    from tourdraw.lottery.models import Entry

    print(f"$ {' '.join(sys.argv)}")
    print(
        f"\n| gunicorn {args.workers} workers, {args.clients} clients, PostgreSQL "
        "| requests | per second | p50 | p99 | errors "
        "| app CPU / request | PostgreSQL CPU / request |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for name, row in (
        ("bare insert (one row)", bare),
        ("signed-in API write refused (422)", refused),
        ("entry (2 companions, 3 choices)", entries),
    ):
        print(
            f"| {name} | {row['requests']} | {row['per_second']:.0f} | {row['p50_ms']:.1f} ms "
            f"| {row['p99_ms']:.1f} ms | {row['errors']} | {row['app_cpu_ms']:.2f} ms "
            f"| {row['db_cpu_ms']:.2f} ms |"
        )
    ratio = entries["per_second"] / bare["per_second"]
    floor = refused["per_second"] / bare["per_second"]
    print(
        f"\nentries / bare: {ratio:.2f}; refused / bare: {floor:.2f}; "
        f"entries stored: {Entry.objects.count()}"
    )


if __name__ == "__main__":
    main()
