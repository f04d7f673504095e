"""tourdraw on several hosts, with the faults a platform meets, checked for loss.

    python3 bench/multihost.py                  # 180 s of load with the faults
    python3 bench/multihost.py --duration 60    # CI's short form
    python3 bench/multihost.py --soak 1800      # bench/soak.py: no faults, 30 min

Hosts, each in its own network namespace with its own address (bench/hosts.py):
PostgreSQL, Redis, HAProxy, two web nodes (gunicorn) and two workers. This
machine (the bridge's address) drives the load through HAProxy and plays the
SMS gateway, which fails some first attempts (500, a 302 redirect, no answer
for longer than the relay's deadline) so retries are exercised.

The load: visitors enter open rounds (several, closing one after another so
the workers close and draw them during the run); winners of a drawn round
confirm or decline (declines promote down the waitlist, across slots); gate
staff check tickets in. Every write carries an Idempotency-Key and is retried
with it on an error of ours or of the network, as a client should.

The faults, in the full form: one web node is killed (every process on its
host), then one worker, then PostgreSQL is stopped as by a crash for 10 s.

The checks, none of them about time: every acknowledged entry, confirmation
and check-in is in the database; every round is drawn exactly once; every
message was sent at least once and none is marked sent that the gateway did
not accept; no slot holds more persons than its capacity. Exit status 1 if
any check fails. Needs root (ip netns), haproxy, PostgreSQL and redis-server.
"""

import argparse
import http.client
import json
import os
import random
import secrets
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections import Counter, defaultdict
from datetime import UTC, date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))

from hosts import Network, Postgres  # noqa: E402 - after the paths it needs

if TYPE_CHECKING:
    from tourdraw.lottery.testchain import LocalChain

WEB_PORT, LB_PORT, GATEWAY_PORT, CHAIN_PORT = 8115, 8116, 8117, 8118
HOSTS = {"db": 2, "redis": 3, "lb": 10, "web1": 11, "web2": 12, "worker1": 21, "worker2": 22}
RETRYABLE = {0, 409, 429, 500, 502, 503, 504}


def local_chain() -> "LocalChain":
    """A drand-compatible chain of this run's own (no drand relay is reachable
    here), served by this machine as the SMS gateway is: the workers fetch each
    round's beacon from it once its time has come, as they would from drand."""
    from tourdraw.lottery.testchain import LocalChain, new_secret_key

    return LocalChain(new_secret_key())


def node_env(network: Network, chain: "LocalChain") -> dict[str, str]:
    """What every web node and worker is given (docs/deploy.md lists it)."""
    h = network.hosts
    return {
        "TOURDRAW_DRAND_CHAIN": json.dumps(chain.chain.as_json()),
        "TOURDRAW_DRAND_RELAYS": f"http://{network.machine}:{CHAIN_PORT}",
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "TOURDRAW_ENV": "production",
        "DEBUG": "false",
        "SECRET_KEY": "multihost-secret-key-multihost-secret-key-0000",
        "TOURDRAW_DATA_KEYS": "bXVsdGlob3N0LWRhdGEta2V5LW11bHRpaG9zdC0wMDA=",
        "TOURDRAW_HASH_KEY": "multihost-hash-key",
        "TOURDRAW_TICKET_KEYS": "mh1:bXVsdGlob3N0LXRpY2tldC1rZXktbXVsdGlob3N0LTA",
        "TOURDRAW_WEBHOOK_SECRET": "multihost",
        # The public log's signing key (main's transparency app demands it in production).
        "TOURDRAW_LOG_KEY": "mhlog1:bXVsdGlob3N0LWxvZy1rZXktbXVsdGlob3N0LTAwMDA",
        "TOURDRAW_DATA_DIR": "/tmp/tourdraw-node-data",  # nothing is kept there
        "DATABASE_URL": f"postgres://postgres@{h['db']}:5432/tourdraw",
        "REDIS_URL": f"redis://{h['redis']}:6379/0",
        "ALLOWED_HOSTS": ",".join([h["lb"], h["web1"], h["web2"]]),
        # Production redirects plain HTTP to HTTPS; here HAProxy stands for the
        # TLS-terminating proxy and sets (overwriting any client's) this header.
        "SECURE_PROXY_SSL_HEADER": "HTTP_X_FORWARDED_PROTO,https",
        "TOURDRAW_SMS_CHANNEL": "tourdraw.notify.channels.WebhookChannel",
        "TOURDRAW_VOICE_CHANNEL": "tourdraw.notify.channels.WebhookChannel",
        "TOURDRAW_EMAIL_CHANNEL": "tourdraw.notify.channels.WebhookChannel",
        "TOURDRAW_WEBHOOK_URL": f"http://{network.machine}:{GATEWAY_PORT}/sms",
        "TOURDRAW_RELAY_DEADLINE_SECONDS": "3",
        "TOURDRAW_API_WRITE_RATE": "100000/m",
        "TOURDRAW_IDEMPOTENCY_LEASE_SECONDS": "40",
        "DATABASE_STATEMENT_TIMEOUT_SECONDS": "20",
        "DATABASE_CONNECT_TIMEOUT_SECONDS": "3",
        "LOG_LEVEL": "WARNING",
        "PYTHONPATH": str(ROOT / "src"),
    }


