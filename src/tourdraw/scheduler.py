"""What the worker does on every tick: the time-driven transitions.

Each transition is a compare-and-set in its service, so two workers ticking
at once, or a tick repeated after a crash, change each round only once.
"""

from datetime import datetime

from tourdraw.lottery import drawing, rounds


def run_due_transitions(now: datetime) -> dict[str, int]:
    return {
        "rounds_opened": rounds.open_due_rounds(now),
        "rounds_closed": rounds.close_due_rounds(now),
        "rounds_drawn": drawing.draw_due_rounds(now),
    }
