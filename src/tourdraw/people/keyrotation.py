"""Re-encrypting every stored field under the newest data key.

Rotation: put the new key first in TOURDRAW_DATA_KEYS (old ones after it),
restart, run ``tourdraw rotate_data_keys``, then drop the old keys. Tokens are
rotated as they are (``MultiFernet.rotate``), never decrypted into Python
objects, so the command needs no knowledge of what each field holds.
"""

from collections.abc import Iterator

from django.apps import apps
from django.db import connection, models, transaction

from tourdraw.people import crypto
from tourdraw.people.fields import EncryptedDateField, EncryptedTextField

BATCH = 1000


def sealed_columns() -> Iterator[tuple[type[models.Model], str]]:
    """Every (model, column) that holds a Fernet token."""
    for model in apps.get_models():
        for field in model._meta.concrete_fields:
            if isinstance(field, EncryptedTextField | EncryptedDateField):
                yield model, field.column


def _rotate_column(model: type[models.Model], column: str) -> int:
    table = connection.ops.quote_name(model._meta.db_table)
    pk = connection.ops.quote_name(model._meta.pk.column)
    col = connection.ops.quote_name(column)
    done, last = 0, None
    while True:
        with transaction.atomic(), connection.cursor() as cursor:
            after = "" if last is None else f"AND {pk} > %s "
            cursor.execute(
                f"SELECT {pk}, {col} FROM {table} WHERE {col} IS NOT NULL AND {col} <> '' "  # noqa: S608
                f"{after}ORDER BY {pk} LIMIT {BATCH}",
                [] if last is None else [last],
            )
            rows = cursor.fetchall()
            if not rows:
                return done
            cursor.executemany(
                f"UPDATE {table} SET {col} = %s WHERE {pk} = %s",  # noqa: S608
                [(crypto.rotate(token), key) for key, token in rows],
            )
            done += len(rows)
            last = rows[-1][0]


def rotate_all() -> dict[str, int]:
    """Re-encrypt every sealed column; returns how many values per ``table.column``."""
    return {
        f"{model._meta.db_table}.{column}": _rotate_column(model, column)
        for model, column in sealed_columns()
    }
