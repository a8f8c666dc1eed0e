"""Deadlines in Peruvian working days: the calendar, timers and task due dates (no sleeping)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import holidays
import pytest
import time_machine

from engine import services
from engine.calendar import LIMA, add_working_days, is_working_day
from engine.models import AuditEvent, InstanceStatus

from .conftest import deploy_diagram, open_task, open_tasks

PE_2026 = holidays.country_holidays("PE", years=2026)


def lima(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=LIMA)


# --- The calendar -------------------------------------------------------------------------------


def test_holidays_used_by_these_tests_are_peruvian_holidays():
    """The dates these tests skip are national holidays in the holidays package (country PE)."""
    for day in ("2026-04-02", "2026-04-03", "2026-07-28", "2026-07-29"):
        assert day in PE_2026, day
    for day in ("2026-04-01", "2026-04-06", "2026-07-24", "2026-07-27", "2026-07-30"):
        assert day not in PE_2026, day


def test_one_working_day_after_wednesday_before_easter_is_monday():
    """Wed 1 Apr 2026 10:00 + 1 working day skips Maundy Thursday, Good Friday and the weekend: Mon 6 Apr 10:00."""
    assert add_working_days(lima(2026, 4, 1, 10, 0), 1) == lima(2026, 4, 6, 10, 0)


def test_two_working_days_across_independence_days():
    """Fri 24 Jul 2026 + 2 working days skips the weekend and 28–29 July: Thu 30 Jul, same time."""
    assert add_working_days(lima(2026, 7, 24, 16, 30), 2) == lima(2026, 7, 30, 16, 30)


@pytest.mark.parametrize(("start", "days", "expected"), [
    (lima(2026, 4, 4, 9, 0), 1, lima(2026, 4, 6, 9, 0)),        # Saturday + 1 → Monday
    (lima(2026, 4, 6, 9, 0), 0, lima(2026, 4, 6, 9, 0)),        # zero days is the same moment
    (lima(2026, 4, 30, 9, 0), 1, lima(2026, 5, 4, 9, 0)),       # Labour Day on Friday 1 May
    (lima(2026, 12, 7, 9, 0), 1, lima(2026, 12, 10, 9, 0)),     # 8 and 9 December
    (lima(2026, 12, 31, 9, 0), 1, lima(2027, 1, 4, 9, 0)),      # New Year's Day, then the weekend
])
def test_add_working_days_examples(start, days, expected):
    """Counting only Monday–Friday non-holidays, at the same Lima wall-clock time."""
    assert add_working_days(start, days) == expected


def test_working_days_are_counted_in_lima_time():
    """A UTC instant that is still the previous day in Lima counts from Lima's date."""
    # Thursday 2 April 02:00 UTC is Wednesday 1 April 21:00 in Lima.
    start = datetime(2026, 4, 2, 2, 0, tzinfo=UTC)
    assert add_working_days(start, 1) == lima(2026, 4, 6, 21, 0)


def test_calendar_refuses_naive_datetimes_and_negative_days():
    """Naive datetimes and negative counts are programming errors, refused loudly."""
    with pytest.raises(ValueError):
        add_working_days(datetime(2026, 4, 1, 10, 0), 1)  # noqa: DTZ001
    with pytest.raises(ValueError):
        add_working_days(lima(2026, 4, 1, 10, 0), -1)
    assert not is_working_day(lima(2026, 4, 2).date())
    assert is_working_day(lima(2026, 4, 1).date())


# --- Timers in diagrams -------------------------------------------------------------------------


@pytest.mark.django_db
def test_working_days_timer_across_holidays(user):
    """A timeDate of working_days(2) set on Wed 1 Apr 10:00 is due Tue 7 Apr 10:00 Lima; firing
    before then does nothing, firing after moves the case on."""
    deploy_diagram("robust_timer_holiday")
    with time_machine.travel(lima(2026, 4, 1, 10, 0), tick=False):
        inst = services.start(key="robust_timer_holiday", started_by=user)
    assert inst.status == InstanceStatus.WAITING
    assert inst.next_timer_at == lima(2026, 4, 7, 10, 0)
    assert open_tasks(inst) == []

    for moment in (lima(2026, 4, 2, 10, 0), lima(2026, 4, 6, 10, 0), lima(2026, 4, 7, 9, 59, 59)):
        with time_machine.travel(moment, tick=False):
            assert services.fire_due_timers() == []
    inst.refresh_from_db()
    assert inst.status == InstanceStatus.WAITING and open_tasks(inst) == []
    lock_version = inst.lock_version

    with time_machine.travel(lima(2026, 4, 7, 10, 0, 1), tick=False):
        assert services.fire_due_timers() == [inst.pk]
    inst.refresh_from_db()
    assert inst.status == InstanceStatus.RUNNING
    assert inst.next_timer_at is None
    assert inst.lock_version == lock_version + 1
    assert [t.element_id for t in open_tasks(inst)] == ["resolve"]
    assert AuditEvent.objects.filter(instance=inst, action="timer", element_id="wait").count() == 1

    # Firing again finds nothing due.
    with time_machine.travel(lima(2026, 4, 8, 10, 0), tick=False):
        assert services.fire_due_timers() == []


