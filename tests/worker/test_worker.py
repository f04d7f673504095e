"""The worker keeps going: a duty's failure, a database outage or a hanging
gateway stays where it happened, and /health/ says how each duty fares."""

import os
import subprocess
import sys
import threading
import time
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.db import connection, transaction
from django.utils import timezone

from tests import support
from tourdraw import scheduler
from tourdraw.lottery.models import Round
from tourdraw.notify import outbox
from tourdraw.notify.models import OutboxMessage
from tourdraw.worker.duties import Duty
from tourdraw.worker.models import DutyStatus
from tourdraw.worker.process import WorkerProcess


def _due_round_and_message() -> Round:
    """A round due to open and a message due to be sent."""
    now = timezone.now()
    round = support.make_round(
        opens_at=now - timedelta(minutes=1), closes_at=now + timedelta(days=1), open_now=False
    )
    with transaction.atomic():
        outbox.enqueue("sms", "+8613900000001", "hello", topic="test", language="en")
    return round


@pytest.mark.parametrize("broken", list(scheduler.DUTIES))
def test_a_failing_duty_leaves_the_others_running(transactional_db, monkeypatch, sent, broken):
    def explode(now):
        raise RuntimeError(f"{broken} broke")

    monkeypatch.setitem(scheduler.DUTIES, broken, explode)
    round = _due_round_and_message()
    done = WorkerProcess(worker_id="test", interval=1).run_once()
    assert done[broken] is None
    round.refresh_from_db()
    if broken != "rounds_opened":
        assert round.state == Round.State.OPEN
    assert [m.body for m in sent] == ["hello"]
    failed = DutyStatus.objects.get(name=broken)
    assert (failed.failures, failed.last_error, failed.last_success_at) == (1, "RuntimeError", None)
    assert (
        DutyStatus.objects.exclude(name=broken).filter(last_success_at__isnull=False).count()
        == len(scheduler.DUTIES) + 1
    )


def test_a_failed_duty_backs_off_from_its_failure_then_recovers(transactional_db):
    clock = [100.0]
    calls = []

    def flaky(now):
        calls.append(clock[0])
        clock[0] += 5  # the failure takes five seconds to come
        if len(calls) < 3:
            raise ConnectionError("database away")
        return 1

    duty = Duty("flaky", flaky, clock=lambda: clock[0])
    assert duty.tick() is None  # fails at 105: next try 2 s after that
    clock[0] = 106
    assert duty.tick() is None and len(calls) == 1  # 1 s after the failure: still waiting
    clock[0] = 107
    assert duty.tick() is None and len(calls) == 2  # fails at 112: next after 4 s
    clock[0] = 115
    assert duty.tick() is None and len(calls) == 2
    clock[0] = 116
    assert duty.tick() == 1
    status = DutyStatus.objects.get(name="flaky")
    assert status.failures == 0 and status.last_success_at is not None


def _admin(sql: str, *params: str) -> None:
    import psycopg

    with psycopg.connect("host=127.0.0.1 user=postgres dbname=postgres", autocommit=True) as c:
        c.execute(sql, params)


