"""`manage.py check_instances`: unfinished instances' state, task rows and audit agree
(exit 0), and each kind of disagreement is named with its instance (exit 1).

One proof per code the checker can report (engine/consistency.py): a real instance built
with the engine, exactly one thing corrupted with the ORM or SQL, and the operator sees
exactly that code, with its instance and its sentence."""

from __future__ import annotations

import re
import threading
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone
from SpiffWorkflow.util.task import TaskState

from engine import services
from engine.errors import StepFailed
from engine.models import (
    AuditAction,
    AuditEvent,
    HumanTask,
    HumanTaskState,
    Incident,
    InstanceStatus,
    MessageWait,
    ProcessInstance,
)
from engine.runtime import load_workflow, loaded_spec
from engine.serialization import all_tasks, dump_workflow

from .conftest import deploy_diagram, open_task

pytestmark = pytest.mark.django_db

DATA = {"ugel": "UGEL01"}


def check(*args: str) -> tuple[int, str]:
    out = StringIO()
    try:
        call_command("check_instances", *args, stdout=out)
    except CommandError as exc:
        return exc.returncode, f"{out.getvalue()}\n{exc}"
    return 0, out.getvalue()


def codes(out: str) -> list[str]:
    return re.findall(r"\]?: \[([a-z-]+)\]", out)


def assert_only(out: str, code: int, inst: ProcessInstance, line: str) -> None:
    """Exit 1, exactly one disagreement in the whole database, shown as `line` for `inst`."""
    assert code == 1, out
    assert codes(out) == [line.split("]")[0].split("[")[1]], out
    assert line in out, out
    assert f"Instancias: {inst.pk}" in out
    assert "con desacuerdos." in out and "disagree." in out


def head(inst: ProcessInstance, key: str, status: str) -> str:
    return f"Instancia N.° {inst.pk} ({key} v1, {status}): "


def reniec_down(**kwargs):
    raise ConnectionError("RENIEC no responde")


def purge_audit(events) -> None:
    """Delete audit events as only a hand-made purge could (the trail is append-only in
    the database; the trigger is switched off for the statement, inside the test's
    transaction)."""
    table = AuditEvent._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # ALTER TABLE refuses while the deferred foreign-key checks are pending: run them now.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER engine_auditevent_append_only")
            events.delete()
            cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER engine_auditevent_append_only")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        else:  # SQLite refuses only UPDATE
            events.delete()


@pytest.fixture
def cases(user, engine_registry):
    """Instances at rest in every active shape: a user task open, the next one open, a
    timer, a message wait, an incident, a suspended one and a finished one."""
    engine_registry.register_service("reniec_lookup", reniec_down)
    engine_registry.register_service("create_account", lambda **kwargs: {})
    for name in ("user_tasks", "worker_timer", "message_catch", "robust_incident", "start_end"):
        deploy_diagram(name)
    fresh = services.start(key="user_tasks", data=DATA, started_by=user)
    moved = services.start(key="user_tasks", data=DATA, started_by=user)
    services.complete(task_id=open_task(moved, "fill").pk, user=user, data={"x": 1})
    timer = services.start(key="worker_timer", org_unit="UGEL01", started_by=user)
    message = services.start(key="message_catch", org_unit="IE-0456", started_by=user)
    failed = services.start(key="robust_incident", started_by=user)
    with pytest.raises(StepFailed):
        services.complete(task_id=open_task(failed, "fill").pk, user=user, data={"dni": "45678912"})
    suspended = services.start(key="user_tasks", data=DATA, started_by=user)
    services.suspend(instance_id=suspended.pk, by=user, reason="prueba")
    finished = services.start(key="start_end", started_by=user)
    return {"fresh": fresh, "moved": moved, "timer": timer, "message": message, "failed": failed,
            "suspended": suspended, "finished": finished}


def test_a_consistent_database_passes(cases):
    """Every shape an instance rests in agrees: exit 0 and a summary of what was checked."""
    assert ProcessInstance.objects.get(pk=cases["failed"].pk).status == InstanceStatus.INCIDENT
    code, out = check()
    assert code == 0, out
    assert codes(out) == []
    assert "6 instancias sin terminar revisadas; 0 con desacuerdos." in out
    assert "6 unfinished instance(s) checked; 0 disagree." in out


def test_an_unreadable_state_is_reported(cases):
    """[state-unreadable]: the stored state is not a workflow (a truncated write, a bad restore)."""
    inst = cases["fresh"]
    ProcessInstance.objects.filter(pk=inst.pk).update(state='{"truncated": ')

    code, out = check()

    assert_only(out, code, inst, head(inst, "user_tasks", "running")
                + "[state-unreadable] el estado guardado no se puede leer: ")


