"""One duty of the worker, run so that its failure stays its own.

A duty that raises is logged, recorded for the health report and tried again
after a backoff counted from the moment it failed (2, 4, 8 ... seconds, capped);
whatever broke (a database outage, a race, a bug) never stops the other duties
or the process. Every transition is a compare-and-set in its service, so a try
that failed halfway is safe to repeat.
"""

import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import close_old_connections
from django.db.models import F
from django.utils import timezone

from tourdraw.worker.models import DutyStatus

logger = logging.getLogger("tourdraw.worker")

# A duty's success is written at most this often (seconds); a failure at once.
RECORD_EVERY = 15.0


def backoff(failures: int) -> float:
    """Seconds to wait after the ``failures``-th failure in a row."""
    cap = settings.TOURDRAW_WORKER_MAX_BACKOFF.total_seconds()
    return float(min(2.0**failures, cap))


@dataclass
class Duty:
    name: str
    run: Callable[[datetime], int]
    clock: Callable[[], float] = time.monotonic
    failures: int = 0
    due_at: float = 0.0
    recorded_at: float = -math.inf

    def tick(self) -> int | None:
        """Run the duty unless it is backing off; what it did, or None when it
        did not run or failed."""
        if self.clock() < self.due_at:
            return None
        try:
            # A connection broken by an outage is dropped here and opened anew.
            close_old_connections()
            done = self.run(timezone.now())
        except Exception as error:  # the duty's failure, never the worker's
            self._failed(error)
            return None
        self._succeeded()
        return done

    def _failed(self, error: Exception) -> None:
        self.failures += 1
        delay = backoff(self.failures)
        self.due_at = self.clock() + delay
        logger.error(
            "duty %s failed (%d in a row), next try in %.0f s",
            self.name,
            self.failures,
            delay,
            exc_info=error,
        )
        record(self.name, failure=error)
        self.recorded_at = -math.inf

    def _succeeded(self) -> None:
        recovered = self.failures > 0
        self.failures, self.due_at = 0, 0.0
        if recovered or self.clock() - self.recorded_at >= RECORD_EVERY:
            record(self.name)
            self.recorded_at = self.clock()


def record(name: str, *, failure: Exception | None = None) -> None:
    """Write how a duty fared where every worker's report meets (the database);
    when the database is what failed, the log has to do."""
    now = timezone.now()
    values: dict[str, object] = (
        {"last_success_at": now, "failures": 0}
        if failure is None
        else {
            "last_failure_at": now,
            "last_error": type(failure).__name__[:200],
            "failures": F("failures") + 1,
        }
    )
    try:
        if not DutyStatus.objects.filter(name=name).update(**values):
            DutyStatus.objects.get_or_create(name=name)
            DutyStatus.objects.filter(name=name).update(**values)
    except Exception as error:  # a report that cannot be written must not stop the duty
        logger.warning("could not record duty %s: %s", name, error)
