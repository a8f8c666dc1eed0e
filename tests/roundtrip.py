"""The stored state of an instance round-trips (SpiffWorkflow's save/restore pattern).

Shared by the engine tests (tiny diagrams) and the portal tests of the real diagrams in
processes/: call `assert_round_trip(instance)` mid-run, after a start and before each
human task is completed, so a persistence bug or a diagram the serializer cannot carry
fails a test at the step where it happens rather than on a later load.
"""

from __future__ import annotations

from SpiffWorkflow.util.task import TaskState

from engine.models import HumanTask, HumanTaskState, ProcessInstance
from engine.runtime import load_workflow, loaded_spec
from engine.serialization import all_tasks, dump_workflow


def assert_round_trip(instance: ProcessInstance) -> None:
    """The stored state restores to a workflow that serializes back identically, and the
    restored workflow waits on exactly the human tasks the inbox shows as open."""
    instance.refresh_from_db()
    wf = load_workflow(instance, loaded_spec(instance))
    assert dump_workflow(wf) == instance.state
    ready = {t.id for t in all_tasks(wf) if t.state == TaskState.READY and t.task_spec.manual}
    rows = set(HumanTask.objects.filter(instance=instance, state=HumanTaskState.OPEN).values_list("task_id", flat=True))
    assert ready == rows, f"restored READY user tasks {ready} != open task rows {rows}"
