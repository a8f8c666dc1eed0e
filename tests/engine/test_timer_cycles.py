"""Repeating boundary timers counted in working days (`working_days_cycle` in a timeCycle):
a reminder at the deadline and every N working days after it until the task is done."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
import time_machine

from engine import services
from engine.calendar import LIMA
from engine.models import HumanTaskState, InstanceStatus

from .conftest import assert_round_trip, deploy_diagram, open_tasks
from .constructs import audit_events, rows

pytestmark = pytest.mark.django_db

# Wednesday 1 April 2026: Maundy Thursday 2 and Good Friday 3 are holidays, then a weekend.
T0 = datetime(2026, 4, 1, 10, 0, tzinfo=LIMA)
FIRST = datetime(2026, 4, 6, 10, 0, tzinfo=LIMA)  # one working day later
SECOND = datetime(2026, 4, 8, 10, 0, tzinfo=LIMA)  # two more
THIRD = datetime(2026, 4, 10, 10, 0, tzinfo=LIMA)
FOURTH = datetime(2026, 4, 14, 10, 0, tzinfo=LIMA)  # Friday 10 + 2 working days: Tuesday


@pytest.fixture
def reminders(engine_registry):
    sent: list[str] = []

    def notify(ctx, *, template):
        sent.append(template)
        return {"sent": True}

    engine_registry.register_service("notify", notify)
    return sent


def _fire_at(when: datetime) -> list[int]:
    with time_machine.travel(when, tick=False):
        return services.fire_due_timers()


def test_the_reminder_repeats_every_n_working_days_until_the_task_is_done(user, reminders):
    """The timer fires at the deadline, then every two working days (holidays and weekends
    skipped), the task stays open throughout; once it is completed nothing waits any more
    and the instance is completed."""
    deploy_diagram("timer_boundary_cycle")
    with time_machine.travel(T0, tick=False):
        inst = services.start(key="timer_boundary_cycle", org_unit="UGEL-06", started_by=user)
    [review] = open_tasks(inst)
    assert inst.next_timer_at == FIRST

    for due, following, count in [(FIRST, SECOND, 1), (SECOND, THIRD, 2), (THIRD, FOURTH, 3)]:
        assert _fire_at(due - timedelta(minutes=1)) == []
        assert _fire_at(due + timedelta(minutes=1)) == [inst.pk]
        inst.refresh_from_db()
        assert len(reminders) == count
        assert inst.next_timer_at == following
        assert open_tasks(inst) == [review]
        assert_round_trip(inst)
    assert [e.data["due"] for e in audit_events(inst, "timer")] == [
        FIRST.isoformat(), SECOND.isoformat(), THIRD.isoformat()]

    with time_machine.travel(THIRD + timedelta(hours=2), tick=False):
        inst = services.complete(task_id=review.pk, user=user, data={"revisado": True})
    assert inst.status == InstanceStatus.COMPLETED
    assert inst.next_timer_at is None
    assert _fire_at(FOURTH + timedelta(days=10)) == []
    assert len(reminders) == 3
    assert rows(inst) == [("review", HumanTaskState.COMPLETED)]


def test_a_late_worker_sends_one_reminder_not_a_burst(user, reminders):
    """A worker back after missing several occurrences fires once and waits for the next
    occurrence still ahead."""
    deploy_diagram("timer_boundary_cycle")
    with time_machine.travel(T0, tick=False):
        inst = services.start(key="timer_boundary_cycle", org_unit="UGEL-06", started_by=user)
    assert _fire_at(THIRD + timedelta(hours=1)) == [inst.pk]
    inst.refresh_from_db()
    assert reminders == ["recordatorio"]
    assert inst.next_timer_at == FOURTH
    assert _fire_at(THIRD + timedelta(hours=2)) == []


def test_completing_before_the_deadline_leaves_nothing_waiting(user, reminders):
    deploy_diagram("timer_boundary_cycle")
    with time_machine.travel(T0, tick=False):
        inst = services.start(key="timer_boundary_cycle", org_unit="UGEL-06", started_by=user)
        [review] = open_tasks(inst)
        inst = services.complete(task_id=review.pk, user=user, data={})
    assert inst.status == InstanceStatus.COMPLETED and inst.next_timer_at is None
    assert _fire_at(FOURTH) == [] and reminders == []
