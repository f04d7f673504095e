"""Database helpers that the ORM does not offer as fast."""

import functools
from collections.abc import Iterable, Sequence
from datetime import datetime
from itertools import islice
from typing import Any

from django.db import connection, models

CHUNK = 10_000


def insert_rows(
    model: type[models.Model], fields: Sequence[str], rows: Iterable[Sequence[Any]]
) -> None:
    """Insert many rows through one prepared statement.

    ``bulk_create`` builds a model instance and compiles SQL for every row, which
    costs seconds at the 100k rows of a large draw; here each row is a plain
    tuple in ``fields`` order and only datetimes are converted. PostgreSQL
    takes the rows through COPY, several times faster again than a prepared
    INSERT.

    The columns are the model's (:func:`insert_columns`), not a list kept beside
    it: a field that a row does not give takes its default, as ``save`` would
    give it, and a field added to the model without a default is refused here
    rather than left to the database.
    """
    meta = model._meta
    given, defaults = insert_columns(model, fields)
    names = [str(field.column) for field in (*given, *defaults)]
    quote = connection.ops.quote_name
    sql = "INSERT INTO {} ({}) VALUES ({})".format(  # noqa: S608
        quote(meta.db_table),
        ", ".join(quote(name) for name in names),
        ", ".join(["%s"] * len(names)),
    )
    datetimes = [
        index for index, field in enumerate(given) if isinstance(field, models.DateTimeField)
    ]
    # Rows of one bulk insert share a few datetimes (the same "now", a deadline
    # per slot); converting each once matters at 100k rows. COPY reads ISO 8601
    # text as PostgreSQL does any timestamp input: text made once per distinct
    # value costs less than psycopg adapting every datetime of every row.
    if connection.vendor == "postgresql":
        adapt = functools.lru_cache(maxsize=1024)(_iso_text)
    else:
        adapt = functools.lru_cache(maxsize=1024)(connection.ops.adapt_datetimefield_value)
    if datetimes:
        rows = (_adapted(row, datetimes, adapt) for row in rows)
    if defaults:
        tail = [field.get_db_prep_save(field.get_default(), connection) for field in defaults]
        rows = ([*row, *tail] for row in rows)
    if connection.vendor == "postgresql":
        _copy(meta.db_table, names, rows)
        return
    remaining = iter(rows)
    with connection.cursor() as cursor:
        while chunk := list(islice(remaining, CHUNK)):
            cursor.executemany(sql, chunk)


def insert_columns(
    model: type[models.Model], fields: Sequence[str]
) -> tuple[list[models.Field[Any, Any]], list[models.Field[Any, Any]]]:
    """The fields named (the values each row gives) and every other column of
    the model, which takes its default. The database fills in the key, any
    generated column and any column with a database default."""
    meta = model._meta
    given = [meta.get_field(name) for name in fields]
    concrete = [field for field in given if isinstance(field, models.Field) and field.concrete]
    if len(concrete) != len(given):
        raise ValueError(f"{model.__name__}: insert_rows takes concrete fields only: {fields}")
    defaults = [
        field
        for field in meta.concrete_fields
        if field not in concrete
        and not isinstance(field, models.AutoField)
        and not field.generated
        and field.db_default is models.NOT_PROVIDED
    ]
    for field in defaults:
        if not (field.has_default() or field.null or field.empty_strings_allowed):
            raise ValueError(
                f"{model.__name__}.{field.name} has no default: insert_rows needs its value"
            )
    return concrete, defaults


def _iso_text(value: datetime | None) -> str | None:
    # With an offset when aware; a naive one is read in the session's time zone,
    # as psycopg would send it.
    return None if value is None else value.isoformat()


def _adapted(row: Sequence[Any], indexes: list[int], adapt: Any) -> list[Any]:
    values = list(row)
    for index in indexes:
        values[index] = adapt(values[index])
    return values


def _copy(table: str, columns: list[str], rows: Iterable[Sequence[Any]]) -> None:
    quote = connection.ops.quote_name
    statement = f"COPY {quote(table)} ({', '.join(quote(c) for c in columns)}) FROM STDIN"
    with connection.cursor() as cursor, cursor.cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row(row)
