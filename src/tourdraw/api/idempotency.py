"""The life of an ``Idempotency-Key``: claimed by its first request, answered
again to its repeats, released when its request died, forgotten when old.

- A request holds its key under a lease (``TOURDRAW_IDEMPOTENCY_LEASE``,
  longer than any request may run: gunicorn's timeout, the statement
  timeout). A request that died without an answer (its worker killed, the
  database gone) leaves the key held; once the lease has run out, a retry with
  the same request takes the key over and runs.
- A key is kept for ``TOURDRAW_IDEMPOTENCY_TTL``; after that it is as if never
  used, and the worker prunes it.

Taking a key over is a compare-and-set on the row as it was read, so of two
retries racing for a dead key only one runs.
"""

from datetime import datetime

from django.conf import settings
from django.db import IntegrityError, transaction

from tourdraw.api.models import IdempotencyKey


def claim(
    owner: str, key: str, fingerprint: str, now: datetime
) -> tuple[IdempotencyKey | None, IdempotencyKey | None]:
    """(the key's record, now this request's to run; or None and the earlier
    record that decides the answer: a replay, a conflict or "in progress")."""
    lease = now + settings.TOURDRAW_IDEMPOTENCY_LEASE
    try:
        with transaction.atomic():
            record = IdempotencyKey.objects.create(
                owner=owner, key=key, request_hash=fingerprint, created_at=now, leased_until=lease
            )
        return record, None
    except IntegrityError:
        earlier = IdempotencyKey.objects.filter(owner=owner, key=key).first()
    if earlier is None:  # pruned between our insert and our read: it was expired anyway
        return claim(owner, key, fingerprint, now)
    expired = earlier.created_at <= now - settings.TOURDRAW_IDEMPOTENCY_TTL
    abandoned = (
        earlier.status is None
        and earlier.request_hash == fingerprint
        and lease_ends(earlier) <= now
    )
    if not (expired or abandoned):
        return None, earlier
    taken = IdempotencyKey.objects.filter(
        pk=earlier.pk, created_at=earlier.created_at, leased_until=earlier.leased_until
    ).update(
        request_hash=fingerprint,
        status=None,
        content_type="",
        body=b"",
        created_at=now,
        leased_until=lease,
    )
    if not taken:  # another retry took it first
        return None, IdempotencyKey.objects.get(pk=earlier.pk)
    earlier.refresh_from_db()
    return earlier, None


def lease_ends(record: IdempotencyKey) -> datetime:
    """When a running request's hold on its key ends (keys stored before leases
    existed hold for one lease from their creation)."""
    return record.leased_until or record.created_at + settings.TOURDRAW_IDEMPOTENCY_LEASE


def prune_expired(now: datetime) -> int:
    """Delete the keys older than their time to live; how many went."""
    expired = IdempotencyKey.objects.filter(created_at__lte=now - settings.TOURDRAW_IDEMPOTENCY_TTL)
    deleted, _ = expired.delete()
    return deleted
