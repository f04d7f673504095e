"""The outbox: messages recorded with the change they report, delivered after.

``enqueue`` must run inside the transaction of the change, so that a message
exists if and only if the change was committed. Delivery happens afterwards,
at least once: a relay claims a message with a compare-and-set, sends it, and
marks it sent; if the process dies in between, the claim lapses and the
message is sent again (each carries its outbox id so a gateway can drop the
repeat).
"""

import logging
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from tourdraw.db import insert_rows
from tourdraw.notify.channels import DeliveryError, Message, channel_for
from tourdraw.notify.models import OutboxMessage
from tourdraw.people import crypto

logger = logging.getLogger("tourdraw.notify")

CLAIM = timedelta(minutes=2)


def enqueue(
    kind: str,
    to: str,
    body: str,
    *,
    topic: str,
    language: str,
    subject: str = "",
    about: models.Model | None = None,
    now: datetime | None = None,
) -> OutboxMessage:
    from tourdraw.notify.tasks import deliver_message

    now = now or timezone.now()
    message = OutboxMessage.objects.create(
        kind=kind,
        to=to,
        subject=subject,
        body=body,
        language=language,
        topic=topic,
        object_type=about._meta.label_lower if about is not None else "",
        object_id=str(about.pk) if about is not None else "",
        next_attempt_at=now,
        created_at=now,
    )
    # The task row is written in this same transaction (database task backend),
    # so a worker picks the message up at once; the relay sweep is the safety net.
    deliver_message.enqueue(message.pk)
    return message


def enqueue_with_email(
    kind: str,
    to: str,
    email: str,
    body: str,
    *,
    subject: str,
    topic: str,
    language: str,
    about: models.Model | None = None,
) -> list[OutboxMessage]:
    """``enqueue`` the message, and the same by e-mail (with ``subject``) if the
    person gave an address: one row per channel, in the change's transaction."""
    sent = [enqueue(kind, to, body, topic=topic, language=language, about=about)]
    if email:
        sent.append(
            enqueue(
                "email", email, body, topic=topic, language=language, subject=subject, about=about
            )
        )
    return sent


# (kind, to, body, topic, language, object type, object id, subject)
Outgoing = tuple[str, str, str, str, str, str, str, str]


def enqueue_many(messages: Iterable[Outgoing], *, now: datetime) -> None:
    """Enqueue messages with one bulk insert, for the thousands of winners of
    one draw, inside its transaction. No task is queued per message: the
    relay's sweep sends them."""
    # The bulk insert skips the field's own encryption; a winner's call and text
    # go to one number, sealed once for both.
    sealed: dict[str, str] = {}

    def seal(to: str) -> str:
        if to not in sealed:
            sealed[to] = crypto.encrypt(to)
        return sealed[to]

    insert_rows(
        OutboxMessage,
        # The state, the attempts and the rest take the model's defaults.
        [
            "kind",
            "to",
            "subject",
            "body",
            "language",
            "topic",
            "object_type",
            "object_id",
            "next_attempt_at",
            "created_at",
        ],
        (
            (kind, seal(to), subject, body, language, topic, object_type, object_id, now, now)
            for kind, to, body, topic, language, object_type, object_id, subject in messages
        ),
    )


def backoff(attempts: int) -> timedelta:
    return min(timedelta(seconds=30) * 2 ** max(attempts - 1, 0), timedelta(hours=1))


def deliver(message_id: int, *, now: datetime | None = None) -> bool:
    """Send one message if it is due and nobody else holds it; True if sent.

    Any failure of the channel, even one it does not classify (a malformed
    answer, a bug), counts as an attempt: the message waits its backoff from
    the moment it failed and is marked failed after its attempts, instead of
    being left pending to fail the relay again.
    """
    now = now or timezone.now()
    claimed = OutboxMessage.objects.filter(
        Q(claimed_until__isnull=True) | Q(claimed_until__lt=now),
        pk=message_id,
        state=OutboxMessage.State.PENDING,
        next_attempt_at__lte=now,
    ).update(claimed_until=now + CLAIM, attempts=F("attempts") + 1)
    if not claimed:
        return False
    message = OutboxMessage.objects.get(pk=message_id)
    try:
        channel_for(message.kind).send(
            Message(
                kind=message.kind,
                to=message.to,
                body=message.body,
                subject=message.subject,
                id=str(message.pk),
            )
        )
    except Exception as error:  # every failure is the message's, never the relay's
        _failed(message, error, now)
        return False
    OutboxMessage.objects.filter(pk=message_id).update(
        state=OutboxMessage.State.SENT, sent_at=timezone.now(), claimed_until=None, last_error=""
    )
    return True


def _failed(message: OutboxMessage, error: Exception, now: datetime) -> None:
    # The backoff counts from the failure, not from the relay's tick: a send
    # that failed slowly, or late in a long tick, must not be retried early.
    failed_at = max(now, timezone.now())
    gave_up = message.attempts >= settings.TOURDRAW_OUTBOX_MAX_ATTEMPTS
    reason = str(error) if isinstance(error, DeliveryError) else f"{type(error).__name__}: {error}"
    OutboxMessage.objects.filter(pk=message.pk).update(
        state=OutboxMessage.State.FAILED if gave_up else OutboxMessage.State.PENDING,
        next_attempt_at=failed_at + backoff(message.attempts),
        claimed_until=None,
        last_error=reason[:2000],
    )
    log = logger.warning if isinstance(error, DeliveryError) else logger.error
    log("message %s (%s) not delivered: %s", message.pk, message.topic, reason)


def due_ids(now: datetime, *, limit: int, skip: Iterable[int] = ()) -> list[int]:
    """Due messages nobody holds, oldest first (``skip``: those this relay is sending)."""
    due = OutboxMessage.objects.filter(
        Q(claimed_until__isnull=True) | Q(claimed_until__lt=now),
        state=OutboxMessage.State.PENDING,
        next_attempt_at__lte=now,
    ).order_by("next_attempt_at", "pk")
    skip = list(skip)
    if skip:
        due = due.exclude(pk__in=skip)
    return list(due.values_list("pk", flat=True)[:limit])


def relay_due(now: datetime, *, limit: int = 200) -> int:
    """Deliver every due message (first tries that no task ran, and retries), one
    after the other; the worker's relay sends them concurrently instead."""
    return sum(deliver(pk, now=now) for pk in due_ids(now, limit=limit))
