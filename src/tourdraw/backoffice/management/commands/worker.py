import logging
import signal
from types import FrameType
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError
from django.utils.crypto import get_random_string

from tourdraw.worker.process import WorkerProcess, check_configuration

logger = logging.getLogger("tourdraw.worker")


class Command(BaseCommand):
    help = (
        "Run the scheduled transitions (open, close, draw, expire, remind, no-shows), "
        "the outbox relay and the queued background tasks until stopped."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--interval", type=float, default=2.0, help="seconds between ticks")
        parser.add_argument("--once", action="store_true", help="run each duty once, then exit")

    def handle(self, *args: Any, interval: float, once: bool, **options: Any) -> None:
        # Only a configuration error ends the worker with a failure; everything
        # else (an outage, a bug in one duty) is logged and retried.
        try:
            check_configuration()
        except ImproperlyConfigured as error:
            raise CommandError(str(error)) from error
        worker_id = get_random_string(32)
        self.process = WorkerProcess(worker_id=worker_id, interval=interval)
        logger.info("worker %s started", worker_id)
        if once:
            done = self.process.run_once()
            logger.info("worker %s ran once: %s", worker_id, done)
            return
        signal.signal(signal.SIGINT, self.stop)
        signal.signal(signal.SIGTERM, self.stop)
        self.process.run()
        logger.info("worker %s stopped", worker_id)

    def stop(self, signum: int, frame: FrameType | None) -> None:
        self.process.stop()
