"""Check-in speed at the gate.

    .venv/bin/python bench/checkin.py [--scans 2000] [--requests 1500] [--workers 4] [--clients 8]

1. Offline verification: the Ed25519 check of a scanned ticket code, and the
   whole offline decision (signature, manifest lookup, revocation, window),
   per scan, in this process (target: 2 ms or less per scan).
2. Online check-ins through the real server: gunicorn with several workers,
   production settings, PostgreSQL, a staff session; concurrent clients check
   in the whole party of a different ticket each (target: 200 or more per second).
"""

import argparse
import http.client
import statistics
import sys
import threading
import time
import urllib.parse
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))

import realserver  # noqa: E402 - after the paths it needs

DATABASE = "tourdraw_bench_checkin"
PORT = 8765
# One gate account sends every check-in here, far beyond a person's write limit.
EXTRA_ENV = {"TOURDRAW_WEB_WRITE_RATE": "100000/m"}


def setup(tickets_wanted: int) -> tuple[int, list[tuple[str, list[int]]]]:
    realserver.fresh_database(DATABASE, **EXTRA_ENV)
    from django.utils import timezone

    from tourdraw.catalog.models import Site, Slot, Tour
    from tourdraw.lottery.models import Entry, EntryMember, Round, RoundSlot
    from tourdraw.people.models import Person, StaffRole, User, Visitor
    from tourdraw.visits import tickets
    from tourdraw.visits.models import Offer, Ticket

    now = timezone.now()
    site = Site.objects.create(code="bench", name="bench", address="-", operator_name="-")
    tour = Tour.objects.create(site=site, code="bench", name="bench")
    slot = Slot.objects.create(
        tour=tour,
        starts_at=now + timedelta(minutes=20),
        ends_at=now + timedelta(hours=2),
        capacity=tickets_wanted * 3,
    )
    round = Round.objects.create(
        tour=tour,
        code="bench",
        title="bench",
        opens_at=now - timedelta(days=3),
        closes_at=now - timedelta(days=2),
        draws_at=now - timedelta(days=2),
        state="drawn",
    )
    RoundSlot.objects.create(round=round, slot=slot)
    staff = User.objects.create_user("gate", password="bench-gate-pass")
    StaffRole.objects.create(user=staff, role=StaffRole.Role.GATE, site=site)
    user = User.objects.create_user("visitor")
    visitor = Visitor.objects.create(user=user, phone="+8613900000000")
    people = Person.objects.bulk_create(
        Person(
            owner=visitor,
            full_name=f"访客{n}",
            id_type="passport",
            id_number=f"E{n:08d}",
            id_hash=f"{n:064x}",
            id_masked="E1****00",
            birth_date="1990-01-01",
        )
        for n in range(tickets_wanted * 3)
    )
    entries = Entry.objects.bulk_create(
        Entry(round=round, visitor=visitor, code=f"B{n:09d}", party_size=3)
        for n in range(tickets_wanted)
    )
    EntryMember.objects.bulk_create(
        EntryMember(
            entry=entry,
            round=round,
            person=people[n * 3 + k],
            id_hash=people[n * 3 + k].id_hash,
            role="entrant" if k == 0 else "companion",
            position=k,
        )
        for n, entry in enumerate(entries)
        for k in range(3)
    )
    offers = Offer.objects.bulk_create(
        Offer(
            entry=entry,
            slot=slot,
            persons=3,
            state="confirmed",
            source="draw",
            deadline=now,
            created_at=now,
            confirmed_via="online",
        )
        for entry in entries
    )
    issued = Ticket.objects.bulk_create(
        Ticket(offer=offer, code=f"T{n:015d}", issued_at=now) for n, offer in enumerate(offers)
    )
    members = {}
    for member in EntryMember.objects.filter(round=round).values_list("entry_id", "pk"):
        members.setdefault(member[0], []).append(member[1])
    work = []
    for ticket in Ticket.objects.select_related("offer__slot__tour__site").filter(
        pk__in=[t.pk for t in issued]
    ):
        work.append((tickets.payload(ticket), members[ticket.offer.entry_id]))
    return slot.pk, work