@pytest.mark.postgres
def test_the_worker_survives_a_database_outage_and_carries_on(transactional_db, sent):
    from django.core.management import call_command

    round = _due_round_and_message()
    name = connection.settings_dict["NAME"]
    connection.close()
    # The outage: the database refuses new connections and drops the open ones.
    _admin(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
    try:
        _admin("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", name)
        call_command("worker", "--once")  # every duty fails; the worker does not
    finally:
        _admin(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
    connection.close()
    assert Round.objects.get(pk=round.pk).state == Round.State.SCHEDULED
    call_command("worker", "--once")
    assert Round.objects.get(pk=round.pk).state == Round.State.OPEN
    assert [m.body for m in sent] == ["hello"]


def _worker_command(**env: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "tourdraw", "worker", "--once"]
    return subprocess.run(
        command, env={**os.environ, **env}, capture_output=True, text=True, timeout=120
    )


def test_tourdraw_worker_exits_non_zero_only_on_a_configuration_error(tmp_path):
    # No database at all (nothing listens there): an outage, not a configuration error.
    outage = _worker_command(
        DATABASE_URL="postgres://postgres@127.0.0.1:9/none", TOURDRAW_DATA_DIR=str(tmp_path)
    )
    assert outage.returncode == 0, outage.stderr
    assert "duty rounds_opened failed" in outage.stderr
    misconfigured = _worker_command(
        TOURDRAW_SMS_CHANNEL="tourdraw.notify.channels.NoSuchChannel",
        TOURDRAW_DATA_DIR=str(tmp_path),
    )
    assert misconfigured.returncode != 0
    assert "sms channel cannot be loaded" in misconfigured.stderr


class _HangingGateway(BaseHTTPRequestHandler):
    """Takes each message and answers nothing until the test lets it go."""

    release = threading.Event()
    holding = 0
    lock = threading.Lock()

    def do_POST(self) -> None:
        with _HangingGateway.lock:
            _HangingGateway.holding += 1
        # Held for the whole test (the test lets it go in its finally), however
        # slow the machine: a bound here could let messages through mid-test.
        _HangingGateway.release.wait(3600)
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


def _eventually(condition, within: float = 120.0) -> bool:
    limit = time.monotonic() + within
    while not condition():
        if time.monotonic() > limit:
            return False
        time.sleep(0.1)
    return True


def test_a_hanging_gateway_does_not_delay_a_due_close(transactional_db, settings):
    server = ThreadingHTTPServer(("127.0.0.1", 0), _HangingGateway)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    _HangingGateway.release.clear()
    _HangingGateway.holding = 0
    settings.TOURDRAW_CHANNELS = dict.fromkeys(
        ("sms", "voice", "email"), "tourdraw.notify.channels.WebhookChannel"
    )
    settings.TOURDRAW_WEBHOOK_URL = f"http://127.0.0.1:{server.server_port}/sms"
    # Longer than the test may ever take: a close that waited for the relay
    # would wait for the gateway, which answers only once the test is over.
    settings.TOURDRAW_RELAY_DEADLINE = timedelta(hours=1)
    settings.TOURDRAW_RELAY_CONCURRENCY = 4
    now = timezone.now()
    round = support.make_round(closes_at=now + timedelta(days=1))
    outbox.enqueue_many(
        [("sms", f"+86139{n:08d}", "hi", "test", "en", "", "", "") for n in range(20)], now=now
    )
    worker = WorkerProcess(worker_id="test", interval=0.2)
    thread = threading.Thread(target=worker.run)
    thread.start()
    try:
        # Polls are bounded by a generous wall-clock limit, not by a count of
        # sleeps, so a loaded machine only makes them slower.
        assert _eventually(lambda: _HangingGateway.holding >= 4)  # every sender is stuck
        due = timezone.now()
        # The close time arrives now; an opened round's closes_at is sealed
        # (PostgreSQL refuses the edit), so move it as the clock would, past the
        # guards, instead of waiting for a real close time.
        with support.past_the_database_guards():
            Round.objects.filter(pk=round.pk).update(closes_at=due)
        assert _eventually(lambda: Round.objects.get(pk=round.pk).state == Round.State.CLOSED)
        round.refresh_from_db()
        assert round.state == Round.State.CLOSED
        # The claim ("not delayed by more than a few seconds"), with room
        # for a loaded machine: the worker ticks every 0.2 s. What does not depend
        # on speed is the next check: the gateway never answered during the test.
        assert support.present(round.closed_at) - due < timedelta(seconds=10)
        # Closed while the gateway still held every message it had taken.
        assert OutboxMessage.objects.filter(state=OutboxMessage.State.SENT).count() == 0
    finally:
        worker.stop()
        _HangingGateway.release.set()
        thread.join(timeout=120)
        server.shutdown()
    assert not thread.is_alive()


def test_health_reports_each_duty_and_the_outbox(transactional_db, client, settings):
    _due_round_and_message()
    WorkerProcess(worker_id="test", interval=1).run_once()
    healthy = client.get("/health/")
    assert healthy.status_code == 200
    report = healthy.json()
    assert report["status"] == "ok"
    assert set(report["duties"]) == {*scheduler.DUTIES, "relay", "tasks"}
    assert all(duty["last_success"] for duty in report["duties"].values())
    assert report["outbox"]["pending"] == 0
    # A message due two hours ago and still not sent: the relay is not keeping up.
    two_hours_ago = timezone.now() - timedelta(hours=2)
    with transaction.atomic():
        outbox.enqueue("sms", "+8613900000001", "late", topic="t", language="en", now=two_hours_ago)
    late = client.get("/health/")
    assert late.status_code == 503
    assert late.json()["outbox"]["oldest_due_seconds"] >= 7200
    OutboxMessage.objects.all().delete()
    # A duty that has not succeeded for longer than allowed.
    DutyStatus.objects.filter(name="rounds_closed").update(last_success_at=two_hours_ago)
    stale = client.get("/health/")
    assert stale.status_code == 503
    assert stale.json()["duties"]["rounds_closed"]["ok"] is False
