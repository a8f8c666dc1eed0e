"""Read-only helpers for the construct tests: what a user of the engine can observe."""

from __future__ import annotations

from typing import Any

from SpiffWorkflow.util.task import TaskState

from engine.models import AuditEvent, HumanTask, ProcessInstance
from engine.runtime import load_workflow, loaded_spec
from engine.serialization import all_tasks


def actions(instance: ProcessInstance) -> list[str]:
    """The audit trail of an instance as a list of actions, oldest first."""
    return list(AuditEvent.objects.filter(instance=instance).order_by("pk").values_list("action", flat=True))


def audit_events(instance: ProcessInstance, action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(instance=instance, action=action).order_by("pk"))


def final_data(instance: ProcessInstance) -> dict[str, Any]:
    """The data the process ended with (SpiffWorkflow copies it to the workflow)."""
    instance.refresh_from_db()
    wf = load_workflow(instance, loaded_spec(instance))
    assert wf.is_completed()
    return dict(wf.data)


def task_data(row: HumanTask) -> dict[str, Any]:
    """The data an open human task would show in its form."""
    instance = row.instance
    instance.refresh_from_db()
    wf = load_workflow(instance, loaded_spec(instance))
    task = next(t for t in all_tasks(wf) if t.id == row.task_id)
    assert task.state == TaskState.READY
    return dict(task.data)


def rows(instance: ProcessInstance) -> list[tuple[str, str]]:
    """Every human task row of an instance as (element_id, state), oldest first."""
    return list(HumanTask.objects.filter(instance=instance).order_by("pk").values_list("element_id", "state"))