HAPROXY = """global
    maxconn 4000
defaults
    mode http
    timeout connect 2s
    timeout client 60s
    timeout server 45s
    retries 2
    option redispatch
frontend api
    bind {lb}:{lb_port}
    http-request set-header X-Forwarded-Proto https
    default_backend web
backend web
    balance roundrobin
    option httpchk GET /health/
    http-check expect rstatus ^[2-5][0-9][0-9]$
    default-server inter 1s fall 2 rise 2
    server web1 {web1}:{web_port} check
    server web2 {web2}:{web_port} check
"""


class Gateway(BaseHTTPRequestHandler):
    """The SMS gateway: records what it accepted; fails some first attempts."""

    accepted: set[str] = set()
    attempts: Counter[str] = Counter()
    lock = threading.Lock()

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        message = body["id"]
        with Gateway.lock:
            Gateway.attempts[message] += 1
            first = Gateway.attempts[message] == 1
        number = int(message)
        if first and number % 10 == 3:
            return self._answer(500)
        if first and number % 10 == 7:
            return self._answer(302, location="/elsewhere")
        if first and number % 25 == 11:
            time.sleep(6)  # longer than the relay's deadline: the relay gives up on it
            return self._answer(504)
        with Gateway.lock:
            Gateway.accepted.add(message)
        self._answer(200)

    def _answer(self, status: int, location: str = "") -> None:
        self.send_response(status)
        if location:
            self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


class Stats:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.latency: dict[str, list[float]] = defaultdict(list)
        self.outcomes: dict[str, Counter[str]] = defaultdict(Counter)
        self.acked: dict[str, set[str]] = defaultdict(set)

    def add(self, kind: str, outcome: str, seconds: float | None = None) -> None:
        with self.lock:
            self.outcomes[kind][outcome] += 1
            if seconds is not None:
                self.latency[kind].append(seconds)


def request(
    lb: str, method: str, path: str, body: object, headers: dict[str, str]
) -> tuple[int, dict]:  # type: ignore[type-arg]
    try:
        connection = http.client.HTTPConnection(lb, LB_PORT, timeout=60)
        connection.request(
            method,
            path,
            json.dumps(body),
            {"Content-Type": "application/json", **headers},
        )
        response = connection.getresponse()
        raw = response.read()
        connection.close()
    except (OSError, http.client.HTTPException):
        return 0, {}
    try:
        return response.status, json.loads(raw) if raw else {}
    except ValueError:
        return response.status, {"html": True}


