"""The public log: chained, signed, gap-free under concurrency, append-only."""

import json
import threading
from datetime import UTC, datetime

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from django.db import DatabaseError, connections, transaction

from tourdraw.lottery import statements
from tourdraw.transparency import log
from tourdraw.transparency.models import LogRecord

NOW = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)


def _append(kind: str, round_code: str, body: dict) -> LogRecord:
    with transaction.atomic():
        return log.append(kind, round_code=round_code, body=body, now=NOW)


def _check_chain(entries: list[dict], public_key: str) -> None:
    key = Ed25519PublicKey.from_public_bytes(bytes.fromhex(public_key))
    prev = statements.GENESIS
    for seq, entry in enumerate(entries, start=1):
        fields = {k: entry[k] for k in ("seq", "prev", "time", "kind", "round", "body")}
        assert entry["seq"] == seq
        assert entry["prev"] == prev
        assert entry["hash"] == statements.digest(fields)
        key.verify(bytes.fromhex(entry["signature"]), bytes.fromhex(entry["hash"]))
        prev = entry["hash"]


@pytest.mark.django_db
def test_each_entry_names_the_one_before_and_is_signed(client):
    _append("opening", "r1", {"commitment": "ab" * 32})
    _append("closing", "r1", {"entries": 3, "slots": [{"code": "s", "capacity": 5}]})
    _append("opening", "r2", {"commitment": "cd" * 32})

    served = json.loads(b"".join(client.get("/transparency/log.json").streaming_content))
    key = client.get("/.well-known/tourdraw-log-key.json").json()

    assert served["format"] == statements.LOG
    assert served["key"] == key
    assert [e["kind"] for e in served["entries"]] == ["opening", "closing", "opening"]
    _check_chain(served["entries"], key["public_key"])


@pytest.mark.django_db(transaction=True)
def test_an_append_outside_a_transaction_is_refused():
    with pytest.raises(RuntimeError):
        log.append("opening", round_code="r1", body={}, now=NOW)


@pytest.mark.django_db
def test_a_changed_body_breaks_the_chain(client):
    _append("opening", "r1", {"commitment": "ab" * 32})
    _append("closing", "r1", {"entries": 3})
    entries = json.loads(b"".join(client.get("/transparency/log.json").streaming_content))
    entries["entries"][0]["body"]["commitment"] = "ef" * 32
    with pytest.raises(AssertionError):
        _check_chain(entries["entries"], entries["key"]["public_key"])


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_database_refuses_to_change_or_delete_an_entry():
    record = _append("opening", "r1", {"commitment": "ab" * 32})
    with pytest.raises(DatabaseError), transaction.atomic():
        LogRecord.objects.filter(pk=record.pk).update(body='{"commitment":"forged"}')
    with pytest.raises(DatabaseError), transaction.atomic():
        LogRecord.objects.filter(pk=record.pk).delete()
    assert LogRecord.objects.get(pk=record.pk).body == record.body


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_appends_get_consecutive_numbers(client):
    errors: list[BaseException] = []

    def worker(n: int) -> None:
        try:
            for i in range(5):
                _append("release", f"r{n}", {"i": i})
        except BaseException as error:
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    served = json.loads(b"".join(client.get("/transparency/log.json").streaming_content))
    assert len(served["entries"]) == 20
    _check_chain(served["entries"], served["key"]["public_key"])
