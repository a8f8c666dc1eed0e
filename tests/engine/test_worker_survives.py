"""The worker survives transient database errors: which errors are retried, the backoff
between tries, and `run_worker` going on after "database is locked"."""

from __future__ import annotations

import importlib.util
import logging
import os
import sqlite3
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import psycopg
import psycopg.errors
import pytest
import time_machine
from django.core.management import call_command
from django.db import DatabaseError, IntegrityError, InterfaceError, OperationalError, ProgrammingError, connection
from django.db import Error as DjangoDbError
from django.utils import timezone
from django_tasks_db.management.commands.db_worker import Worker

from engine import services
from engine import worker as engine_worker
from engine.models import InstanceStatus
from engine.worker import Backoff, is_transient_db_error, run_surviving

ROOT = Path(__file__).resolve().parents[2]
TIMER_THEN_END = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="defs_timer_then_end"
                  targetNamespace="http://siagie.test/bpmn">
  <bpmn:process id="timer_then_end" name="Espera y termina" isExecutable="true">
    <bpmn:startEvent id="start"/>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="wait"/>
    <bpmn:intermediateCatchEvent id="wait" name="Esperar dos horas">
      <bpmn:timerEventDefinition><bpmn:timeDuration>"PT2H"</bpmn:timeDuration></bpmn:timerEventDefinition>
    </bpmn:intermediateCatchEvent>
    <bpmn:sequenceFlow id="f2" sourceRef="wait" targetRef="end"/>
    <bpmn:endEvent id="end"/>
  </bpmn:process>
</bpmn:definitions>"""


def wrapped(django_class: type[DjangoDbError], cause: BaseException) -> DjangoDbError:
    """A driver error as Django raises it: its own class, the driver's error as cause."""
    exc = django_class(*cause.args)
    exc.__cause__ = cause
    return exc


LOCKED = wrapped(OperationalError, sqlite3.OperationalError("database is locked"))


@pytest.mark.parametrize("exc", [
    LOCKED,
    wrapped(OperationalError, psycopg.OperationalError(
        "consuming input failed: server closed the connection unexpectedly")),
    wrapped(OperationalError, psycopg.OperationalError("connection failed: No such file or directory")),
    wrapped(InterfaceError, psycopg.InterfaceError("the connection is closed")),
    wrapped(OperationalError, psycopg.errors.SerializationFailure("could not serialize access")),
    wrapped(OperationalError, psycopg.errors.DeadlockDetected("deadlock detected")),
    wrapped(DatabaseError, psycopg.errors.SerializationFailure("could not serialize access")),
    wrapped(OperationalError, psycopg.errors.AdminShutdown("terminating connection due to administrator command")),
], ids=["sqlite-locked", "pg-connection-lost", "pg-connection-refused", "pg-interface", "pg-serialization",
        "pg-deadlock", "pg-serialization-as-database-error", "pg-admin-shutdown"])
def test_transient_database_errors_are_retried(exc):
    """Locked, lost or refused connections, serialization failures and deadlocks pass by themselves."""
    assert is_transient_db_error(exc)


@pytest.mark.parametrize("exc", [
    wrapped(OperationalError, sqlite3.OperationalError("no such table: engine_processinstance")),
    wrapped(ProgrammingError, psycopg.errors.UndefinedTable('relation "x" does not exist')),
    wrapped(IntegrityError, psycopg.errors.UniqueViolation("duplicate key")),
    ValueError("a bug"),
], ids=["sqlite-no-table", "pg-undefined-table", "integrity", "bug"])
def test_other_errors_are_not_retried(exc):
    """A missing table, a broken constraint or a bug is not waited out: the worker must say so."""
    assert not is_transient_db_error(exc)


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_the_backoff_doubles_up_to_its_cap_and_starts_again_after_a_quiet_spell():
    """0.5, 1, 2 … capped at 30 s; a minute without failures starts again from 0.5 s."""
    clock = FakeClock()
    backoff = Backoff(first=0.5, cap=30.0, reset_after=60.0, clock=clock)
    delays = []
    for _ in range(9):
        delays.append(backoff.next_delay())
        clock.now += 1
    assert delays == [0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 30.0, 30.0, 30.0]
    clock.now += 61
    assert backoff.next_delay() == 0.5


