"""Storing SpiffWorkflow state compactly and keeping it from growing without bound.

Two things keep a step's cost flat as an instance ages:
- The stored state leaves out the process spec (SpiffWorkflow's serializer writes the
  whole spec into every state); the spec comes from the versioned, cached definition.
- Finished history far above every live task is pruned from the task tree. Each loop
  iteration hangs below the previous one, so without pruning the tree deepens at every
  round, every save rewrites all of it, and past depth 1000 SpiffWorkflow's task
  iterator stops seeing new tasks at all. The audit trail, not the task tree, is the
  record of what happened.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextvars import ContextVar
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter, WorkflowConverter
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.util.task import TaskState

STATE_FORMAT = "engine-1"
_specs: ContextVar[tuple[Any, dict[str, Any]] | None] = ContextVar("engine_specs", default=None)


class SpeclessWorkflowConverter(BpmnWorkflowConverter):  # type: ignore[misc]  # SpiffWorkflow has no type information
    """Like the library's converter, minus the spec and subprocess specs."""

    def to_dict(self, workflow: Any) -> dict[str, Any]:
        dct: dict[str, Any] = WorkflowConverter.to_dict(self, workflow)
        dct["subprocesses"] = self.mapping_to_dict(workflow.subprocesses)
        dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
        return dct

    def from_dict(self, dct: dict[str, Any]) -> Any:
        specs = _specs.get()
        if specs is None:
            raise RuntimeError("restore_workflow() must provide the specs")
        spec, subprocess_specs = specs
        workflow = self.target_class(spec, subprocess_specs, deserializing=True)
        workflow.tasks = self.mapping_from_dict(dct["tasks"], UUID, workflow=workflow)
        workflow.task_tree = workflow.tasks.get(UUID(dct["root"]))
        self.set_default_attributes(workflow, dct)
        self.subprocesses_from_dict(dct["subprocesses"], workflow)
        workflow.bpmn_events = self.registry.restore(dct.pop("bpmn_events", []))
        return workflow


_config = dict(SPIFF_CONFIG)
_config[BpmnWorkflow] = SpeclessWorkflowConverter
serializer = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(_config))
SERIALIZER_VERSION = f"{STATE_FORMAT}/{serializer.VERSION}"


def dump_workflow(workflow: BpmnWorkflow) -> str:
    registry = serializer.registry
    registry._encoder_mode = True
    try:
        dct = serializer.to_dict(workflow)
        return json.dumps(dct, separators=(",", ":"), cls=serializer._encoder_cls)
    finally:
        registry._encoder_mode = False


def restore_workflow(state: str, version: str, spec: Any, subprocess_specs: dict[str, Any]) -> BpmnWorkflow:
    if version != SERIALIZER_VERSION:
        raise ValueError(
            f"Estado guardado con el formato {version!r}; este motor lee {SERIALIZER_VERSION!r}."
        )
    token = _specs.set((spec, subprocess_specs))
    try:
        return serializer.from_dict(json.loads(state))
    finally:
        _specs.reset(token)


def all_workflows(workflow: BpmnWorkflow) -> list[Any]:
    return [workflow, *workflow.subprocesses.values()]


def all_tasks(workflow: BpmnWorkflow) -> Iterator[Any]:
    """Every task of the workflow and its subprocesses, straight from the task maps.

    Deliberately not SpiffWorkflow's iterator, which stops at depth 1000.
    """
    for wf in all_workflows(workflow):
        yield from wf.tasks.values()


_FINISHED = TaskState.FINISHED_MASK


def prune_history(workflow: BpmnWorkflow, keep: int = 12) -> int:
    """Drop finished tasks that lie more than `keep` levels above every live task.

    Only tasks that are finished and outside the subtree that holds all live tasks are
    removed; the subtree is re-attached under the workflow's Start task. Returns the
    number of tasks removed.
    """
    removed = 0
    for wf in list(all_workflows(workflow)):
        removed += _prune_one(workflow, wf, keep)
    return removed


def _path(task: Any) -> list[Any]:
    path = []
    while task is not None:
        path.append(task)
        task = task.parent
    path.reverse()
    return path


def _prune_one(top: BpmnWorkflow, wf: Any, keep: int) -> int:
    if len(wf.tasks) <= 2 * keep + 4:
        return 0  # too small to hold anything worth pruning
    live = [t for t in wf.tasks.values() if not t.has_state(_FINISHED)]
    if not live:
        return 0
    common = _path(live[0])
    for task in live[1:]:
        path = _path(task)
        i = 0
        limit = min(len(common), len(path))
        while i < limit and common[i] is path[i]:
            i += 1
        common = common[:i]
    # common = root, Start, ..., lowest common ancestor of the live tasks
    cut = len(common) - 1 - keep
    if cut <= 2:
        return 0
    anchor, start = common[cut], common[1]
    kept: set[UUID] = {common[0].id, start.id}
    stack = [anchor]
    while stack:
        task = stack.pop()
        kept.add(task.id)
        stack.extend(task.children)
    doomed = [t for t in wf.tasks.values() if t.id not in kept]
    if any(not t.has_state(_FINISHED) for t in doomed):
        return 0
    start._children = [anchor.id]
    anchor._parent = start.id
    for task in doomed:
        del wf.tasks[task.id]
        _drop_subprocess(top, task.id)
    if wf.last_task is not None and wf.last_task.id not in wf.tasks:
        wf.last_task = anchor
    return len(doomed)


def _drop_subprocess(top: BpmnWorkflow, task_id: UUID) -> None:
    sub = top.subprocesses.pop(task_id, None)
    if sub is None:
        return
    for task in list(sub.tasks.values()):
        _drop_subprocess(top, task.id)


def unreachable_tasks(workflow: BpmnWorkflow) -> list[Any]:
    """READY/WAITING/STARTED tasks the library's iterator (max depth 1000) cannot see."""
    stuck = []
    for task in all_tasks(workflow):
        if task.has_state(TaskState.READY | TaskState.WAITING | TaskState.STARTED) and task.depth >= 1000:
            stuck.append(task)
    return stuck
