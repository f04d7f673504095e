"""The worker's task loop runs django_tasks_db's own worker class.

Its public entry, the ``db_worker`` command, installs signal handlers (which
only a process's main thread may do) and resets the task loggers' levels, so
``tourdraw.worker.process.task_queue`` builds the command's ``Worker`` itself.
These tests pin that class: they fail when an upgrade changes it."""

import inspect

from django.db import transaction
from django.utils import timezone
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult

from tourdraw.notify import outbox
from tourdraw.notify.models import OutboxMessage
from tourdraw.worker.process import task_queue


def test_django_tasks_dbs_worker_takes_the_arguments_the_task_loop_passes() -> None:
    assert list(inspect.signature(Worker).parameters) == [
        "queue_names",
        "interval",
        "batch",
        "backend_name",
        "startup_delay",
        "max_tasks",
        "worker_id",
        "excluded_queue_names",
    ]


def test_one_pass_of_the_task_loop_runs_a_queued_delivery_and_returns(
    transactional_db: None,
) -> None:
    with transaction.atomic():
        message = outbox.enqueue("sms", "+8613900000001", "hello", topic="test", language="en")
    task = DBTaskResult.objects.get()
    assert task.args_kwargs["args"] == [message.pk]
    task_queue("pin-worker")(timezone.now())
    task.refresh_from_db()
    assert task.status == "SUCCESSFUL" and task.worker_ids == ["pin-worker"]
    message.refresh_from_db()
    assert message.state == OutboxMessage.State.SENT
