from django.db import migrations

# On PostgreSQL the log's rows cannot be changed or deleted, whoever holds the
# application's database account; TRUNCATE (a test database's flush) is left alone.
APPEND_ONLY = """
CREATE FUNCTION transparency_log_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'the public log is append-only (%% refused)', TG_OP
        USING ERRCODE = 'integrity_constraint_violation';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER transparency_logrecord_append_only
    BEFORE UPDATE OR DELETE ON transparency_logrecord
    FOR EACH ROW EXECUTE FUNCTION transparency_log_append_only();
"""
DROP = """
DROP TRIGGER IF EXISTS transparency_logrecord_append_only ON transparency_logrecord;
DROP FUNCTION IF EXISTS transparency_log_append_only();
"""


def forwards(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(APPEND_ONLY)


def backwards(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("transparency", "0001_log")]
    operations = [migrations.RunPython(forwards, backwards)]
