"""Reads of core: whether the database answers (the health check)."""

from __future__ import annotations

from django.db import connection


def database_reachable() -> bool:
    """One `SELECT 1`; raises DatabaseError when the database does not answer."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        return cursor.fetchone() is not None
