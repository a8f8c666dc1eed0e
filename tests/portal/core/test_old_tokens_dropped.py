"""Migration core 0003: a database that once ran DRF's authtoken app loses that table
(the old keys in plain text) and its migration rows when it is migrated."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor


@pytest.mark.django_db(transaction=True)
def test_migrating_drops_the_plain_text_keys_of_the_old_token_table():
    executor = MigrationExecutor(connection)
    executor.migrate([("core", "0002_api_token")])
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE authtoken_token (key varchar(40) PRIMARY KEY, created timestamp, user_id integer)")
        cursor.execute("INSERT INTO authtoken_token (key, created, user_id) VALUES ('0123456789abcdef', NULL, 1)")
        cursor.execute("INSERT INTO django_migrations (app, name, applied) VALUES ('authtoken', '0001_initial', "
                       "CURRENT_TIMESTAMP)")

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())

    with connection.cursor() as cursor:
        assert "authtoken_token" not in connection.introspection.table_names(cursor)
        cursor.execute("SELECT COUNT(*) FROM django_migrations WHERE app = 'authtoken'")
        assert cursor.fetchone()[0] == 0
