"""Timers are woken by the background worker, through Django's Tasks API."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.core.management import call_command
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from engine import services
from engine.models import InstanceStatus

from .conftest import deploy_diagram, open_tasks

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_waiting_timer_schedules_a_wake_up_task_at_its_due_time(user):
    """Starting an instance that waits on a timer enqueues a worker task to run exactly then."""
    deploy_diagram("worker_timer")
    start = timezone.now().replace(microsecond=0)
    with time_machine.travel(start, tick=False):
        inst = services.start(key="worker_timer", org_unit="UGEL01", started_by=user)
    assert inst.status == InstanceStatus.WAITING
    assert inst.next_timer_at == start + timedelta(hours=2)
    wake = DBTaskResult.objects.get(task_path="engine.tasks.wake_instance")
    assert wake.run_after == inst.next_timer_at
    assert wake.args_kwargs["args"] == [inst.pk]


def test_the_worker_fires_the_timer_once_it_is_due_and_not_before(user):
    """`run_worker --batch` leaves a timer that is not due alone and fires it when due."""
    deploy_diagram("worker_timer")
    start = timezone.now().replace(microsecond=0)
    with time_machine.travel(start, tick=False):
        inst = services.start(key="worker_timer", org_unit="UGEL01", started_by=user)
    with time_machine.travel(start + timedelta(hours=1), tick=False):
        call_command("run_worker", batch=True, verbosity=0)
    inst.refresh_from_db()
    assert inst.status == InstanceStatus.WAITING
    assert open_tasks(inst) == []
    with time_machine.travel(start + timedelta(hours=2, seconds=1), tick=False):
        call_command("run_worker", batch=True, verbosity=0)
    inst.refresh_from_db()
    assert inst.status == InstanceStatus.RUNNING
    assert inst.next_timer_at is None
    assert [t.element_id for t in open_tasks(inst)] == ["after"]
    assert inst.audit_events.filter(action="timer", element_id="wait").count() == 1


def test_the_sweep_fires_a_timer_whose_wake_up_task_was_lost(user):
    """If the scheduled wake-up never runs, the periodic sweep still fires the timer."""
    deploy_diagram("worker_timer")
    start = timezone.now().replace(microsecond=0)
    with time_machine.travel(start, tick=False):
        inst = services.start(key="worker_timer", org_unit="UGEL01", started_by=user)
    DBTaskResult.objects.all().delete()
    with time_machine.travel(start + timedelta(hours=3), tick=False):
        fired = services.fire_due_timers()
    assert fired == [inst.pk]
    inst.refresh_from_db()
    assert [t.element_id for t in open_tasks(inst)] == ["after"]