def write(
    stats: Stats, lb: str, kind: str, path: str, body: object, token: str, until: float
) -> tuple[int, dict]:  # type: ignore[type-arg]
    """A POST with its Idempotency-Key, retried with it until an answer that is ours."""
    headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": secrets.token_hex(12)}
    while True:
        started = time.monotonic()
        status, answer = request(lb, "POST", path, body, headers)
        if status not in RETRYABLE or time.monotonic() > until:
            outcome = str(status) if status < 300 else f"{status} {answer.get('code', '')}"
            stats.add(kind, outcome, time.monotonic() - started)
            return status, answer
        stats.add(kind, f"retried-{status}")
        time.sleep(0.5 + random.random())  # jitter, not a secret


def resident_id(region: str, born: date, sequence: int) -> str:
    from tourdraw.people.documents import cn_check_character

    first17 = f"{region}{born:%Y%m%d}{sequence:03d}"
    return first17 + cn_check_character(first17)


class Platform:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.network = Network(args.prefix, args.subnet)
        self.dir = Path(f"/tmp/{args.prefix}-multihost")
        self.logs = self.dir / "logs"
        self.db = Postgres(self.network, "db", self.dir / "pg")
        self.web: list[str] = ["web1", "web2"]
        self.chain = local_chain()

    def up(self) -> None:
        if shutil.which("haproxy") is None:
            subprocess.run(["apt-get", "install", "-y", "-q", "haproxy"], check=True)
        self.network.up(HOSTS)
        shutil.rmtree(self.logs, ignore_errors=True)
        self.logs.mkdir(parents=True)
        os.chmod(self.dir, 0o755)
        self.db.create()
        self.db.start()
        createdb = [str(self.db.bin / "createdb"), "-h", self.network.hosts["db"]]
        subprocess.run([*createdb, "-U", "postgres", "tourdraw"], check=True)
        redis = ["redis-server", "--bind", self.network.hosts["redis"], "--port", "6379"]
        redis += ["--save", "", "--appendonly", "no", "--protected-mode", "no"]
        self.network.start("redis", redis, log=self.logs / "redis.log")
        os.environ.update(
            node_env(self.network, self.chain), DJANGO_SETTINGS_MODULE="tourdraw.settings"
        )
        import django

        django.setup()
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        self.gateway = ThreadingHTTPServer((self.network.machine, GATEWAY_PORT), Gateway)
        self.gateway.daemon_threads = True
        threading.Thread(target=self.gateway.serve_forever, daemon=True).start()
        self.relay = self.chain.serve(self.network.machine, CHAIN_PORT)

    def start_web(self, host: str) -> None:
        command = [str(ROOT / ".venv/bin/gunicorn"), "tourdraw.wsgi", "--preload"]
        command += ["-b", f"{self.network.hosts[host]}:{WEB_PORT}", "-w", "3", "--timeout", "30"]
        self.network.start(
            host, command, log=self.logs / f"{host}.log", env=node_env(self.network, self.chain)
        )

    def start_worker(self, host: str) -> None:
        command = [str(ROOT / ".venv/bin/tourdraw"), "worker", "--interval", "1"]
        self.network.start(
            host, command, log=self.logs / f"{host}.log", env=node_env(self.network, self.chain)
        )

    def start_balancer(self) -> None:
        h = self.network.hosts
        config = self.dir / "haproxy.cfg"
        config.write_text(
            HAPROXY.format(
                lb=h["lb"], lb_port=LB_PORT, web1=h["web1"], web2=h["web2"], web_port=WEB_PORT
            )
        )
        self.network.start("lb", ["haproxy", "-f", str(config)], log=self.logs / "haproxy.log")

    def wait_serving(self) -> None:
        lb = self.network.hosts["lb"]
        for _ in range(600):
            status, _ = request(lb, "GET", "/api/v1/sites", None, {})
            if status == 200:
                return
            time.sleep(0.2)
        raise SystemExit(f"the web nodes did not come up; see {self.logs}")

    def down(self) -> None:
        if hasattr(self, "relay"):
            self.relay.shutdown()
        if hasattr(self, "gateway"):
            self.gateway.shutdown()
            from django.db import connections

            connections.close_all()
        self.network.down()


