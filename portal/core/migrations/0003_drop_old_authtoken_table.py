"""Drop the table of DRF's authtoken app, which the portal used before its own hashed,
expiring ApiToken (0002). That app is no longer installed, so nothing migrates its table
away: on a database that ran it, `authtoken_token` still holds the old keys in plain
text, each a working credential for anyone who reads a backup, and its rows in
django_migrations would confuse a later reinstall. Forward only; going back recreates
nothing (the old keys must not come back)."""

from django.db import migrations


def drop_authtoken(apps, schema_editor):
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        if "authtoken_token" in connection.introspection.table_names(cursor):
            cursor.execute("DROP TABLE authtoken_token")
        cursor.execute("DELETE FROM django_migrations WHERE app = %s", ["authtoken"])


class Migration(migrations.Migration):
    dependencies = [("core", "0002_api_token")]

    operations = [migrations.RunPython(drop_authtoken, migrations.RunPython.noop)]
