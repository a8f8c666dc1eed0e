"""The worker loop survives the database going away.

django-tasks-db's worker raises on any database error but one (SQLite's "locked" while
it claims a task), and the process then exits: one long transaction elsewhere, a
PostgreSQL restart or failover, or a serialization failure stopped every timer. Here the
worker's loop is run again after a transient error, with a capped exponential backoff,
each wait logged, and the connections closed so the next attempt opens fresh ones.
Anything else (a bug, a missing table) still ends the worker, loudly.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db import Error, InterfaceError, OperationalError, connections

log = logging.getLogger("engine.worker")

# SQLSTATEs worth retrying: serialization failure, deadlock detected, and the server
# shutting down or starting up (admin_shutdown, crash_shutdown, cannot_connect_now).
RETRYABLE_SQLSTATES = frozenset({"40001", "40P01", "57P01", "57P02", "57P03"})


def _sqlstate(exc: BaseException) -> str:
    for err in (exc, exc.__cause__):
        state = getattr(err, "sqlstate", None) or getattr(err, "pgcode", None)
        if state:
            return str(state)
    return ""


def is_transient_db_error(exc: BaseException) -> bool:
    """True for a database error that goes away by itself: SQLite's "database is locked"
    (or busy), a lost or refused connection, a serialization failure or deadlock."""
    if not isinstance(exc, Error):  # Django's base of DatabaseError and InterfaceError
        return False
    state = _sqlstate(exc)
    if state in RETRYABLE_SQLSTATES or state.startswith("08"):  # 08: connection exception
        return True
    if isinstance(exc, InterfaceError):  # "connection already closed"
        return True
    if not isinstance(exc, OperationalError):
        return False
    if isinstance(exc.__cause__, sqlite3.Error):
        # SQLite's OperationalError also means "no such table" or a bad query: not transient.
        text = str(exc).lower()
        return "locked" in text or "busy" in text
    # PostgreSQL (psycopg): OperationalError is the connection failing (lost, refused,
    # server restarting) or a transaction rollback; errors in the query are other classes.
    return True


@dataclass
class Backoff:
    """Capped exponential backoff: first, 2×first, 4×first … up to `cap` seconds. A quiet
    spell of `reset_after` seconds since the last failure starts again from `first`."""

    first: float = 0.5
    cap: float = 30.0
    reset_after: float = 60.0
    clock: Callable[[], float] = time.monotonic
    attempt: int = field(default=0, init=False)
    last_failure: float | None = field(default=None, init=False)

    def next_delay(self) -> float:
        now = self.clock()
        if self.last_failure is not None and now - self.last_failure > self.reset_after:
            self.attempt = 0
        self.last_failure = now
        delay: float = min(self.cap, self.first * 2.0 ** min(self.attempt, 30))
        self.attempt += 1
        return delay


def run_surviving(loop: Callable[[], Any], *, backoff: Backoff,
                  sleep: Callable[[float], None] | None = None) -> None:
    """Run `loop` until it returns; after a transient database error, close the
    connections, wait (logged) and run it again. Other errors propagate."""
    sleep = sleep or time.sleep
    while True:
        try:
            loop()
            return
        except Exception as exc:
            if not is_transient_db_error(exc):
                raise
            delay = backoff.next_delay()
            log.warning("Database unavailable (%s: %s); worker retries in %.1f s (attempt %d).",
                        type(exc).__name__, str(exc).strip().splitlines()[0] if str(exc).strip() else "",
                        delay, backoff.attempt)
            close_connections()
            sleep(delay)


def close_connections() -> None:
    """Drop this thread's connections, broken or not, so the next query opens a new one.
    Closing a dead connection raises on some drivers: that is the point of closing it."""
    for conn in connections.all(initialized_only=True):
        try:
            conn.close()
        except Exception:  # noqa: BLE001, S110 - the connection is gone either way
            pass
