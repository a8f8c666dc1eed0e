from django.db import migrations


def create(apps, schema_editor):
    # LIKE 'prefix%' on PostgreSQL uses a btree only with the pattern operator class
    # (the database collation is not C); SQLite's default index already serves it.
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "CREATE INDEX IF NOT EXISTS orgs_orgunit_path_prefix ON orgs_orgunit (path varchar_pattern_ops)"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS orgs_orgunit_path_prefix")


class Migration(migrations.Migration):
    dependencies = [("orgs", "0001_initial")]
    operations = [migrations.RunPython(create, drop)]
