import hashlib
from datetime import timedelta

from django.core.management import call_command
from django.utils import timezone

from tests.support import make_round
from tourdraw.audit.models import LogEntry
from tourdraw.lottery.models import Round
from tourdraw.scheduler import run_due_transitions


def test_opening_a_round_fixes_a_commitment_to_a_fresh_secret(db):
    round = make_round()
    assert round.state == Round.State.OPEN
    assert hashlib.sha256(bytes.fromhex(round.secret)).hexdigest() == round.commitment
    other = make_round(round.tour, code="second", slots=[])
    assert other.secret != round.secret


def test_the_worker_opens_and_closes_rounds_on_time(db):
    now = timezone.now()
    due = make_round(
        opens_at=now - timedelta(minutes=1), closes_at=now + timedelta(days=1), open_now=False
    )
    assert due.state == Round.State.SCHEDULED and due.commitment == ""
    assert run_due_transitions(now)["rounds_opened"] == 1
    due.refresh_from_db()
    assert due.state == Round.State.OPEN and len(due.commitment) == 64
    assert run_due_transitions(now + timedelta(days=1))["rounds_closed"] == 1
    due.refresh_from_db()
    assert due.state == Round.State.CLOSED


def test_a_repeated_tick_changes_nothing(db):
    now = timezone.now()
    make_round(opens_at=now - timedelta(minutes=1), open_now=False)
    run_due_transitions(now)
    commitment = Round.objects.get().commitment
    assert not any(run_due_transitions(now).values())
    assert Round.objects.get().commitment == commitment
    assert LogEntry.objects.filter(action="tourdraw.round.opened").count() == 1


def test_the_worker_command_runs_one_tick(transactional_db):
    now = timezone.now()
    make_round(opens_at=now - timedelta(minutes=1), open_now=False)
    call_command("worker", "--once")
    assert Round.objects.get().state == Round.State.OPEN
