"""tourdraw.db.insert_rows: the columns come from the model, not from a list
kept beside it."""

from datetime import timedelta

import pytest
from django.db import models
from django.utils import timezone

from tourdraw.db import insert_columns, insert_rows
from tourdraw.notify.models import OutboxMessage
from tourdraw.people import crypto
from tourdraw.visits.models import Offer

GIVEN = ["kind", "to", "body", "language", "topic", "next_attempt_at", "created_at"]


def test_every_column_of_the_model_is_written(db: None) -> None:
    given, defaults = insert_columns(OutboxMessage, GIVEN)
    columns = {field.column for field in (*given, *defaults)}
    assert columns == {
        field.column
        for field in OutboxMessage._meta.concrete_fields
        if not isinstance(field, models.AutoField)
    }


def test_each_field_a_row_leaves_out_takes_its_model_default(db: None) -> None:
    now = timezone.now().replace(microsecond=0)
    later = now + timedelta(minutes=5)
    row = ("sms", crypto.encrypt("+8613900000001"), "hello", "en", "t", later, now)
    insert_rows(OutboxMessage, GIVEN, [row])
    written = OutboxMessage.objects.get()
    assert written.to == "+8613900000001"
    assert (written.next_attempt_at, written.created_at) == (later, now)
    fresh = OutboxMessage()
    # Every field, including one added after this test was written.
    for field in OutboxMessage._meta.concrete_fields:
        if field.name not in GIVEN and not isinstance(field, models.AutoField):
            assert getattr(written, field.attname) == getattr(fresh, field.attname), field.name


def test_a_field_with_no_default_left_out_is_refused_before_any_row_is_read() -> None:
    with pytest.raises(ValueError, match=r"Offer\.persons has no default"):
        insert_rows(Offer, ["entry", "slot", "state", "source", "deadline", "created_at"], [])


def test_only_concrete_fields_can_be_given() -> None:
    with pytest.raises(ValueError, match="concrete fields only"):
        insert_rows(Offer, ["calls"], [])
