"""Make the audit trail append-only in the database itself, not only in the model.

PostgreSQL refuses UPDATE and DELETE of audit rows (TRUNCATE, used only to wipe a test
database, still works). SQLite refuses UPDATE; it keeps DELETE because Django's `flush`
empties tables with DELETE there.
"""

from django.apps.registry import Apps
from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor

PG_UP = """
CREATE OR REPLACE FUNCTION engine_audit_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'engine_auditevent is append-only: % refused', TG_OP;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER engine_auditevent_append_only
    BEFORE UPDATE OR DELETE ON engine_auditevent
    FOR EACH ROW EXECUTE FUNCTION engine_audit_append_only();
"""
PG_DOWN = """
DROP TRIGGER IF EXISTS engine_auditevent_append_only ON engine_auditevent;
DROP FUNCTION IF EXISTS engine_audit_append_only();
"""
SQLITE_UP = """
CREATE TRIGGER engine_auditevent_append_only BEFORE UPDATE ON engine_auditevent
BEGIN SELECT RAISE(ABORT, 'engine_auditevent is append-only: UPDATE refused'); END;
"""
SQLITE_DOWN = "DROP TRIGGER IF EXISTS engine_auditevent_append_only;"


def forwards(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_UP, params=None)
    elif vendor == "sqlite":
        schema_editor.execute(SQLITE_UP)


def backwards(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_DOWN)
    elif vendor == "sqlite":
        schema_editor.execute(SQLITE_DOWN)


class Migration(migrations.Migration):
    dependencies = [("engine", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
