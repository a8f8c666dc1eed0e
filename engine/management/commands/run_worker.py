"""The background worker: runs queued tasks (timer wake-ups, e-mail, PDFs) and a periodic
sweep that fires any timer whose wake-up was missed, then runs the jobs the product
registered in `engine.registry.registry.periodic`. Ctrl-C or SIGTERM stops it."""

from __future__ import annotations

import logging
import threading
from typing import Any

from django.conf import settings
from django.core.management import BaseCommand, call_command
from django.core.management.base import CommandParser
from django.db import close_old_connections, connection

from engine.registry import registry
from engine.timers import fire_due_timers

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
        stop = threading.Event()

        def sweep_forever() -> None:
            while not stop.is_set():
                try:
                    close_old_connections()
                    fired = fire_due_timers()
                    if fired:
                        log.info("Timer sweep fired %d instance(s)", len(fired))
                except Exception:  # noqa: BLE001 - keep sweeping; the error is logged
                    log.exception("Timer sweep failed")
                try:
                    run_periodic_jobs()
                finally:
                    connection.close()
                stop.wait(sweep_seconds)

        if batch:
            fire_due_timers()
            run_periodic_jobs()
            call_command("db_worker", batch=True, interval=interval, startup_delay=False,
                         reload=False, verbosity=options.get("verbosity", 1))
            return
        sweeper = threading.Thread(target=sweep_forever, name="timer-sweep", daemon=True)
        sweeper.start()
        self.stdout.write(f"Worker started (timer sweep every {sweep_seconds}s). Ctrl-C to stop.")
        try:
            # No autoreload: it would re-run this command in a child process and start a
            # second sweeper; runserver already reloads the portal in development.
            call_command("db_worker", interval=interval, startup_delay=False, reload=False,
                         verbosity=options.get("verbosity", 1))
        finally:
            stop.set()