@pytest.mark.django_db
def test_timer_firing_for_one_instance_leaves_others_waiting(user):
    """fire_due_timers(instance_id=…) steps only that instance."""
    deploy_diagram("robust_timer_holiday")
    with time_machine.travel(lima(2026, 7, 24, 8, 0), tick=False):
        first = services.start(key="robust_timer_holiday", started_by=user)
        second = services.start(key="robust_timer_holiday", started_by=user)
    assert first.next_timer_at == lima(2026, 7, 30, 8, 0)  # Fri 24 Jul + 2 → Thu 30 Jul
    with time_machine.travel(lima(2026, 7, 30, 8, 0, 1), tick=False):
        assert services.fire_due_timers(instance_id=first.pk) == [first.pk]
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == InstanceStatus.RUNNING
    assert second.status == InstanceStatus.WAITING and second.next_timer_at == lima(2026, 7, 30, 8, 0)


@pytest.mark.django_db
def test_suspended_instance_timer_waits_for_resume(user):
    """A due timer of a suspended case does not fire; resuming fires it at once."""
    deploy_diagram("robust_timer_holiday")
    with time_machine.travel(lima(2026, 4, 1, 10, 0), tick=False):
        inst = services.start(key="robust_timer_holiday", started_by=user)
        services.suspend(instance_id=inst.pk, by=user, reason="Revisión")
    with time_machine.travel(lima(2026, 4, 8, 10, 0), tick=False):
        assert services.fire_due_timers() == []
        inst.refresh_from_db()
        assert inst.status == InstanceStatus.SUSPENDED
        services.resume(instance_id=inst.pk, by=user)
    inst.refresh_from_db()
    assert inst.status == InstanceStatus.RUNNING
    assert [t.element_id for t in open_tasks(inst)] == ["resolve"]


# --- Due dates of user tasks --------------------------------------------------------------------


@pytest.mark.django_db
def test_user_task_due_in_working_days_skips_holidays(user):
    """A task with dueInWorkingDays=3 opened Wed 1 Apr 10:00 is due Wed 8 Apr 10:00 Lima."""
    deploy_diagram("robust_due")
    with time_machine.travel(lima(2026, 4, 1, 10, 0), tick=False):
        inst = services.start(key="robust_due", started_by=user)
    assert open_task(inst, "attend").due_at == lima(2026, 4, 8, 10, 0)


@pytest.mark.django_db
def test_task_after_timer_is_due_from_when_it_opened(user):
    """The due date counts from the moment the task opened (after the timer), not from the start."""
    deploy_diagram("robust_timer_holiday")
    with time_machine.travel(lima(2026, 7, 24, 8, 0), tick=False):
        inst = services.start(key="robust_timer_holiday", started_by=user)
    with time_machine.travel(lima(2026, 7, 30, 8, 0, 1), tick=False):
        assert services.fire_due_timers() == [inst.pk]
    # Thu 30 Jul + 3 working days: Fri 31, Mon 3, Tue 4 Aug (6 Aug is the next holiday).
    assert open_task(inst, "resolve").due_at == lima(2026, 8, 4, 8, 0, 1)


@pytest.mark.django_db
def test_timer_is_not_fired_at_the_exact_due_instant(user):
    """At the exact due instant the timer has not passed yet: nothing is stepped or changed."""
    deploy_diagram("robust_timer_holiday")
    with time_machine.travel(lima(2026, 4, 1, 10, 0), tick=False):
        inst = services.start(key="robust_timer_holiday", started_by=user)
    with time_machine.travel(inst.next_timer_at, tick=False):
        assert services.fire_due_timers() == []
    before = inst.lock_version
    inst.refresh_from_db()
    assert inst.lock_version == before and inst.status == InstanceStatus.WAITING
    with time_machine.travel(inst.next_timer_at + timedelta(microseconds=1), tick=False):
        assert services.fire_due_timers() == [inst.pk]
