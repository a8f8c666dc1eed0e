"""Background work for the engine, on Django's Tasks API (django-tasks backport)."""

from __future__ import annotations

import logging
from datetime import datetime

from django_tasks import task

log = logging.getLogger(__name__)


@task()
def wake_instance(instance_id: int) -> list[int]:
    """Fire the due timers of one instance (enqueued to run exactly at its next timer)."""
    from .services import fire_due_timers

    return fire_due_timers(instance_id=instance_id)


@task()
def sweep_due_timers() -> list[int]:
    """Catch any timer whose wake-up was missed (worker down, task lost)."""
    from .services import fire_due_timers

    return fire_due_timers()


def schedule_wakeup(instance_id: int, when: datetime) -> None:
    try:
        wake_instance.using(run_after=when).enqueue(instance_id)
    except Exception:  # noqa: BLE001 - the periodic sweep still catches it
        log.exception("Could not schedule the timer of instance %s; the sweep will.", instance_id)
