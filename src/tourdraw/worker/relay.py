"""The worker's outbox relay: due messages sent concurrently, each on its own.

At most ``TOURDRAW_RELAY_CONCURRENCY`` messages are in flight; each waits for
its gateway no longer than ``TOURDRAW_RELAY_DEADLINE`` (the channel's timeout).
The relay's own loop never waits on a send, so a hanging gateway holds only
the senders it hangs, and the scheduled duties run in another thread anyway.
"""

import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

from django.db import close_old_connections

from tourdraw.notify import outbox

logger = logging.getLogger("tourdraw.worker")


class Relay:
    def __init__(self, concurrency: int) -> None:
        self.concurrency = concurrency
        self.pool = ThreadPoolExecutor(concurrency, thread_name_prefix="tourdraw-relay")
        self.sending: set[int] = set()
        self.lock = threading.Lock()

    def __call__(self, now: datetime) -> int:
        """Hand due messages to free senders; how many were handed."""
        with self.lock:
            room = self.concurrency - len(self.sending)
            busy = set(self.sending)
        if room <= 0:
            return 0
        handed = outbox.due_ids(now, limit=room, skip=busy)
        for pk in handed:
            with self.lock:
                self.sending.add(pk)
            self.pool.submit(self._send, pk)
        return len(handed)

    def _send(self, pk: int) -> None:
        try:
            close_old_connections()
            outbox.deliver(pk)
        except Exception:  # e.g. the database went away; the claim lapses, it is sent again
            logger.exception("relay could not finish message %s", pk)
        finally:
            with self.lock:
                self.sending.discard(pk)

    def wait(self) -> None:
        """Let the messages in flight finish (each within its deadline)."""
        self.pool.shutdown(wait=True)