class Scenario:
    """The data the load works on, made through the services where they exist."""

    def __init__(self, rounds: int, visitors: int, window: float) -> None:
        self.rounds_open = rounds
        self.visitors = visitors
        self.window = window

    def build(self) -> None:
        from django.utils import timezone

        from tourdraw.api.models import ApiToken
        from tourdraw.catalog.models import Site, Slot, Tour
        from tourdraw.lottery import rounds
        from tourdraw.lottery.models import Round, RoundSlot
        from tourdraw.people import crypto, documents
        from tourdraw.people.models import Person, StaffRole, User, Visitor

        now = timezone.now()
        site = Site.objects.create(code="mh", name="多机", address="-", operator_name="-")
        tour = Tour.objects.create(site=site, code="mh", name="mh")
        start = now + timedelta(days=10)
        self.tour = tour

        def slots(n: int, capacity: int, offset: int) -> list[Slot]:
            made = Slot.objects.bulk_create(
                Slot(
                    tour=tour,
                    starts_at=start + timedelta(hours=offset + i),
                    ends_at=start + timedelta(hours=offset + i, minutes=50),
                    capacity=capacity,
                )
                for i in range(n)
            )
            return made

        def round_of(code: str, its_slots: list[Slot], opens: datetime | None = None) -> Round:
            """A round opened at ``opens`` (an hour ago), closing half an hour later;
            or, without ``opens``, scheduled until the run opens it (schedule_entry_rounds)."""
            # Scheduled ones open tomorrow, so no worker opens them before the run.
            at = opens or now + timedelta(days=1)
            closes = at + timedelta(minutes=30)
            made = Round.objects.create(
                tour=tour,
                code=code,
                title=code,
                opens_at=at - timedelta(minutes=5),
                closes_at=closes,
                draws_at=closes + timedelta(seconds=2),
            )
            RoundSlot.objects.bulk_create(RoundSlot(round=made, slot=s) for s in its_slots)
            if opens is not None:
                rounds.open_round(made, now=opens)
            return made

        users = User.objects.bulk_create(User(username=f"mh{n}") for n in range(self.visitors))
        phones = [f"+86138{n:08d}" for n in range(self.visitors)]
        # bulk_create skips save(), which keeps the hash the phone is found by.
        visitors = Visitor.objects.bulk_create(
            Visitor(user=user, phone=phone, phone_hash=crypto.phone_hash(phone))
            for user, phone in zip(users, phones, strict=True)
        )
        people = []
        for n, visitor in enumerate(visitors):
            born = date(1960, 1, 1) + timedelta(days=n % 15000)
            number = resident_id(f"{110101 + n // 15000:06d}", born, n % 1000)
            people.append(
                Person(
                    owner=visitor,
                    is_self=True,
                    full_name=f"访客{n}",
                    id_type="cn_resident",
                    id_number=number,
                    id_hash=crypto.id_hash("cn_resident", number),
                    id_masked=documents.mask(number),
                    birth_date=born,
                )
            )
        Person.objects.bulk_create(people)
        self.tokens = {}
        for visitor in visitors:
            _, key = ApiToken.issue(visitor.user, "multihost", used_at=now)
            self.tokens[visitor.pk] = key
        self.visitor_ids = [v.pk for v in visitors]
        staff = User.objects.create_user("mh-gate", password="mh-gate-pass-123")
        StaffRole.objects.create(user=staff, role="gate", site=site)
        self.staff_token = ApiToken.issue(staff, "gate", used_at=now)[1]

        # Rounds visitors enter during the run, closing one after another.
        self.entry_rounds = []
        for k in range(self.rounds_open):
            its = slots(3, 15, 1000 + 10 * k)  # hours ahead, apart from the others
            self.entry_rounds.append((round_of(f"mh-a{k}", its), [s.pk for s in its]))
        # One round whose winners confirm or decline during the run (two slots
        # that every entrant lists: declines promote across slots), and one
        # whose tickets are checked in at the gate.
        from tourdraw.lottery.entries import enter_round

        # Both were entered and closed an hour ago, so their beacon rounds are
        # out: drawn here, as a worker would have drawn them then.
        opened = now - timedelta(hours=1)
        b_slots = slots(2, 20, 100)
        self.confirm_round = round_of("mh-b", b_slots, opens=opened)
        c_slot = slots(1, 60, 200)
        self.gate_round = round_of("mh-c", c_slot, opens=opened)
        self.confirm_visitors = visitors[:120]
        for v in self.confirm_visitors:
            enter_round(self.confirm_round, v, choices=[s.pk for s in b_slots], now=opened)
        self.gate_visitors = visitors[120:170]
        for v in self.gate_visitors:
            enter_round(self.gate_round, v, choices=[c_slot[0].pk], now=opened)
        self.gate_slot = c_slot[0]
        draw_past(self.confirm_round)
        draw_past(self.gate_round)

    def schedule_entry_rounds(self) -> None:
        """The entry rounds open now and close one after another over the window
        (their times are sealed when they open, so they are set just before)."""
        from django.utils import timezone

        from tourdraw.lottery import rounds
        from tourdraw.lottery.models import Round

        now = timezone.now()
        for k, (round, _) in enumerate(self.entry_rounds):
            closes = now + timedelta(seconds=self.window * (k + 1) / self.rounds_open)
            Round.objects.filter(pk=round.pk).update(
                opens_at=now, closes_at=closes, draws_at=closes + timedelta(seconds=2)
            )
            round.refresh_from_db()
            rounds.open_round(round, now=now)  # unless a worker was quicker: the same

    def prepare_gate(self) -> list[tuple[str, str, list[int]]]:
        """After the workers drew the gate round: its winners confirm, and the
        session is moved to start in twenty minutes (so the gate is open)."""
        from django.utils import timezone

        from tourdraw.catalog.models import Slot
        from tourdraw.visits.models import Offer
        from tourdraw.visits.offers import confirm_offer
        from tourdraw.visits.tickets import payload

        offers = list(Offer.objects.filter(slot=self.gate_slot).select_related("entry"))
        for offer in offers:
            confirm_offer(offer, actor=None, accepted_rules=True, via="online")
        soon = timezone.now() + timedelta(minutes=20)
        Slot.objects.filter(pk=self.gate_slot.pk).update(
            starts_at=soon, ends_at=soon + timedelta(minutes=50)
        )
        # The gate takes the signed QR as scanned (a typed entry code is public);
        # signed after the move, so it names the session's day.
        tickets = []
        for offer in Offer.objects.filter(pk__in=[o.pk for o in offers]).select_related(
            "entry", "ticket", "slot"
        ):
            members = list(offer.entry.members.values_list("pk", flat=True))
            tickets.append((offer.entry.code, payload(offer.ticket), members))
        return tickets


