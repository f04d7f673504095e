"""Failures made real in the database, to show what a transaction keeps."""

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection

from tourdraw.audit.models import LogEntry


@contextmanager
def audit_writes_fail() -> Iterator[None]:
    """The database refuses every new audit entry (a trigger raising a
    constraint error), as a full disk or a lost permission would."""
    table = LogEntry._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "CREATE FUNCTION audit_down() RETURNS trigger LANGUAGE plpgsql AS "
                "$$ BEGIN RAISE EXCEPTION 'audit down' USING ERRCODE = 'check_violation'; END $$"
            )
            cursor.execute(
                f"CREATE TRIGGER audit_down BEFORE INSERT ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION audit_down()"
            )
        else:
            cursor.execute(
                f"CREATE TRIGGER audit_down BEFORE INSERT ON {table} "
                "BEGIN SELECT RAISE(ABORT, 'audit down'); END"
            )
    yield
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"DROP TRIGGER audit_down ON {table}")
            cursor.execute("DROP FUNCTION audit_down()")
        else:
            cursor.execute("DROP TRIGGER audit_down")
