"""Running database jobs in parallel threads, for the concurrency tests."""

from __future__ import annotations

import threading
from collections.abc import Callable

from django.db import connection


def in_threads(jobs: dict[str, Callable[[], object]]) -> dict[str, object]:
    """Run each job in its own thread (own database connection); return what each job
    returned ("ok" for None) or the exception it raised."""
    results: dict[str, object] = {}

    def run(name: str, job: Callable[[], object]) -> None:
        try:
            value = job()
            results[name] = "ok" if value is None else value
        except Exception as exc:  # noqa: BLE001 - reported to the test
            results[name] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=item) for item in jobs.items()]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not any(t.is_alive() for t in threads), "a thread hung"
    return results
