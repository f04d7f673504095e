import logging
import signal
import time
from types import FrameType
from typing import Any

from django.core.management.base import BaseCommand
from django.db import close_old_connections
from django.utils import timezone
from django.utils.crypto import get_random_string
from django_tasks_db.management.commands.db_worker import Worker

from tourdraw.scheduler import run_due_transitions

logger = logging.getLogger("tourdraw.worker")


class Command(BaseCommand):
    help = "Run scheduled transitions (open, close rounds) and queued background tasks."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--interval", type=float, default=2.0, help="seconds between ticks")
        parser.add_argument("--once", action="store_true", help="run one tick, then exit")

    def handle(self, *args: Any, interval: float, once: bool, **options: Any) -> None:
        self.running = True
        signal.signal(signal.SIGINT, self.stop)
        signal.signal(signal.SIGTERM, self.stop)
        worker_id = get_random_string(32)
        logger.info("worker %s started", worker_id)
        while self.running:
            close_old_connections()
            done = run_due_transitions(timezone.now())
            if any(done.values()):
                logger.info("transitions: %s", done)
            Worker(
                queue_names=["*"],
                interval=0,
                batch=True,
                backend_name="default",
                startup_delay=False,
                max_tasks=None,
                worker_id=worker_id,
                excluded_queue_names=[],
            ).run()
            if once:
                break
            time.sleep(interval)
        logger.info("worker %s stopped", worker_id)

    def stop(self, signum: int, frame: FrameType | None) -> None:
        self.running = False