def bench_offline(scans: int, work: list[tuple[str, list[int]]], slot_id: int) -> dict[str, float]:
    from tourdraw.catalog.models import Slot
    from tourdraw.visits import gate, signing

    keys = signing.public_keys()
    payloads = [payload for payload, _ in work][:scans]
    timings = []
    for _ in range(5):
        began = time.perf_counter()
        for payload in payloads:
            signing.verify(payload, keys)
        timings.append((time.perf_counter() - began) / len(payloads))
    manifest = gate.manifest(Slot.objects.get(pk=slot_id))
    by_ticket = {t["ticket"]: t for t in manifest["tickets"]}
    revoked = set(manifest["revoked"])
    decisions = []
    for _ in range(5):
        began = time.perf_counter()
        for payload in payloads:
            claim = signing.verify(payload, keys)
            entry = by_ticket.get(claim.ticket)
            assert entry is not None and claim.ticket not in revoked and claim.slot_id == slot_id
            assert any(not p["checked_in"] for p in entry["persons"])
        decisions.append((time.perf_counter() - began) / len(payloads))
    return {
        "verify_ms_best": min(timings) * 1000,
        "verify_ms_median": statistics.median(timings) * 1000,
        "decision_ms_median": statistics.median(decisions) * 1000,
    }


class Client:
    def __init__(self) -> None:
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, body: dict | None = None):  # type: ignore[no-untyped-def]
        connection = http.client.HTTPConnection("127.0.0.1", PORT, timeout=30)
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        data = None
        if body is not None:
            data = urllib.parse.urlencode(body, doseq=True)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["X-CSRFToken"] = self.cookies.get("csrftoken", "")
            headers["Referer"] = f"http://127.0.0.1:{PORT}{path}"
        connection.request(method, path, data, headers)
        response = connection.getresponse()
        payload = response.read()
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                self.cookies[name] = rest.split(";", 1)[0]
        connection.close()
        return response.status, response.getheader("Location", ""), payload


def bench_online(
    work, slot_id: int, requests_wanted: int, clients: int, workers: int
) -> dict[str, float]:  # type: ignore[no-untyped-def]
    with realserver.gunicorn(PORT, workers):
        login = Client()
        login.request("GET", "/backoffice/login/")
        status, _, _ = login.request(
            "POST",
            "/backoffice/login/",
            {
                "username": "gate",
                "password": "bench-gate-pass",
                "csrfmiddlewaretoken": login.cookies["csrftoken"],
            },
        )
        assert status == 302, f"login failed: {status}"
        jobs = list(work[:requests_wanted])
        lock = threading.Lock()
        latencies: list[float] = []
        errors: list[str] = []

        def run() -> None:
            client = Client()
            client.cookies = dict(login.cookies)
            while True:
                with lock:
                    if not jobs:
                        return
                    payload, members = jobs.pop()
                began = time.perf_counter()
                status, _, body = client.request(
                    "POST",
                    f"/backoffice/gate/{slot_id}/check-in/",
                    {
                        "code": payload,
                        "member": members,
                        "csrfmiddlewaretoken": client.cookies["csrftoken"],
                    },
                )
                elapsed = time.perf_counter() - began
                with lock:
                    latencies.append(elapsed)
                    if status != 302:
                        errors.append(f"{status}: {body[:200]!r}")

        threads = [threading.Thread(target=run) for _ in range(clients)]
        began = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        wall = time.perf_counter() - began
    from tourdraw.visits.models import CheckIn

    checked = CheckIn.objects.count()
    latencies.sort()
    return {
        "requests": len(latencies),
        "errors": len(errors),
        "persons_checked_in": checked,
        "per_second": len(latencies) / wall,
        "p50_ms": latencies[len(latencies) // 2] * 1000,
        "p99_ms": latencies[int(len(latencies) * 0.99) - 1] * 1000,
        "first_error": errors[0] if errors else "",
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scans", type=int, default=2000)
    parser.add_argument("--requests", type=int, default=1500)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--clients", type=int, default=8)
    args = parser.parse_args()
    slot_id, work = setup(max(args.scans, args.requests))
    offline = bench_offline(args.scans, work, slot_id)
    online = bench_online(work, slot_id, args.requests, args.clients, args.workers)
    print(f"command: {' '.join(sys.argv)}")
    print(f"\n| offline check | per scan (median of 5 x {args.scans}) | best |\n|---|---|---|")
    print(
        f"| Ed25519 signature only | {offline['verify_ms_median']:.3f} ms "
        f"| {offline['verify_ms_best']:.3f} ms |"
    )
    print(f"| whole offline decision | {offline['decision_ms_median']:.3f} ms | |")
    print(
        f"\n| online check-ins (gunicorn {args.workers} workers, {args.clients} clients, "
        "PostgreSQL) "
        f"| value |\n|---|---|\n| requests (a party of 3 each) | {online['requests']} |\n"
        f"| per second | {online['per_second']:.0f} |\n| p50 | {online['p50_ms']:.1f} ms |\n"
        f"| p99 | {online['p99_ms']:.1f} ms |\n| errors | {online['errors']} |\n"
        f"| persons checked in | {online['persons_checked_in']} |"
    )
    if online["first_error"]:
        print("first error:", online["first_error"])


if __name__ == "__main__":
    main()
