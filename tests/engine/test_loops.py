"""Long loops: a case sent back hundreds of times keeps working and never ends by itself.

SpiffWorkflow's task iterator stops at depth 1000, so a 3-node loop (merge gateway →
user task → split gateway) would stall after 333 rounds and report itself completed.
The engine prunes finished history so the tree stays shallow, and refuses to call an
instance completed while tasks it can no longer reach are pending.
"""

from __future__ import annotations

import pytest
from django.db import transaction
from SpiffWorkflow.util.task import TaskState

from engine import persistence, runtime, services
from engine.errors import StepFailed
from engine.models import AuditEvent, HumanTask, HumanTaskState, Incident, InstanceStatus
from engine.serialization import all_tasks

from .conftest import assert_round_trip, deploy_diagram, open_task, open_tasks

pytestmark = pytest.mark.django_db

ROUNDS = 340  # past the 333 rounds at which SpiffWorkflow alone stalls


def test_loop_past_the_library_depth_limit_keeps_going(user):
    """340 rounds of send-back: the task is open after every round, the case never reports
    completed while looping, it completes when the loop ends, and its stored state stays small."""
    deploy_diagram("robust_loop")
    inst = services.start(key="robust_loop", started_by=user)
    size_at_20 = None

    for i in range(1, ROUNDS + 1):
        [row] = open_tasks(inst)
        assert row.element_id == "review", i
        inst = services.complete(task_id=row.pk, user=user, data={"again": True, "round": i})
        inst.refresh_from_db()
        assert inst.status == InstanceStatus.RUNNING, f"round {i}: {inst.status}"
        if i == 20:
            size_at_20 = len(inst.state)

    size_at_end = len(inst.state)
    assert size_at_end < 2 * size_at_20, (size_at_20, size_at_end)
    assert_round_trip(inst)
    assert HumanTask.objects.filter(instance=inst, state=HumanTaskState.COMPLETED).count() == ROUNDS
    assert AuditEvent.objects.filter(instance=inst, action="complete").count() == ROUNDS

    services.complete(task_id=open_task(inst, "review").pk, user=user, data={"again": False})
    inst.refresh_from_db()
    assert inst.status == InstanceStatus.COMPLETED
    assert open_tasks(inst) == []
    assert not Incident.objects.filter(instance=inst).exists()
    assert AuditEvent.objects.filter(instance=inst, action="end").count() == 1


def test_loop_data_survives_pruning(user):
    """Data set in the latest rounds reaches the task of the next round after pruning."""
    deploy_diagram("robust_loop")
    inst = services.start(key="robust_loop", data={"expediente": "EXP-1"}, started_by=user)
    for i in range(1, 40):
        inst = services.complete(task_id=open_task(inst, "review").pk, user=user,
                                 data={"again": True, "round": i})
    wf = runtime.load_workflow(inst, runtime.loaded_spec(inst))
    [ready] = [t for t in all_tasks(wf) if t.state == TaskState.READY]
    assert ready.data["round"] == 39
    assert ready.data["expediente"] == "EXP-1"
    assert ready.depth < 100  # history was pruned


def _drive_in_memory(inst, rounds: int) -> None:
    """Advance an instance `rounds` loop iterations in SpiffWorkflow directly, then save it
    with the engine's own persist() (fast way to build a deep task tree)."""
    with transaction.atomic():
        locked = persistence.lock_instance(inst.pk)
        loaded = runtime.loaded_spec(locked)
        wf = runtime.load_workflow(locked, loaded)
        for _ in range(rounds):
            [task] = wf.get_tasks(state=TaskState.READY, manual=True)
            task.set_data(again=True)
            task.run()
            wf.do_engine_steps()
        persistence.persist(runtime.StepContext(instance=locked, actor=None, loaded=loaded, workflow=wf))


def test_without_pruning_the_engine_raises_an_incident_instead_of_completing(user, monkeypatch):
    """With history pruning disabled, the round that pushes the tree past depth 1000 becomes an
    incident about the task-tree depth; the case is never reported as completed."""
    monkeypatch.setattr(runtime, "PRUNE_KEEP", 10**9)
    deploy_diagram("robust_loop")
    inst = services.start(key="robust_loop", started_by=user)
    _drive_in_memory(inst, 325)
    inst.refresh_from_db()
    [row] = open_tasks(inst)
    assert row.element_id == "review"
    wf = runtime.load_workflow(inst, runtime.loaded_spec(inst))
    assert max(t.depth for t in all_tasks(wf)) > 950  # not pruned: the tree is deep

    failure = None
    for i in range(30):  # well past the round where the library would stall
        row = open_task(inst, "review")
        try:
            inst = services.complete(task_id=row.pk, user=user, data={"again": True})
        except StepFailed as exc:
            failure = exc
            break
        inst.refresh_from_db()
        assert inst.status == InstanceStatus.RUNNING, i
    assert failure is not None, "the engine let the loop pass depth 1000 without an incident"

    inst.refresh_from_db()
    assert inst.status == InstanceStatus.INCIDENT
    assert inst.status != InstanceStatus.COMPLETED and inst.ended_at is None
    incident = Incident.objects.get(instance=inst, resolved_at__isnull=True)
    assert "1000 niveles" in incident.message
    assert "merge" in incident.message or "review" in incident.message
    assert [t.element_id for t in open_tasks(inst)] == ["review"]  # the failed round rolled back
    assert not AuditEvent.objects.filter(instance=inst, action="end").exists()


def test_library_alone_stalls_and_reports_completed():
    """Documents the hazard the engine guards against: SpiffWorkflow alone, after 333+ rounds of
    the same loop, reports the workflow completed with a task still READY past depth 1000."""
    from SpiffWorkflow.bpmn import BpmnWorkflow
    from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser

    from .conftest import DIAGRAMS

    parser = SpiffBpmnParser()
    parser.add_bpmn_file(str(DIAGRAMS / "robust_loop.bpmn"))
    wf = BpmnWorkflow(parser.get_spec("robust_loop"))
    wf.do_engine_steps()
    rounds = 0
    while not wf.is_completed() and rounds < ROUNDS:
        [task] = wf.get_tasks(state=TaskState.READY, manual=True)
        task.set_data(again=True)
        task.run()
        wf.do_engine_steps()
        rounds += 1
    assert wf.is_completed() and rounds < ROUNDS  # "completed" although `again` was always true
    assert any(t.has_state(TaskState.READY | TaskState.WAITING) and t.depth >= 1000
               for t in wf.tasks.values())
