"""Reads over the engine's state that need more than a query on its tables."""

from __future__ import annotations

from typing import Any

from SpiffWorkflow.util.task import TaskState

from .models import AuditAction, AuditEvent, HumanTask, InstanceStatus, ProcessInstance
from .runtime import load_workflow, loaded_spec
from .serialization import all_tasks


def element_states(*, instance: ProcessInstance) -> dict[str, list[str]]:
    """BPMN element ids of the instance's own process: `completed` (passed) and `active`
    (waiting: user tasks, timers, message catches). Pruned history is completed from the
    audit trail, so a long-running case still shows the path it took."""
    instance = ProcessInstance.objects.select_related("definition").get(pk=instance.pk)  # fresh state
    wf = load_workflow(instance, loaded_spec(instance))
    process_id = instance.definition.key
    completed: set[str] = set()
    active: set[str] = set()
    for task in all_tasks(wf):
        spec = task.task_spec
        bpmn_id = getattr(spec, "bpmn_id", None)
        if not bpmn_id or getattr(task.workflow.spec, "name", process_id) != process_id:
            continue
        if task.state == TaskState.COMPLETED:
            completed.add(bpmn_id)
        elif task.state in (TaskState.READY, TaskState.WAITING, TaskState.STARTED):
            active.add(bpmn_id)
    completed |= set(
        AuditEvent.objects.filter(instance=instance, action__in=[
            AuditAction.COMPLETE, AuditAction.SERVICE_CALL, AuditAction.TIMER])
        .exclude(element_id="").values_list("element_id", flat=True)
    )
    if instance.status in (InstanceStatus.COMPLETED, InstanceStatus.CANCELLED):
        active = set()
    return {"completed": sorted(completed - active), "active": sorted(active)}


def task_data(*, task: HumanTask) -> dict[str, Any]:
    """The data a task carries (the case so far, as the workflow holds it): task rows
    keep no data. {} when the workflow no longer has the task."""
    instance = task.instance
    wf = load_workflow(instance, loaded_spec(instance))
    found = next((t for t in all_tasks(wf) if t.id == task.task_id), None)
    return dict(found.data) if found is not None else {}
