"""The background worker: runs queued tasks (timer wake-ups, e-mail, PDFs) and a periodic
sweep that fires any timer whose wake-up was missed, then runs the jobs the product
registered in `engine.registry.registry.periodic`. Ctrl-C or SIGTERM stops it.

A transient database error (SQLite locked, PostgreSQL restarting or unreachable, a
serialization failure) never ends it: the loop waits, logged, with a capped backoff
(settings.ENGINE["WORKER_RETRY_MAX_SECONDS"]) and goes on with fresh connections
(engine/worker.py)."""

from __future__ import annotations

import logging
import threading
from typing import Any

from django.conf import settings
from django.core.management import BaseCommand
from django.core.management.base import CommandParser
from django.db import close_old_connections, connection
from django.utils.crypto import get_random_string
from django_tasks_db.compat import DEFAULT_TASK_BACKEND_ALIAS, DEFAULT_TASK_QUEUE_NAME
from django_tasks_db.management.commands.db_worker import Command as DbWorkerCommand
from django_tasks_db.management.commands.db_worker import Worker

from engine.registry import registry
from engine.timers import fire_due_timers
from engine.worker import Backoff, close_connections, is_transient_db_error, run_surviving

log = logging.getLogger("engine.worker")


def run_periodic_jobs() -> None:
    """Run each registered periodic job once; a failing job is logged and the others run."""
    for job in list(registry.periodic):
        try:
            job()
        except Exception:  # noqa: BLE001 - one broken job must not stop the sweep
            log.exception("Periodic job %r failed", job)


class Command(BaseCommand):
    help = "Run the background worker (Django tasks) with the engine's timer sweep."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--interval", type=float, default=1.0,
                            help="Seconds between polls of the task queue.")
        parser.add_argument("--sweep-seconds", type=int,
                            default=settings.ENGINE.get("SWEEP_SECONDS", 60))
        parser.add_argument("--batch", action="store_true",
                            help="Sweep once, run every queued task, then exit.")

    def handle(self, *, interval: float, sweep_seconds: int, batch: bool, **options: Any) -> None:
        verbosity = options.get("verbosity", 1)
        stop = threading.Event()
        backoff = self._backoff()

        def sweep_forever() -> None:
            while not stop.is_set():
                try:
                    close_old_connections()
                    fired = fire_due_timers()
                    if fired:
                        log.info("Timer sweep fired %d instance(s)", len(fired))
                except Exception as exc:  # noqa: BLE001 - keep sweeping; the error is logged
                    if is_transient_db_error(exc):
                        log.warning("Timer sweep skipped, database unavailable: %s", exc)
                        close_connections()
                    else:
                        log.exception("Timer sweep failed")
                try:
                    run_periodic_jobs()
                finally:
                    connection.close()
                stop.wait(sweep_seconds)

        # django-tasks-db's own worker and logging; its loop runs inside run_surviving.
        DbWorkerCommand().configure_logging(verbosity)
        worker = Worker(queue_names=[DEFAULT_TASK_QUEUE_NAME], interval=interval, batch=batch,
                        backend_name=DEFAULT_TASK_BACKEND_ALIAS, startup_delay=False, max_tasks=None,
                        worker_id=get_random_string(32), excluded_queue_names=[])
        worker.configure_signals()
        if batch:
            def sweep_once() -> None:
                fire_due_timers()
                run_periodic_jobs()

            run_surviving(sweep_once, backoff=backoff)
            run_surviving(worker.run, backoff=backoff)
            return
        sweeper = threading.Thread(target=sweep_forever, name="timer-sweep", daemon=True)
        sweeper.start()
        self.stdout.write(f"Worker started (timer sweep every {sweep_seconds}s). Ctrl-C to stop.")
        try:
            # No autoreload: it would re-run this command in a child process and start a
            # second sweeper; runserver already reloads the portal in development.
            run_surviving(worker.run, backoff=backoff)
        finally:
            stop.set()

    @staticmethod
    def _backoff() -> Backoff:
        cap = float(settings.ENGINE.get("WORKER_RETRY_MAX_SECONDS", 30))
        return Backoff(first=min(0.5, cap), cap=cap)
