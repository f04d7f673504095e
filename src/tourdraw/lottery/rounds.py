"""A round's life: scheduled, open (commitment public), closed (entries frozen)."""

import secrets
from datetime import datetime
from typing import Any

from django.db import connection, transaction

from tourdraw.audit.services import log_action
from tourdraw.lottery import draw, drawing
from tourdraw.lottery.models import Round


def lock_round_for_entry(round_id: int) -> Round:
    """Read the round so that closing it waits for this transaction.

    On PostgreSQL a KEY SHARE lock lets any number of entries go in side by
    side, while ``close_round``'s FOR UPDATE waits for them all and makes every
    later entry see the round closed. SQLite's IMMEDIATE transactions already
    run one writer at a time.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT 1 FROM {Round._meta.db_table} WHERE id = %s FOR KEY SHARE",  # noqa: S608
                [round_id],
            )
    return Round.objects.select_related("tour__site").get(pk=round_id)


def open_round(round: Round, *, now: datetime, actor: Any = None) -> bool:
    """Open a scheduled round and fix its commitment. False if it was not scheduled."""
    with transaction.atomic():
        locked = Round.objects.select_for_update().get(pk=round.pk)
        if locked.state != Round.State.SCHEDULED:
            return False
        secret = secrets.token_bytes(32)
        locked.secret = secret.hex()
        locked.commitment = draw.commitment_for(secret)
        locked.state = Round.State.OPEN
        locked.opened_at = now
        locked.save(update_fields=["secret", "commitment", "state", "opened_at"])
        log_action(
            "tourdraw.round.opened", locked, actor=actor, data={"commitment": locked.commitment}
        )
    round.refresh_from_db()
    return True


def close_round(round: Round, *, now: datetime, actor: Any = None) -> bool:
    """Close an open round: from here on its entries are frozen."""
    with transaction.atomic():
        locked = Round.objects.select_for_update().get(pk=round.pk)
        if locked.state != Round.State.OPEN:
            return False
        locked.state = Round.State.CLOSED
        locked.closed_at = now
        drawing.freeze(locked)
        locked.save(update_fields=["state", "closed_at", "frozen_digest", "frozen_entries"])
        log_action(
            "tourdraw.round.closed",
            locked,
            actor=actor,
            data={"entries": locked.frozen_entries, "entries_digest": locked.frozen_digest},
        )
    round.refresh_from_db()
    return True


def open_due_rounds(now: datetime) -> int:
    due = Round.objects.filter(state=Round.State.SCHEDULED, opens_at__lte=now, closes_at__gt=now)
    return sum(open_round(round, now=now) for round in due)


def close_due_rounds(now: datetime) -> int:
    due = Round.objects.filter(state=Round.State.OPEN, closes_at__lte=now)
    return sum(close_round(round, now=now) for round in due)
