"""ID numbers are encrypted at rest and never written to a log."""

import logging
from pathlib import Path

from django.apps import apps
from django.db import connection
from django.urls import reverse

from tests.support import present, resident_id
from tourdraw.lottery.models import Round

ENTRANT_ID = resident_id(__import__("datetime").date(1985, 3, 14), sequence=123)


def _all_rows_as_text() -> str:
    chunks: list[str] = []
    with connection.cursor() as cursor:
        for model in apps.get_models(include_auto_created=True):
            table = connection.ops.quote_name(model._meta.db_table)
            cursor.execute(f"SELECT * FROM {table}")  # noqa: S608
            chunks.extend(repr(row) for row in cursor.fetchall())
    return "\n".join(chunks)


def test_no_id_number_is_stored_or_logged_in_clear(
    client,
    visitor,
    round: Round,
    caplog,
    capsys,
    transactional_db,
):
    caplog.set_level(logging.DEBUG)
    companion_id = resident_id(
        __import__("datetime").date(1979, 11, 30), region="310101", sequence=88
    )
    client.force_login(visitor.user)
    slot = present(round.slots.order_by("starts_at").first())
    response = client.post(
        reverse("web:enter", args=[round.code]),
        {
            "choice_1": slot.pk,
            "companion_0_full_name": "陈静",
            "companion_0_id_type": "cn_resident",
            "companion_0_id_number": companion_id,
        },
    )
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert "******" + companion_id[-4:] in page
    assert companion_id[:6] + "*" not in page
    assert companion_id not in page
    assert ENTRANT_ID not in page

    rows = _all_rows_as_text()
    assert "陈静" in rows  # the scan does see the entry's data
    assert companion_id not in rows and ENTRANT_ID not in rows

    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        database = Path(connection.settings_dict["NAME"])
        for path in [database, *database.parent.glob(database.name + "-*")]:
            data = path.read_bytes()
            assert companion_id.encode() not in data, path
            assert ENTRANT_ID.encode() not in data, path

    logged = caplog.text + "".join(capsys.readouterr())
    assert companion_id not in logged and ENTRANT_ID not in logged


def test_the_log_filter_masks_an_id_number_that_slips_into_a_message(caplog):
    from tourdraw.people.logging import RedactIdNumbers

    record = logging.LogRecord(
        "x", logging.INFO, __file__, 1, "number %s here", (ENTRANT_ID,), None
    )
    RedactIdNumbers().filter(record)
    assert record.getMessage() == f"number ******{ENTRANT_ID[-4:]} here"
