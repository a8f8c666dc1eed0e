"""Timer constructs: boundary timers on user tasks and intermediate timer events.

Time is moved with time-machine; the engine's clock and SpiffWorkflow's both follow it.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
import time_machine

from engine import services
from engine.calendar import LIMA
from engine.models import HumanTaskState, InstanceStatus

from .conftest import assert_round_trip, deploy_diagram, open_tasks
from .constructs import actions, audit_events, final_data, rows

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=LIMA)  # Monday 2 March 2026, 09:00 in Lima


def test_interrupting_boundary_timer_cancels_the_task_and_escalates(user):
    """When an interrupting deadline on a user task passes, the task is withdrawn from the
    inbox and the escalation task opens instead."""
    deploy_diagram("timer_boundary_interrupting")
    with time_machine.travel(T0, tick=False):
        inst = services.start(key="timer_boundary_interrupting", org_unit="UGEL-05", started_by=user)

    [review] = open_tasks(inst)
    assert (review.element_id, review.role, review.unit) == ("review", "especialista_ugel", "UGEL-05")
    assert inst.status == InstanceStatus.RUNNING
    assert inst.next_timer_at == T0 + timedelta(days=2)
    assert_round_trip(inst)

    with time_machine.travel(T0 + timedelta(days=2, seconds=-1), tick=False):
        assert services.fire_due_timers() == []
    inst.refresh_from_db()
    assert [t.element_id for t in open_tasks(inst)] == ["review"]

    with time_machine.travel(T0 + timedelta(days=2, minutes=1), tick=False):
        assert services.fire_due_timers() == [inst.pk]

    inst.refresh_from_db()
    review.refresh_from_db()
    assert review.state == HumanTaskState.CANCELLED
    [escalate] = open_tasks(inst)
    assert (escalate.element_id, escalate.role, escalate.unit) == ("escalate", "jefe_agp", "UGEL-05")
    assert inst.status == InstanceStatus.RUNNING
    assert inst.next_timer_at is None
    [timer] = audit_events(inst, "timer")
    assert timer.element_id == "deadline"
    [cancelled] = audit_events(inst, "task_cancelled")
    assert cancelled.element_id == "review"
    assert_round_trip(inst)

    inst = services.complete(task_id=escalate.pk, user=user, data={"atendido": True})
    assert inst.status == InstanceStatus.COMPLETED
    assert rows(inst) == [("review", HumanTaskState.CANCELLED), ("escalate", HumanTaskState.COMPLETED)]


def test_interrupting_boundary_timer_does_nothing_once_the_task_is_done(user):
    """Completing the user task before its deadline removes the timer, so nothing escalates."""
    deploy_diagram("timer_boundary_interrupting")
    with time_machine.travel(T0, tick=False):
        inst = services.start(key="timer_boundary_interrupting", org_unit="UGEL-05", started_by=user)
    [review] = open_tasks(inst)

    with time_machine.travel(T0 + timedelta(days=1), tick=False):
        inst = services.complete(task_id=review.pk, user=user, data={})
    assert inst.status == InstanceStatus.COMPLETED
    assert inst.next_timer_at is None

    with time_machine.travel(T0 + timedelta(days=5), tick=False):
        assert services.fire_due_timers() == []
    assert rows(inst) == [("review", HumanTaskState.COMPLETED)]


def test_non_interrupting_boundary_timer_reminds_and_keeps_the_task_open(user, engine_registry):
    """A non-interrupting timer on a user task sends a reminder when it fires, and the same
    task stays open in the inbox until someone completes it."""
    sent = []

    def notify(ctx, *, template):
        sent.append((ctx.instance_id, ctx.element_id, template))
        return {"sent": True}

    engine_registry.register_service("notify", notify)
    deploy_diagram("timer_boundary_non_interrupting")
    with time_machine.travel(T0, tick=False):
        inst = services.start(key="timer_boundary_non_interrupting", org_unit="UGEL-06",
                              started_by=user)

    [review] = open_tasks(inst)
    assert inst.next_timer_at == T0 + timedelta(days=1)
    assert sent == []
    assert_round_trip(inst)

    with time_machine.travel(T0 + timedelta(days=1, minutes=5), tick=False):
        assert services.fire_due_timers() == [inst.pk]

    inst.refresh_from_db()
    assert sent == [(inst.pk, "send_reminder", "recordatorio")]
    assert open_tasks(inst) == [review]  # the very same inbox row, not a new one
    review.refresh_from_db()
    assert review.state == HumanTaskState.OPEN
    assert inst.status == InstanceStatus.RUNNING
    assert inst.next_timer_at is None
    [timer] = audit_events(inst, "timer")
    assert timer.element_id == "reminder"
    [call] = audit_events(inst, "service_call")
    assert call.data["operator"] == "notify"
    assert "task_cancelled" not in actions(inst)
    assert_round_trip(inst)

    with time_machine.travel(T0 + timedelta(days=2), tick=False):
        assert services.fire_due_timers() == []
        inst = services.complete(task_id=review.pk, user=user, data={"revisado": True})
    assert inst.status == InstanceStatus.COMPLETED
    assert len(sent) == 1
    data = final_data(inst)
    assert data["revisado"] is True
    assert rows(inst) == [("review", HumanTaskState.COMPLETED)]


def test_intermediate_timer_waits_working_days_then_moves_on(user):
    """An intermediate timer set to two Peruvian working days leaves the instance waiting
    until that moment (skipping the Easter holidays), then opens the next task."""
    deploy_diagram("timer_catch")
    # Wednesday 1 April 2026: Thursday 2 and Friday 3 are holidays, then a weekend.
    start = datetime(2026, 4, 1, 10, 0, tzinfo=LIMA)
    due = datetime(2026, 4, 7, 10, 0, tzinfo=LIMA)
    with time_machine.travel(start, tick=False):
        inst = services.start(key="timer_catch", data={"expediente": "EXP-9"}, org_unit="UGEL-07",
                              started_by=user)

    assert inst.status == InstanceStatus.WAITING
    assert inst.next_timer_at == due
    assert open_tasks(inst) == []
    assert_round_trip(inst)

    with time_machine.travel(due - timedelta(minutes=1), tick=False):
        assert services.fire_due_timers() == []
    before = inst.lock_version
    inst.refresh_from_db()
    assert inst.status == InstanceStatus.WAITING
    assert inst.lock_version == before
    assert "timer" not in actions(inst)

    with time_machine.travel(due + timedelta(seconds=1), tick=False):
        assert services.fire_due_timers() == [inst.pk]

    inst.refresh_from_db()
    assert inst.status == InstanceStatus.RUNNING
    assert inst.next_timer_at is None
    [task] = open_tasks(inst)
    assert (task.element_id, task.role, task.unit) == ("after_wait", "especialista_ugel", "UGEL-07")
    [timer] = audit_events(inst, "timer")
    assert timer.element_id == "wait"
    assert_round_trip(inst)

    inst = services.complete(task_id=task.pk, user=user, data={})
    assert inst.status == InstanceStatus.COMPLETED
    assert final_data(inst) == {"expediente": "EXP-9"}