def draw_past(round: Any) -> None:
    """Close a round whose time has passed, fetch its beacon from the run's chain
    and draw it, at the times they were due."""
    from tourdraw.lottery import beacon, drawing, rounds

    rounds.close_round(round, now=round.closes_at)
    due = max(datetime.fromtimestamp(beacon.beacon_time(round), UTC), round.draws_at)
    if not beacon.fetch_for(round, now=due):
        round.refresh_from_db()
        raise SystemExit(f"the beacon of {round.code} could not be fetched: {round.beacon_error}")
    drawing.draw_round(round, now=due)


def wait_drawn(codes: list[str], limit: float) -> None:
    from tourdraw.lottery.models import Round

    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        try:
            drawn = Round.objects.filter(code__in=codes, state=Round.State.DRAWN).count()
        except Exception:  # the database may be down for a while
            drawn = -1
            from django.db import connections

            connections.close_all()
        if drawn == len(codes):
            return
        time.sleep(1)
    raise SystemExit(f"rounds {codes} were not drawn within {limit:.0f} s")


class Load:
    """Client threads: entries, confirmations and declines, check-ins."""

    def __init__(self, platform: Platform, scenario: Scenario, stats: Stats, seconds: float):
        self.lb = platform.network.hosts["lb"]
        self.scenario, self.stats = scenario, stats
        self.until = time.monotonic() + seconds
        self.retry_until = self.until + 120  # a write in flight is retried past the end
        self.entries_left = [
            (vid, k) for k in range(len(scenario.entry_rounds)) for vid in scenario.visitor_ids
        ]
        random.shuffle(self.entries_left)
        self.offers_lock = threading.Lock()
        self.decided: set[str] = set()
        self.gate_tickets: list[tuple[str, str, list[int]]] = []

    def take(self) -> tuple[int, int] | None:
        with self.offers_lock:
            return self.entries_left.pop() if self.entries_left else None

    def enter(self) -> None:
        job = self.take()
        if job is None:
            return
        vid, k = job
        round, slot_ids = self.scenario.entry_rounds[k]
        if time.time() > round.closes_at.timestamp() - 1:
            return  # closed (or about to): a visitor would not try
        status, answer = write(
            self.stats,
            self.lb,
            "entry",
            f"/api/v1/rounds/{round.code}/entries",
            {"choices": [random.choice(slot_ids)], "companions": []},
            self.scenario.tokens[vid],
            self.retry_until,
        )
        if status == 201:
            with self.stats.lock:
                self.stats.acked["entry"].add(answer["code"])

    def decide(self, code: str, token: str) -> None:
        accept = random.random() < 0.7
        path = f"/api/v1/me/entries/{code}/" + ("confirm" if accept else "decline")
        kind = "confirm" if accept else "decline"
        body = {"accept_rules": True} if accept else {}
        status, _answer = write(self.stats, self.lb, kind, path, body, token, self.retry_until)
        if status == 200:
            with self.stats.lock:
                self.stats.acked[kind].add(code)

    def check_in(self) -> None:
        with self.offers_lock:
            if not self.gate_tickets:
                return
            code, scanned, members = self.gate_tickets.pop()
        path = f"/api/v1/operator/slots/{self.scenario.gate_slot.pk}/check-in"
        body = {"code": scanned, "members": members}
        status, _ = write(
            self.stats, self.lb, "check-in", path, body, self.scenario.staff_token, self.retry_until
        )
        if status == 200:
            with self.stats.lock:
                self.stats.acked["check-in"].add(code)

    def pending_offers(self) -> list[tuple[str, str]]:
        """Offers of the confirm round waiting for their winner (read by the
        'app', here straight from the database; none while it is down)."""
        from django.db import connections

        from tourdraw.visits.models import Offer

        try:
            rows = list(
                Offer.objects.filter(
                    entry__round=self.scenario.confirm_round, state=Offer.State.PENDING
                ).values_list("entry__code", "entry__visitor_id")
            )
        except Exception:  # the database is away: nothing to do now
            connections.close_all()
            return []
        return [(code, self.scenario.tokens[vid]) for code, vid in rows]

    def client(self, number: int) -> None:
        while time.monotonic() < self.until:
            roll = random.random()
            if roll < 0.7:
                self.enter()
            elif roll < 0.85:
                self.check_in()
            else:
                for code, token in self.pending_offers():
                    with self.offers_lock:
                        if code in self.decided:
                            continue
                        self.decided.add(code)
                    self.decide(code, token)
                    break
            time.sleep(self.scenario_pause())

    def scenario_pause(self) -> float:
        return 0.02

    def run(self, clients: int) -> list[threading.Thread]:
        threads = [threading.Thread(target=self.client, args=(n,)) for n in range(clients)]
        for thread in threads:
            thread.start()
        return threads


