"""Repeating timers counted in working days.

SpiffWorkflow's `timeCycle` repeats at a fixed number of seconds, so a reminder "every two
working days" would land on weekends and holidays. A `timeCycle` whose expression is
`working_days_cycle(first, every)` fires `first` Peruvian working days from the moment
the timer starts waiting, then every `every` working days at the same Lima wall-clock
time, until the task it is attached to finishes (a non-interrupting boundary timer is
cancelled with its task, so nothing is left waiting). Any other `timeCycle` expression
(an ISO 8601 recurring interval) keeps the library's behaviour.

The class replaces the library's on every loaded spec (`engine.specs.load_spec`); the
stored state holds only the timer's value (`event_value`), so instances load the same
either way.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.utils import timezone
from SpiffWorkflow.bpmn.specs.event_definitions.timer import CycleTimerEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.events.end_event import EndEvent
from SpiffWorkflow.util.task import TaskState

from . import calendar as business_calendar

EVERY = "every_working_days"


def working_days_cycle(first: int, every: int) -> dict[str, Any]:
    """The value of a working-day `timeCycle`: first due `first` working days from now,
    then every `every` working days (script function for timer expressions)."""
    first, every = int(first), int(every)
    if first < 0 or every < 1:
        raise ValueError("working_days_cycle needs first >= 0 and every >= 1")
    start = business_calendar.add_working_days(timezone.now(), first)
    return {"cycles": -1, "next": start.isoformat(), "duration": 0, EVERY: every, "fired": 0}


class WorkingDayCycleTimerEventDefinition(CycleTimerEventDefinition):  # type: ignore[misc]  # SpiffWorkflow has no type information
    """A `timeCycle` that understands `working_days_cycle(...)` values."""

    def cycle_complete(self, my_task: Any) -> bool:
        event_value = my_task._get_internal_data("event_value")
        if event_value is None:
            value = my_task.workflow.script_engine.evaluate(my_task, self.expression)
            if not (isinstance(value, dict) and EVERY in value):
                return bool(super().cycle_complete(my_task))
            event_value = value
        elif EVERY not in event_value:
            return bool(super().cycle_complete(my_task))
        event_value = dict(event_value)
        now = timezone.now()
        due = datetime.fromisoformat(event_value["next"])
        ready = due < now
        if ready:
            # One firing however late the worker is: skip the occurrences already past,
            # so a worker back from an outage sends one reminder, not a burst.
            while due < now:
                due = business_calendar.add_working_days(due, int(event_value[EVERY]))
            event_value["next"] = due.isoformat()
            event_value["fired"] = int(event_value.get("fired", 0)) + 1
        my_task._set_internal_data(event_value=event_value)
        return ready


def use_working_day_cycles(wf_spec: Any) -> None:
    """Give every cycle timer of a parsed process spec the working-day behaviour."""
    for task_spec in wf_spec.task_specs.values():
        event: Any = getattr(task_spec, "event_definition", None)
        if type(event) is CycleTimerEventDefinition:
            task_spec.event_definition = WorkingDayCycleTimerEventDefinition(
                event.name, event.expression, description=event.description)


def keep_branch_results(timer_task: Any) -> None:
    """Copy what the branches a cycle timer started have finished with into the process data.

    A one-off boundary timer's branch waits at the process end and its data is merged
    there; a cycle timer is still waiting when its task finishes, so it is cancelled and
    the library drops its branches' pending ends, with their data. Call after the branch
    ran (engine.timers does, each time a cycle fires): only the keys the branch set or
    changed are copied, so the main path's later values still win at the end."""
    before = timer_task.data
    for task in timer_task:
        if task is timer_task or not isinstance(task.task_spec, EndEvent) or task.state != TaskState.COMPLETED:
            continue
        timer_task.workflow.data.update(
            {k: v for k, v in task.data.items() if k not in before or before[k] != v})
