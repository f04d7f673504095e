"""A rendezvous that makes a race certain instead of likely.

The concurrency tests run one scenario twice: with the product's locks and with
them off (the control, which must show the race). Sleeping to widen the window
made the control depend on the machine's speed: under load the threads did not
overlap and the control failed. Instead, the function that reads what is
available is wrapped so that every thread, once it has read, waits at a
barrier for all the threads expected to read:

- lock off: every reader meets the others there, so all of them have read
  before any of them writes; the race happens on every run;
- lock on: the lock lets one reader in at a time, so the barrier can never
  fill; it times out, breaks, and from then on no one waits. Correctness there
  rests on the lock alone, never on when the timeout fires.

The same harness runs in both; only the lock differs. ``one_at_a_time`` adds a
turnstile after the barrier: each reader then finishes its transaction (the
thread calls :meth:`Rendezvous.finished` once its action has returned, that is
after the commit) before the next one goes on, for races where a stale read
must meet another thread's committed write.
"""

import threading
from collections.abc import Callable
from typing import Any

# Generous: in the control run every reader must arrive within it even on a
# loaded machine. In the locked run it is waited out once (then the barrier is
# broken), which costs time but never decides the outcome.
RENDEZVOUS_TIMEOUT = 15.0


class Rendezvous:
    def __init__(
        self, parties: int, *, one_at_a_time: bool = False, timeout: float = RENDEZVOUS_TIMEOUT
    ) -> None:
        self._barrier = threading.Barrier(parties, timeout=timeout)
        self._timeout = timeout
        self._turnstile = threading.Lock() if one_at_a_time else None
        self._holder = threading.local()
        self._count = threading.Lock()
        self.reads = 0
        self.met = 0

    def wrap(self, read: Callable[..., Any]) -> Callable[..., Any]:
        """``read``, followed by the rendezvous."""

        def reading(*args: Any, **kwargs: Any) -> Any:
            result = read(*args, **kwargs)
            self.arrive()
            return result

        return reading

    def arrive(self) -> None:
        with self._count:
            self.reads += 1
        try:
            self._barrier.wait()
        except threading.BrokenBarrierError:
            pass  # timed out (the lock serialised the readers): go on
        else:
            with self._count:
                self.met += 1
        if self._turnstile is not None and not getattr(self._holder, "inside", False):
            # Bounded too, so a mistake in a scenario ends the test instead of hanging it.
            self._holder.inside = self._turnstile.acquire(timeout=self._timeout * 4)

    def finished(self) -> None:
        """Call from the thread, after its action returned (committed or failed)."""
        if self._turnstile is not None and getattr(self._holder, "inside", False):
            self._holder.inside = False
            self._turnstile.release()

    @property
    def all_met(self) -> bool:
        """Every expected reader read before any went on (the barrier filled)."""
        return self.met == self._barrier.parties


def at_once(action: Callable[[], Any], threads: int = 2) -> tuple[list[Any], list[str]]:
    """Run ``action`` in ``threads`` threads released together: what the calls
    returned and the errors they raised (as ``repr``), in no set order. Each
    thread closes its database connections when done."""
    from django.db import connections

    barrier = threading.Barrier(threads)
    results: list[Any] = []
    failures: list[str] = []

    def run() -> None:
        try:
            barrier.wait()
            results.append(action())
        except Exception as error:  # returned to the test, which asserts on it
            failures.append(repr(error))
        finally:
            connections.close_all()

    started = [threading.Thread(target=run) for _ in range(threads)]
    for thread in started:
        thread.start()
    for thread in started:
        thread.join()
    return results, failures