def test_a_deleted_task_row_is_reported_with_its_instance(cases):
    """[missing-task-row]: a READY user task without its inbox row."""
    inst = cases["moved"]
    HumanTask.objects.filter(instance=inst, element_id="verify").delete()

    code, out = check()

    assert_only(out, code, inst, head(inst, "user_tasks", "running")
                + "[missing-task-row] la tarea «verify» está lista en el flujo pero no tiene fila en la bandeja")


def test_a_completed_task_row_open_again_is_reported(cases):
    """[stale-task-row]: the row of a task the flow already completed is open again, so
    someone could work a task that no longer exists."""
    inst = cases["moved"]
    HumanTask.objects.filter(instance=inst, element_id="fill").update(state=HumanTaskState.OPEN)

    code, out = check()

    assert_only(out, code, inst, head(inst, "user_tasks", "running")
                + "[stale-task-row] la fila abierta de la tarea «fill» no corresponde a ninguna tarea lista del flujo")


def test_a_state_from_another_point_of_the_flow_is_reported(cases):
    """The stored state swapped for an older one (a restore gone wrong): the open row
    matches no task of the flow, the flow's ready task has no row."""
    inst, older = cases["moved"], cases["fresh"]
    ProcessInstance.objects.filter(pk=inst.pk).update(state=older.state)

    code, out = check("--instance", str(inst.pk))

    assert code == 1
    assert sorted(codes(out)) == ["missing-task-row", "stale-task-row"]
    assert "«verify»" in out and "«fill»" in out


def test_an_incident_status_without_an_open_incident_is_reported(cases):
    """[incident-without-incident]: the incident was closed but the instance still says
    'incident', so nobody retries it and nothing moves it."""
    inst = cases["failed"]
    Incident.objects.filter(instance=inst).update(resolved_at=timezone.now(), resolution="manual")

    code, out = check()

    assert_only(out, code, inst, head(inst, "robust_incident", "incident")
                + "[incident-without-incident] el estado es «con incidencia» pero no hay incidencia abierta")


def test_an_open_incident_on_a_running_instance_is_reported(cases):
    """[open-incident]: the instance says 'running' while its failed step waits for a retry."""
    inst = cases["failed"]
    ProcessInstance.objects.filter(pk=inst.pk).update(status=InstanceStatus.RUNNING)

    code, out = check()

    assert_only(out, code, inst, head(inst, "robust_incident", "running")
                + "[open-incident] tiene una incidencia abierta pero su estado es «en curso»")


def test_a_finished_flow_still_waiting_is_reported(cases):
    """[finished-flow]: the flow ended but the instance was not closed (only that: not
    also a stall)."""
    inst = cases["finished"]
    ProcessInstance.objects.filter(pk=inst.pk).update(status=InstanceStatus.WAITING, ended_at=None)

    code, out = check()

    assert_only(out, code, inst, head(inst, "start_end", "waiting")
                + "[finished-flow] el flujo terminó pero el expediente figura como «en espera»")


def test_a_tampered_status_is_reported(cases):
    """[wrong-status]: 'waiting' while a task is open."""
    inst = cases["fresh"]
    ProcessInstance.objects.filter(pk=inst.pk).update(status=InstanceStatus.WAITING)

    code, out = check()

    assert_only(out, code, inst, head(inst, "user_tasks", "waiting")
                + "[wrong-status] el estado es «en espera» pero el flujo tiene tareas listas")


def test_a_suspension_without_its_previous_status_is_reported(cases):
    """[suspended-from-unknown]: resuming would not know which status to return to."""
    inst = cases["suspended"]
    ProcessInstance.objects.filter(pk=inst.pk).update(suspended_from="")

    code, out = check()

    assert_only(out, code, inst, head(inst, "user_tasks", "suspended")
                + "[suspended-from-unknown] está suspendido sin el estado al que debe volver")


def test_a_lost_timer_is_reported(cases):
    """[timer-mismatch]: the flow waits on a timer the worker does not know of."""
    inst = cases["timer"]
    due = ProcessInstance.objects.get(pk=inst.pk).next_timer_at
    assert due is not None
    ProcessInstance.objects.filter(pk=inst.pk).update(next_timer_at=None)

    code, out = check()

    assert_only(out, code, inst, head(inst, "worker_timer", "waiting")
                + f"[timer-mismatch] el próximo temporizador guardado (None) no es el del flujo ({due})")


