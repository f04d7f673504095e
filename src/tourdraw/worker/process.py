"""The worker process: three loops in their own threads, none waiting on another.

- the schedule: the time-driven transitions of ``tourdraw.scheduler``, each a
  :class:`Duty` of its own;
- the relay: due outbox messages, sent concurrently (:mod:`tourdraw.worker.relay`);
- the tasks: the database task queue (django_tasks_db's worker), where each
  message written is also queued for a prompt first delivery.

Nothing is kept in the process that another worker needs: claims, states and
the health report are in the database, so any number of workers on any number
of hosts can run side by side.
"""

import logging
import threading
from collections.abc import Callable
from datetime import datetime

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import connections
from django_tasks_db.management.commands.db_worker import Worker

from tourdraw import scheduler
from tourdraw.notify.channels import channel_for
from tourdraw.worker.duties import Duty
from tourdraw.worker.relay import Relay

logger = logging.getLogger("tourdraw.worker")

TASKS_PER_TICK = 200


def check_configuration() -> None:
    """Refuse to start on settings no retry can mend (the one reason to exit non-zero)."""
    if settings.TOURDRAW_RELAY_CONCURRENCY < 1:
        raise ImproperlyConfigured("TOURDRAW_RELAY_CONCURRENCY must be at least 1.")
    if settings.TOURDRAW_RELAY_DEADLINE.total_seconds() < 1:
        raise ImproperlyConfigured("TOURDRAW_RELAY_DEADLINE_SECONDS must be at least 1.")
    for kind in ("sms", "voice", "email"):
        try:
            channel_for(kind)
        except (ImportError, KeyError) as error:
            raise ImproperlyConfigured(f"The {kind} channel cannot be loaded: {error}") from error
    webhooks = any(p.endswith("WebhookChannel") for p in settings.TOURDRAW_CHANNELS.values())
    if webhooks and not settings.TOURDRAW_WEBHOOK_URL:
        raise ImproperlyConfigured("A webhook channel needs TOURDRAW_WEBHOOK_URL.")


def task_queue(worker_id: str) -> Callable[[datetime], int]:
    """One pass over the database task queue, by django_tasks_db's own worker.

    Its ``db_worker`` command would install signal handlers, which only the main
    thread may do, so the command's ``Worker`` is built here;
    tests/worker/test_task_queue.py fails when that class changes."""

    def run(now: datetime) -> int:
        Worker(
            queue_names=["*"],
            interval=0,
            batch=True,
            backend_name="default",
            startup_delay=False,
            max_tasks=TASKS_PER_TICK,
            worker_id=worker_id,
            excluded_queue_names=[],
        ).run()
        return 0

    return run


class WorkerProcess:
    def __init__(self, *, worker_id: str, interval: float) -> None:
        self.interval = interval
        self.stopping = threading.Event()
        self.relay = Relay(settings.TOURDRAW_RELAY_CONCURRENCY)
        self.loops = {
            "schedule": [Duty(name, run) for name, run in scheduler.DUTIES.items()],
            "relay": [Duty("relay", self.relay)],
            "tasks": [Duty("tasks", task_queue(worker_id))],
        }

    def run(self) -> None:
        """Until :meth:`stop`: the schedule in this thread, the others beside it."""
        threads = [
            threading.Thread(target=self.loop, args=(duties,), name=f"tourdraw-{name}")
            for name, duties in self.loops.items()
            if name != "schedule"
        ]
        for thread in threads:
            thread.start()
        try:
            self.loop(self.loops["schedule"])
        finally:
            self.stopping.set()
            for thread in threads:
                thread.join()
            self.relay.wait()

    def run_once(self) -> dict[str, int | None]:
        """Each duty once, in order (the schedule, then the tasks and the relay),
        and the messages handed to the relay sent; what each did."""
        done = {duty.name: duty.tick() for duty in self.loops["schedule"]}
        done.update({duty.name: duty.tick() for duty in self.loops["tasks"]})
        done.update({duty.name: duty.tick() for duty in self.loops["relay"]})
        self.relay.wait()
        return done

    def loop(self, duties: list[Duty]) -> None:
        while not self.stopping.is_set():
            for duty in duties:
                done = duty.tick()
                if done:
                    logger.info("%s: %s", duty.name, done)
            self.stopping.wait(self.interval)
        connections.close_all()  # this thread's own

    def stop(self) -> None:
        self.stopping.set()
