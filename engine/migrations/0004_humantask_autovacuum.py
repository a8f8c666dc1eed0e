from django.apps.registry import Apps
from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor


def tune(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    # The inbox counts are index-only scans, which skip the table only for pages the
    # visibility map marks all-visible; claims and completions clear those marks. Vacuum
    # the task table after 2% of its rows changed instead of the default 20%.
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "ALTER TABLE engine_humantask SET (autovacuum_vacuum_scale_factor = 0.02, "
            "autovacuum_analyze_scale_factor = 0.02)"
        )


def untune(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "ALTER TABLE engine_humantask RESET (autovacuum_vacuum_scale_factor, autovacuum_analyze_scale_factor)"
        )


class Migration(migrations.Migration):
    dependencies = [("engine", "0003_start_info_task_process")]
    operations = [migrations.RunPython(tune, untune)]
