"""What the worker does on every tick: the time-driven transitions.

Each transition is a compare-and-set in its service, so two workers ticking
at once, or a tick repeated after a crash, change each round, offer or
message only once. Messages are also queued as tasks when written; the relay
here sends what no task did (retries, bulk notices, a crashed worker's).
"""

from datetime import datetime

from tourdraw.lottery import beacon, drawing, rounds
from tourdraw.notify import outbox
from tourdraw.visits import gate, offers


def run_due_transitions(now: datetime) -> dict[str, int]:
    return {
        "rounds_opened": rounds.open_due_rounds(now),
        "rounds_closed": rounds.close_due_rounds(now),
        "beacons_fetched": beacon.fetch_due_beacons(now),
        "rounds_drawn": drawing.draw_due_rounds(now),
        "offers_expired": offers.expire_due_offers(now),
        "offers_reminded": offers.remind_due_offers(now),
        "no_shows": gate.mark_no_shows(now),
        "messages_sent": outbox.relay_due(now, limit=1000),
    }
