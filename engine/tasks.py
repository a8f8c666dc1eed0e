"""Background work for the engine, on Django's Tasks API (django-tasks backport).

The queued tasks are stored by import path (`engine.tasks.wake_instance`): keep these
names and this module where they are, or tasks already queued would not run.
"""

from __future__ import annotations

import logging
from datetime import datetime

from django_tasks import task

from .timers import fire_due_timers

log = logging.getLogger(__name__)


@task()
def wake_instance(instance_id: int) -> list[int]:
    """Fire the due timers of one instance (enqueued to run exactly at its next timer)."""
    return fire_due_timers(instance_id=instance_id)


@task()
def sweep_due_timers() -> list[int]:
    """Catch any timer whose wake-up was missed (worker down, task lost)."""
    return fire_due_timers()


def schedule_wakeup(instance_id: int, when: datetime) -> None:
    """Enqueue the instance's wake-up; installed as `registry.schedule_wakeup` by
    EngineConfig.ready(), and called once the step that set the timer has committed."""
    try:
        wake_instance.using(run_after=when).enqueue(instance_id)
    except Exception:  # noqa: BLE001 - the periodic sweep still catches it
        log.exception("Could not schedule the timer of instance %s; the sweep will.", instance_id)