def test_run_surviving_waits_out_transient_errors_and_logs_each_wait(caplog):
    """Two "database is locked" in a row: two logged waits, then the loop runs to its end."""
    calls, sleeps = [], []

    def loop() -> None:
        calls.append(1)
        if len(calls) <= 2:
            raise LOCKED

    with caplog.at_level(logging.WARNING, logger="engine.worker"):
        run_surviving(loop, backoff=Backoff(first=0.5, cap=30.0), sleep=sleeps.append)

    assert len(calls) == 3 and sleeps == [0.5, 1.0]
    waits = [r.getMessage() for r in caplog.records if "retries in" in r.getMessage()]
    assert len(waits) == 2 and "database is locked" in waits[0]


def test_run_surviving_lets_other_errors_end_the_worker():
    """A bug is raised at once, not retried."""
    sleeps = []

    def loop() -> None:
        raise ValueError("a bug")

    with pytest.raises(ValueError):
        run_surviving(loop, backoff=Backoff(), sleep=sleeps.append)
    assert sleeps == []


@pytest.mark.django_db(transaction=True)
def test_run_worker_goes_on_after_the_database_was_locked(monkeypatch):
    """The reported failure: a long transaction holds SQLite's write lock and the
    worker's loop gets "database is locked". run_worker waits and goes on instead of exiting."""
    real_run = Worker.run
    attempts = []

    def locked_twice(self: Worker) -> None:
        attempts.append(1)
        if len(attempts) <= 2:
            raise LOCKED
        real_run(self)

    monkeypatch.setattr(Worker, "run", locked_twice)
    monkeypatch.setattr(engine_worker.time, "sleep", lambda seconds: None)

    call_command("run_worker", batch=True, verbosity=0)

    assert len(attempts) == 3


def _throwaway_pg():
    """scripts/throwaway_pg.py, which started the cluster this test runs on."""
    spec = importlib.util.spec_from_file_location("throwaway_pg", ROOT / "scripts" / "throwaway_pg.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _wait_for(condition, *, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.5)


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_a_timer_fires_after_postgresql_restarted_under_a_running_worker(user, tmp_path):
    """PostgreSQL stops and starts again under a running `run_worker` (its own process):
    the worker logs its waits, does not exit, and still fires the timer that fell due."""
    if connection.vendor != "postgresql" or not os.environ.get("PGHOST"):
        pytest.skip("needs the throwaway PostgreSQL of scripts/throwaway_pg.py, which it stops and starts")
    pg = _throwaway_pg()
    bindir, account, cluster = pg.find_bindir(), pg._run_as(), Path(os.environ["PGHOST"])
    # Timer then end: the worker's process has the portal's lane resolver, not the tests'
    # one, so no user task follows.
    services.deploy(content=TIMER_THEN_END.encode(), source="timer_then_end.bpmn")
    # The two-hour timer falls due 20 s from now, after the outage below.
    with time_machine.travel(timezone.now() - timedelta(hours=2) + timedelta(seconds=20), tick=True):
        inst = services.start(key="timer_then_end", started_by=user)
    test_db = urlsplit(os.environ["DATABASE_URL"])._replace(path=f"/{connection.settings_dict['NAME']}").geturl()
    log_path = tmp_path / "worker.log"
    with log_path.open("w") as log_file:
        worker = subprocess.Popen(  # noqa: S603 - our own manage.py
            [sys.executable, "manage.py", "run_worker", "--interval", "0.5", "--sweep-seconds", "3600"],
            cwd=ROOT, env={**os.environ, "DATABASE_URL": test_db, "PYTHONUNBUFFERED": "1"},
            stdout=log_file, stderr=subprocess.STDOUT)
    try:
        _wait_for(lambda: "Worker started" in log_path.read_text(), seconds=30, what="the worker to start")
        time.sleep(1)
        pg.stop_cluster(bindir, cluster, account)
        _wait_for(lambda: "Database unavailable" in log_path.read_text(), seconds=20,
                  what="the worker to notice the outage")
        time.sleep(3)
        assert worker.poll() is None, log_path.read_text()
        pg.start_server(bindir, cluster, account)
        connection.close()  # this test's own connection died with the server

        def completed() -> bool:
            inst.refresh_from_db()
            return inst.status == InstanceStatus.COMPLETED

        _wait_for(completed, seconds=60, what="the timer to fire after the restart")
        assert inst.audit_events.filter(action="timer", element_id="wait").count() == 1
        assert worker.poll() is None, log_path.read_text()
    finally:
        worker.terminate()
        worker.wait(timeout=30)