def drain_outbox(limit: float) -> None:
    from django.db import connections

    from tourdraw.notify.models import OutboxMessage

    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        try:
            if not OutboxMessage.objects.filter(state=OutboxMessage.State.PENDING).exists():
                return
        except Exception:
            connections.close_all()
        time.sleep(1)


def checks(stats: Stats, scenario: Scenario) -> list[tuple[str, bool, str]]:
    from django.db.models import Count

    from tourdraw.audit.models import LogEntry
    from tourdraw.catalog.models import Slot
    from tourdraw.lottery.models import Entry, Round
    from tourdraw.notify.models import OutboxMessage
    from tourdraw.visits import capacity
    from tourdraw.visits.models import CheckIn, Offer

    results = []
    acked = stats.acked["entry"]
    stored = set(Entry.objects.filter(code__in=acked).values_list("code", flat=True))
    results.append(("acknowledged entries stored", acked <= stored, f"{len(stored)}/{len(acked)}"))
    confirmed = stats.acked["confirm"]
    held = set(
        Offer.objects.filter(
            entry__code__in=confirmed, state=Offer.State.CONFIRMED, ticket__isnull=False
        ).values_list("entry__code", flat=True)
    )
    results.append(
        ("acknowledged confirmations stored", confirmed <= held, f"{len(held)}/{len(confirmed)}")
    )
    declined = stats.acked["decline"]
    gone = set(
        Offer.objects.filter(entry__code__in=declined, state=Offer.State.DECLINED).values_list(
            "entry__code", flat=True
        )
    )
    results.append(
        ("acknowledged declines stored", declined <= gone, f"{len(gone)}/{len(declined)}")
    )
    checked = stats.acked["check-in"]
    entered = set(
        CheckIn.objects.filter(ticket__offer__entry__code__in=checked).values_list(
            "ticket__offer__entry__code", flat=True
        )
    )
    results.append(
        ("acknowledged check-ins stored", checked <= entered, f"{len(entered)}/{len(checked)}")
    )
    # Not vacuous: a gate that refused every ticket would store none of 0.
    results.append(("check-ins acknowledged at all", bool(checked), f"{len(checked)}"))
    codes = [r.code for r, _ in scenario.entry_rounds] + ["mh-b", "mh-c"]
    drawn = Counter(
        dict(
            LogEntry.objects.filter(action="tourdraw.round.drawn", object_type="lottery.round")
            .values("object_id")
            .annotate(n=Count("pk"))
            .values_list("object_id", "n")
        )
    )
    ids = dict(Round.objects.filter(code__in=codes).values_list("code", "pk"))
    once = all(drawn.get(str(ids[code]), 0) == 1 for code in codes)
    states = Counter(Round.objects.filter(code__in=codes).values_list("state", flat=True))
    results.append(("every round drawn exactly once", once, f"{dict(states)}"))
    messages = Counter(OutboxMessage.objects.values_list("state", flat=True))
    sent_ids = {
        str(pk) for pk in OutboxMessage.objects.filter(state="sent").values_list("pk", flat=True)
    }
    with Gateway.lock:
        accepted = set(Gateway.accepted)
    results.append(
        (
            "every message sent at least once",
            messages.get("pending", 0) == 0 and messages.get("failed", 0) == 0,
            f"{dict(messages)}",
        )
    )
    results.append(
        (
            "no message marked sent that the gateway did not accept",
            sent_ids <= accepted,
            f"{len(sent_ids - accepted)} not accepted",
        )
    )
    slots = Slot.objects.filter(tour=scenario.tour)
    over = [s.pk for s in slots if capacity.promised_persons(s) > s.capacity]
    results.append(("over-capacity slots", not over, f"{len(over)}"))
    return results


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(int(q * len(ordered)), len(ordered) - 1)] * 1000


