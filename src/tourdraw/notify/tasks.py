from django_tasks import task

from tourdraw.notify import outbox


@task()
def deliver_message(message_id: int) -> bool:
    """Deliver one outbox message; harmless to run twice (it claims first)."""
    return outbox.deliver(message_id)
