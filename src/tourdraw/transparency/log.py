"""Appending to the platform's public log (spec section 7).

Each entry is written in the transaction of the change it reports, so the log
never shows a statement that was rolled back and never misses one that was
committed. The head row is locked for the append, which serialises appends
platform-wide: callers append last, just before their transaction commits,
to hold that lock as briefly as they can.
"""

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from django.db import transaction

from tourdraw.lottery import statements
from tourdraw.lottery.draw import canonical
from tourdraw.transparency.keys import log_key
from tourdraw.transparency.models import LogHead, LogRecord


def append(kind: str, *, round_code: str, body: Mapping[str, Any], now: datetime) -> LogRecord:
    """Add one signed entry at the end of the log; call inside the change's transaction."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("the public log is appended inside the change's transaction")
    head, _ = LogHead.objects.select_for_update().get_or_create(
        pk=1, defaults={"seq": 0, "hash": statements.GENESIS}
    )
    entry = statements.log_entry(
        seq=head.seq + 1, prev=head.hash, time=now, kind=kind, round=round_code, body=body
    )
    digest = statements.digest(entry)
    key = log_key()
    record = LogRecord.objects.create(
        seq=entry["seq"],
        prev=entry["prev"],
        time=statements.parse_timestamp(entry["time"]),
        kind=kind,
        round_code=round_code,
        body=canonical(entry["body"]).decode("ascii"),
        hash=digest,
        key_id=key.id,
        signature=key.sign(bytes.fromhex(digest)),
    )
    head.seq, head.hash = record.seq, digest
    head.save(update_fields=["seq", "hash"])
    return record


def has_draw(round_code: str) -> bool:
    """Whether the round's draw is in the log: only then may releases follow it
    (spec section 7.3), as only a tourdraw-draw/2 record can replay them."""
    return LogRecord.objects.filter(round_code=round_code, kind="draw").exists()


def published(record: LogRecord) -> dict[str, Any]:
    """The entry as ``/transparency/log.json`` serves it."""
    return {
        "seq": record.seq,
        "prev": record.prev,
        "time": statements.timestamp(record.time),
        "kind": record.kind,
        "round": record.round_code,
        "body": json.loads(record.body),
        "hash": record.hash,
        "signature": record.signature,
    }
