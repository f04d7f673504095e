"""What the worker does on every tick: the time-driven transitions.

Each transition is a compare-and-set in its service, so two workers ticking
at once, or a tick repeated after a crash, change each round, offer or
message only once. Each is a duty of its own in the worker
(``tourdraw.worker``): one failing is retried after a backoff and never holds
up the others. Messages are sent by the worker's relay, apart from these.
"""

from collections.abc import Callable
from datetime import datetime

from tourdraw.api import idempotency
from tourdraw.lottery import beacon, drawing, rounds
from tourdraw.notify import outbox
from tourdraw.people import retention
from tourdraw.visits import gate, offers

DUTIES: dict[str, Callable[[datetime], int]] = {
    "rounds_opened": rounds.open_due_rounds,
    "rounds_closed": rounds.close_due_rounds,
    "beacons_fetched": beacon.fetch_due_beacons,
    "rounds_drawn": drawing.draw_due_rounds,
    "offers_expired": offers.expire_due_offers,
    "offers_reminded": offers.remind_due_offers,
    "no_shows": gate.mark_no_shows,
    "idempotency_keys_pruned": idempotency.prune_expired,
    "people_erased": retention.run_duties,
}


def run_due_transitions(now: datetime) -> dict[str, int]:
    """Every duty once, one after the other, then the due messages sent."""
    done = {name: run(now) for name, run in DUTIES.items()}
    done["messages_sent"] = outbox.relay_due(now, limit=1000)
    return done