def test_lost_message_wait_rows_are_reported(cases):
    """[message-mismatch]: the flow waits for a message no MessageWait row lists, so a
    delivered message would not find the instance."""
    inst = cases["message"]
    MessageWait.objects.filter(instance=inst).delete()

    code, out = check()

    assert_only(out, code, inst, head(inst, "message_catch", "waiting")
                + "[message-mismatch] los mensajes esperados guardados (['documento_listo'], filas []) no son "
                  "los del flujo (['documento_listo'])")


def test_a_waiting_instance_with_nothing_to_move_it_is_a_stall(cases):
    """[stalled], the silent stall of issue 11: 'waiting' with no task, timer or message
    wait, in the flow as in the rows. Here the stored state's message catch was left
    STARTED (as an asynchronous task the engine never completes), its waits saved as the
    state implies them."""
    inst = ProcessInstance.objects.get(pk=cases["message"].pk)
    wf = load_workflow(inst, loaded_spec(inst))
    (catch,) = [t for t in all_tasks(wf) if t.task_spec.bpmn_id == "wait_doc"]
    assert catch.state == TaskState.WAITING
    catch._set_state(TaskState.STARTED)
    MessageWait.objects.filter(instance=inst).delete()
    ProcessInstance.objects.filter(pk=inst.pk).update(state=dump_workflow(wf), waiting_messages=[])

    code, out = check()

    assert_only(out, code, inst, head(inst, "message_catch", "waiting")
                + "[stalled] está «en espera» sin tarea, temporizador ni mensaje que lo pueda mover")


def test_an_audit_without_its_start_is_reported(cases):
    """[audit-no-start]: the history lost the event that says who started the case."""
    inst = cases["fresh"]
    purge_audit(AuditEvent.objects.filter(instance=inst, action=AuditAction.START))

    code, out = check()

    assert_only(out, code, inst, head(inst, "user_tasks", "running")
                + "[audit-no-start] el historial no registra el inicio")


def test_a_lock_version_ahead_of_the_audit_is_reported(cases):
    """[version-ahead-of-audit]: a version no audited step can have reached (the audit
    lost, or the row edited by hand)."""
    inst = cases["fresh"]
    events = AuditEvent.objects.filter(instance=inst).count()
    ProcessInstance.objects.filter(pk=inst.pk).update(lock_version=99)

    code, out = check()

    assert_only(out, code, inst, head(inst, "user_tasks", "running")
                + f"[version-ahead-of-audit] la versión 99 supera los {events} eventos del historial")


def test_a_version_never_saved_is_reported(cases):
    """[version-never-saved]: version 0 on an active instance: no step was saved over the
    inserted row."""
    inst = cases["fresh"]
    ProcessInstance.objects.filter(pk=inst.pk).update(lock_version=0)

    code, out = check()

    assert_only(out, code, inst, head(inst, "user_tasks", "running")
                + "[version-never-saved] la versión es 0: ningún paso se guardó")


def test_a_task_row_without_its_audit_event_is_reported(cases):
    """[task-row-not-audited]: an open task whose creation the history does not show."""
    inst = cases["fresh"]
    row = open_task(inst, "fill")
    purge_audit(AuditEvent.objects.filter(instance=inst, action=AuditAction.TASK_CREATED))

    code, out = check()

    assert_only(out, code, inst, head(inst, "user_tasks", "running")
                + f"[task-row-not-audited] la fila de tarea {row.task_id} no tiene su evento «tarea creada» "
                  "en el historial")


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite: a transaction is one snapshot already")
def test_a_step_committed_during_the_check_is_not_a_disagreement(user):
    """A worker completes a task between the checker's read of the instance row and its
    read of the task rows: the checker sees the instance as it was, one snapshot, and
    reports nothing (under READ COMMITTED it saw the new rows next to the old state)."""
    deploy_diagram("user_tasks")
    inst = services.start(key="user_tasks", data=DATA, started_by=user)
    task_pk = open_task(inst, "fill").pk
    committed = []

    def complete_elsewhere() -> None:
        try:
            services.complete(task_id=task_pk, user=user, data={"x": 1})
            committed.append(True)
        finally:
            connection.close()

    def after_instance_read(execute, sql, params, many, context):
        result = execute(sql, params, many, context)
        # The instance row as read inside the checker's transaction (not the listing before it).
        if not committed and connection.in_atomic_block and ProcessInstance._meta.db_table in sql:
            worker = threading.Thread(target=complete_elsewhere)
            worker.start()
            worker.join()
        return result

    with connection.execute_wrapper(after_instance_read):
        code, out = check()

    assert committed, "the concurrent step did not run"
    assert HumanTask.objects.get(pk=task_pk).state == HumanTaskState.COMPLETED
    assert code == 0, out
    assert "1 instancias sin terminar revisadas; 0 con desacuerdos." in out