def report(stats: Stats, seconds: float, memory: dict[str, tuple[int, int]]) -> None:
    print(f"\n== load ({seconds:.0f} s)")
    print(f"{'request':10} {'ok':>6} {'req/s':>7} {'p50 ms':>8} {'p99 ms':>8}  answers")
    for kind in sorted(stats.outcomes):
        ok = sum(n for k, n in stats.outcomes[kind].items() if k in {"200", "201"})
        lat = stats.latency[kind]
        answers = ", ".join(f"{k}: {n}" for k, n in sorted(stats.outcomes[kind].items()))
        print(
            f"{kind:10} {ok:6d} {ok / seconds:7.1f} {percentile(lat, 0.5):8.1f} "
            f"{percentile(lat, 0.99):8.1f}  {answers}"
        )
    errors = sum(
        n
        for counts in stats.outcomes.values()
        for k, n in counts.items()
        if k.startswith(("retried-", "5", "0"))
    )
    print(f"errors of ours or of the network (each retried or counted): {errors}")
    for host, (start, end) in memory.items():
        print(f"{host} memory: {start / 1024:.1f} MiB at start, {end / 1024:.1f} MiB at the end")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=180, help="seconds of load")
    parser.add_argument("--soak", type=float, default=0, help="soak: seconds of load, no faults")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--prefix", default="td15", help="names of namespaces and links")
    parser.add_argument("--subnet", default="10.115.0", help="the hosts' /24")
    parser.add_argument("--keep", action="store_true", help="leave the hosts up at the end")
    args = parser.parse_args(argv)
    # Terminated (CI stops it when a suite fails): take the hosts down on the way out.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    if os.geteuid() != 0:
        print("multihost needs root (ip netns)", file=sys.stderr)
        return 2
    soak = args.soak > 0
    seconds = args.soak if soak else args.duration
    platform = Platform(args)
    stats = Stats()
    try:
        print(f"== hosts up ({platform.dir})", flush=True)
        platform.up()
        rounds = max(2, int(seconds // 60))
        scenario = Scenario(
            rounds=rounds, visitors=max(400, int(seconds * 4)), window=seconds * 0.8
        )
        platform.start_web("web1")
        platform.start_web("web2")
        platform.start_balancer()
        platform.wait_serving()
        # The data first: its past rounds are entered and drawn at their times,
        # which a worker, seeing them past their close, would not wait for.
        print("== data", flush=True)
        scenario.build()
        platform.start_worker("worker1")
        platform.start_worker("worker2")
        time.sleep(3)
        memory_start = {w: platform.network.rss_kib(w) for w in ("worker1", "worker2")}
        load = Load(platform, scenario, stats, seconds)
        load.gate_tickets = scenario.prepare_gate()
        scenario.schedule_entry_rounds()
        print(f"== load: {args.clients} clients for {seconds:.0f} s", flush=True)
        started = time.monotonic()
        threads = load.run(args.clients)
        if not soak:
            faults(platform, seconds)
        for thread in threads:
            thread.join()
        elapsed = time.monotonic() - started
        memory = {
            w: (memory_start[w], platform.network.rss_kib(w))
            for w in ("worker1", "worker2")
            if platform.network.pids(w)
        }
        print("== waiting for the last draws and messages", flush=True)
        # A round's beacon is the first drand round 10 minutes after it closes.
        wait_drawn([r.code for r, _ in scenario.entry_rounds], 900)
        drain_outbox(180)
        report(stats, elapsed, memory)
        print("\n== checks")
        failed = 0
        for name, ok, detail in checks(stats, scenario):
            failed += not ok
            print(f"{'PASS' if ok else 'FAIL'}  {name}: {detail}")
        return 1 if failed else 0
    finally:
        if not args.keep:
            platform.down()


def faults(platform: Platform, seconds: float) -> None:
    """The faults at fixed points of the run (what is checked does not depend on when)."""
    began = time.monotonic()

    def at(fraction: float) -> None:
        time.sleep(max(began + seconds * fraction - time.monotonic(), 0))

    at(0.2)
    print(f"   fault: web1 killed ({platform.network.kill('web1')} processes)", flush=True)
    at(0.35)
    print(f"   fault: worker1 killed ({platform.network.kill('worker1')} processes)", flush=True)
    at(0.5)
    platform.db.stop()
    print("   fault: PostgreSQL stopped (immediate, as by a crash)", flush=True)
    time.sleep(10)
    platform.db.start()
    print("   fault: PostgreSQL started again after 10 s", flush=True)


if __name__ == "__main__":
    sys.exit(main())
