"""Does an unfinished instance's stored state agree with its task rows and its audit?

A step writes the state, the human-task rows, the status, the timer and message waits
and the audit in one transaction, so after any crash they still agree; these checks say
so, instance by instance (`manage.py check_instances`, scripts/crash_trials.py). Each
disagreement has an English code and a Spanish sentence for the operator.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction
from django.db.models import Count
from django.utils.translation import gettext as _
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.util.task import TaskState

from .models import (
    AuditAction,
    AuditEvent,
    HumanTask,
    HumanTaskState,
    Incident,
    InstanceStatus,
    ProcessInstance,
)

# The persisted timer and message waits are derived by these; the check derives them the same way.
from .persistence import timer_due, waiting_messages
from .runtime import load_workflow, loaded_spec
from .serialization import all_tasks

FINISHED_STATUSES = (InstanceStatus.COMPLETED, InstanceStatus.CANCELLED)
Report = Callable[[str, str], None]  # (code, Spanish message)


@dataclass(frozen=True)
class Problem:
    instance_id: int
    code: str  # English, stable: what scripts and operators grep for
    message: str  # Spanish, for the operator

    def __str__(self) -> str:
        return f"[{self.code}] {self.message}"


def unfinished_instance_ids(only: Iterable[int] = ()) -> list[int]:
    """The ids of the unfinished instances (of those in `only`, when given), in order."""
    instances = ProcessInstance.objects.exclude(status__in=FINISHED_STATUSES)
    wanted = list(only)
    if wanted:
        instances = instances.filter(pk__in=wanted)
    return list(instances.order_by("pk").values_list("pk", flat=True))


@contextmanager
def snapshot() -> Iterator[None]:
    """One read-only transaction whose reads all see the same committed database.

    PostgreSQL's default READ COMMITTED gives each statement its own snapshot: a step
    committing between the read of an instance row and the read of its task rows would
    show a new task row next to the old state, a disagreement no crash caused. REPEATABLE
    READ takes one snapshot at the transaction's first statement (READ ONLY: the check
    writes nothing). A SQLite transaction is already one snapshot (WAL); this project's
    SQLite transactions begin IMMEDIATE, so a writer waits the few milliseconds one
    instance's check takes (busy timeout). Inside a caller's transaction (a test's) none
    can be opened: the caller's isolation decides."""
    if connection.in_atomic_block:
        yield
        return
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        yield


def check_instance_id(instance_id: int) -> tuple[ProcessInstance | None, list[Problem]]:
    """Read one instance (its row, task rows, incidents, waits and audit) from one
    snapshot and check it. (None, []) when it finished, or was deleted, since it was listed."""
    with snapshot():
        inst = (ProcessInstance.objects.exclude(status__in=FINISHED_STATUSES)
                .select_related("definition").filter(pk=instance_id).first())
        if inst is None:
            return None, []
        return inst, check_instance(inst)


def check_instance(inst: ProcessInstance) -> list[Problem]:
    """Every disagreement found on one unfinished instance; [] when it is consistent.

    Reads the instance's task rows, incidents, waits and audit: call it inside a
    `snapshot()` in which `inst` was read (as `check_instance_id` does), or a worker
    committing meanwhile makes a disagreement of its own."""
    problems: list[Problem] = []

    def problem(code: str, message: str) -> None:
        problems.append(Problem(inst.pk, code, message))

    try:
        wf = load_workflow(inst, loaded_spec(inst))
    except Exception as exc:  # noqa: BLE001 - reported, the check goes on with the next instance
        problem("state-unreadable", _("el estado guardado no se puede leer: %(error)s") % {"error": exc})
        return problems

    ready = {t.id: t for t in all_tasks(wf) if t.state == TaskState.READY and t.task_spec.manual}
    rows = list(HumanTask.objects.filter(instance=inst, state=HumanTaskState.OPEN)
                .values_list("task_id", "element_id"))
    open_ids = {task_id for task_id, _element in rows}
    for task_id, task in ready.items():
        if task_id not in open_ids:
            problem("missing-task-row", _("la tarea «%(element)s» está lista en el flujo pero no tiene fila en la "
                                          "bandeja") % {"element": task.task_spec.bpmn_id or task.task_spec.name})
    for task_id, element in rows:
        if task_id not in ready:
            problem("stale-task-row", _("la fila abierta de la tarea «%(element)s» no corresponde a ninguna "
                                        "tarea lista del flujo") % {"element": element})

    open_incidents = Incident.objects.filter(instance=inst, resolved_at__isnull=True).exists()
    if inst.status == InstanceStatus.INCIDENT:
        if not open_incidents:
            problem("incident-without-incident", _("el estado es «con incidencia» pero no hay incidencia abierta"))
    elif inst.status in (InstanceStatus.RUNNING, InstanceStatus.WAITING):
        if open_incidents:
            problem("open-incident", _("tiene una incidencia abierta pero su estado es «%(status)s»")
                    % {"status": inst.get_status_display()})
        expected = InstanceStatus.RUNNING if ready else InstanceStatus.WAITING
        if wf.is_completed():
            # The one thing wrong: no status of an unfinished instance, no wait, fits a finished flow.
            problem("finished-flow", _("el flujo terminó pero el expediente figura como «%(status)s»")
                    % {"status": inst.get_status_display()})
        elif inst.status != expected:
            problem("wrong-status", _("el estado es «%(status)s» pero el flujo %(why)s") % {
                "status": inst.get_status_display(),
                "why": _("tiene tareas listas") if ready else _("no tiene tareas listas")})
    elif inst.status == InstanceStatus.SUSPENDED and not inst.suspended_from:
        problem("suspended-from-unknown", _("está suspendido sin el estado al que debe volver"))

    if inst.status != InstanceStatus.INCIDENT or not open_incidents:
        # A failed step leaves the state as before it; the waits then still match it.
        _check_waits(inst, wf, ready=bool(ready), problem=problem)
    _check_audit(inst, open_ids, problem=problem)
    return problems


def _check_waits(inst: ProcessInstance, wf: BpmnWorkflow, *, ready: bool, problem: Report) -> None:
    due = timer_due(wf)
    if due != inst.next_timer_at:
        problem("timer-mismatch", _("el próximo temporizador guardado (%(stored)s) no es el del flujo "
                                    "(%(flow)s)") % {"stored": inst.next_timer_at, "flow": due})
    messages = waiting_messages(wf)
    stored = sorted(inst.waiting_messages or [])
    rows = sorted(inst.message_waits.values_list("name", flat=True))
    if messages != stored or messages != rows:
        problem("message-mismatch", _("los mensajes esperados guardados (%(stored)s, filas %(rows)s) no son los del "
                                      "flujo (%(flow)s)") % {"stored": stored, "rows": rows, "flow": messages})
    # A finished flow is reported as such (finished-flow), not also as a stall.
    if inst.status == InstanceStatus.WAITING and not ready and due is None and not messages and not wf.is_completed():
        problem("stalled", _("está «en espera» sin tarea, temporizador ni mensaje que lo pueda mover"))


def _check_audit(inst: ProcessInstance, open_ids: set[Any], *, problem: Report) -> None:
    counts = dict(AuditEvent.objects.filter(instance=inst).values_list("action").annotate(n=Count("pk")))
    total = sum(counts.values())
    if not counts.get(AuditAction.START):
        problem("audit-no-start", _("el historial no registra el inicio"))
    # Every step that moves lock_version writes at least one audit event in its transaction.
    if inst.lock_version > total:
        problem("version-ahead-of-audit", _("la versión %(version)s supera los %(events)s eventos del historial")
                % {"version": inst.lock_version, "events": total})
    if inst.lock_version < 1 and inst.status != InstanceStatus.INCIDENT:
        problem("version-never-saved", _("la versión es 0: ningún paso se guardó"))
    created = set(AuditEvent.objects.filter(instance=inst, action=AuditAction.TASK_CREATED, task_id__in=open_ids)
                  .values_list("task_id", flat=True))
    for task_id in open_ids - created:
        problem("task-row-not-audited", _("la fila de tarea %(task)s no tiene su evento «tarea creada» en el "
                                          "historial") % {"task": task_id})

