"""The step machinery shared by every engine service.

A step is: lock the instance row → load the workflow → act → run the engine until it
waits → prune → save → refresh human-task rows → append audit events, all in one
transaction. If anything in the engine part fails, the transaction rolls back and a
second, small transaction records an incident, so the instance is exactly as before
plus one incident.
"""

from __future__ import annotations

import json
import logging
import traceback
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.utils import timezone
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.util.task import TaskState

from . import calendar as business_calendar
from . import fastsql
from .errors import ConflictError, EngineError, NotFoundError, ServiceTaskError, StepFailed
from .models import (
    ACTIVE_STATUSES,
    AuditAction,
    AuditEvent,
    HumanTask,
    HumanTaskState,
    Incident,
    InstanceStatus,
    MessageWait,
    ProcessDefinition,
    ProcessInstance,
    StepKind,
)
from .registry import LaneContext, ServiceContext, data_path, registry
from .scripting import EngineScriptEngine
from .serialization import (
    SERIALIZER_VERSION,
    all_tasks,
    all_workflows,
    dump_workflow,
    prune_history,
    restore_workflow,
    unreachable_tasks,
)
from .specs import LoadedSpec, load_spec

log = logging.getLogger(__name__)

PRUNE_KEEP = 12


def engine_settings() -> dict[str, Any]:
    return getattr(settings, "ENGINE", {})


# --- Script functions every diagram may use -------------------------------------------------


def _working_days(days: int) -> str:
    """ISO date-time `days` Peruvian working days from now (for timeDate timers)."""
    return business_calendar.add_working_days(timezone.now(), int(days)).isoformat()


def _now_iso() -> str:
    return timezone.now().isoformat()


BUILTIN_FUNCTIONS: dict[str, Callable[..., Any]] = {
    "working_days": _working_days,
    "now_iso": _now_iso,
}


def _script_functions() -> dict[str, Callable[..., Any]]:
    return {**BUILTIN_FUNCTIONS, **registry.script_functions}


# --- Step context ----------------------------------------------------------------------------


@dataclass
class StepContext:
    instance: ProcessInstance
    actor: Any
    loaded: LoadedSpec
    workflow: BpmnWorkflow | None = None
    audit: list[AuditEvent] = field(default_factory=list)
    current_task: Any = None
    completed_by_actor: set = field(default_factory=set)
    thrown: list[Any] = field(default_factory=list)
    schedule_timer: bool = False
    # Open human-task rows, when the action already read (and locked) them.
    open_rows: list[HumanTask] | None = None
    completed: bool = False  # the workflow reached its end (set by run_engine)
    keep_incident: bool = False  # an incident that only a retry can settle is still open

    def record(self, action: str, *, task: Any = None, element_id: str = "", role: str = "",
               unit: str = "", data: dict | None = None, task_id: Any = None) -> None:
        if task is not None:
            task_id = task.id
            element_id = element_id or (task.task_spec.bpmn_id or task.task_spec.name)
        self.audit.append(
            AuditEvent(
                instance=self.instance,
                definition_id=self.instance.definition_id,
                task_id=task_id,
                element_id=element_id or "",
                actor=self.actor if getattr(self.actor, "pk", None) else None,
                role=role,
                unit=unit,
                action=action,
                data=data or {},
                created_at=timezone.now(),
            )
        )


_current: ContextVar[StepContext | None] = ContextVar("engine_step", default=None)


def _call_service(task: Any, operation: str, params: dict[str, Any]) -> Any:
    ctx = _current.get()
    if ctx is None:
        raise ServiceTaskError("Una tarea de servicio se ejecutó fuera de un paso del motor.")
    handler = registry.services.get(operation)
    element_id = task.task_spec.bpmn_id or task.task_spec.name
    if handler is None:
        raise ServiceTaskError(f"El operador de servicio '{operation}' no está registrado.")
    service_ctx = ServiceContext(
        instance_id=ctx.instance.pk,
        definition_key=ctx.instance.definition.key,
        business_key=ctx.instance.business_key,
        org_unit=ctx.instance.org_unit,
        element_id=element_id,
        data=dict(task.data),
        actor_id=getattr(ctx.actor, "pk", None),
    )
    result = handler(service_ctx, **params)
    ctx.record(
        AuditAction.SERVICE_CALL, task=task,
        data={"operator": operation, "params": params, "result": result},
    )
    return result


SCRIPT_ENGINE = EngineScriptEngine(functions=_script_functions, service_caller=_call_service)


# --- Loading and saving --------------------------------------------------------------------------


def fetch_xml(key: str, version: int) -> str:
    return ProcessDefinition.objects.values_list("xml", flat=True).get(key=key, version=version)


def loaded_spec(instance: ProcessInstance) -> LoadedSpec:
    return load_spec(instance.definition, instance.callee_versions, fetch_xml)


def new_workflow(loaded: LoadedSpec) -> BpmnWorkflow:
    return BpmnWorkflow(loaded.spec, loaded.subprocess_specs, script_engine=SCRIPT_ENGINE)


def load_workflow(instance: ProcessInstance, loaded: LoadedSpec) -> BpmnWorkflow:
    wf = restore_workflow(
        instance.state, instance.serializer_version, loaded.spec, loaded.subprocess_specs
    )
    wf.script_engine = SCRIPT_ENGINE
    return wf


_definitions: dict[int, ProcessDefinition] = {}


def cached_definition(definition_id: int, fingerprint: tuple | None = None) -> ProcessDefinition:
    """Definitions are immutable once deployed, so each process keeps them in memory
    instead of re-reading their XML at every step.

    `fingerprint` is the row's (key, version, sha256) as just read from the database: a
    primary key can be reused (SQLite after a rolled-back insert or a deletion), and a
    stale entry would load another process's spec for this instance."""
    definition = _definitions.get(definition_id)
    if definition is None or (
        fingerprint is not None
        and fingerprint != (definition.key, definition.version, definition.sha256)
    ):
        definition = ProcessDefinition.objects.get(pk=definition_id)
        _definitions[definition_id] = definition
    return definition


def lock_instance(instance_id: int | None = None, *, task_pk: int | None = None) -> ProcessInstance:
    """Lock and return an instance row, by id or by the pk of one of its human tasks."""
    return lock_step_rows(instance_id, task_pk=task_pk, with_tasks=False)[0]


def lock_step_rows(instance_id: int | None = None, *, task_pk: int | None = None,
                   with_tasks: bool = True) -> tuple[ProcessInstance, list[HumanTask]]:
    """Lock an instance row (by id, or by the pk of one of its human tasks) and then its
    open task rows, so a concurrent claim waits for the step; return both.

    FOR NO KEY UPDATE, not FOR UPDATE: a step never changes a row's key, and a plain
    FOR UPDATE also blocks the FOR KEY SHARE lock PostgreSQL takes to insert a row that
    references the instance (an audit event), so a claim holding a task row and writing
    its audit event would deadlock with a step holding the instance and locking tasks.

    Plain SQL (table names from the models, values as parameters): this runs at every
    step, and the ORM's query compilation cost more than the queries themselves. (Sending
    both in one psycopg pipeline was measured slower than two plain round trips.)
    """
    lock = connection.features.has_select_for_no_key_update
    instances, tasks = ProcessInstance._meta.db_table, HumanTask._meta.db_table
    if instance_id is not None:
        which, param = "%s", instance_id
    else:
        which, param = f"(SELECT instance_id FROM {tasks} WHERE id = %s)", task_pk  # noqa: S608
    instance_sql = (
        "SELECT i.*, d.key AS _def_key, d.version AS _def_version, d.sha256 AS _def_sha "  # noqa: S608
        f"FROM {instances} i JOIN {ProcessDefinition._meta.db_table} d ON d.id = i.definition_id "
        f"WHERE i.id = {which}" + (" FOR NO KEY UPDATE OF i" if lock else "")
    )
    tasks_sql = (
        f"SELECT * FROM {tasks} WHERE instance_id = {which} AND state = %s "  # noqa: S608
        "ORDER BY id" + (" FOR NO KEY UPDATE" if lock else "")
    )
    with connection.cursor() as first, connection.cursor() as second:
        first.execute(instance_sql, [param])
        if with_tasks:
            second.execute(tasks_sql, [param, HumanTaskState.OPEN])
        rows = fastsql.rows_to_models(ProcessInstance, first)
        open_rows = fastsql.rows_to_models(HumanTask, second) if with_tasks else []
    if not rows:
        if instance_id is None:
            raise NotFoundError("La tarea no existe.")
        raise NotFoundError("La instancia de proceso no existe.")
    inst = rows[0]
    inst.definition = cached_definition(
        inst.definition_id, (inst._def_key, inst._def_version, inst._def_sha))
    return inst, open_rows


class EngineFailure(Exception):
    """Internal: the engine part of a step failed; carries what the incident needs."""

    def __init__(self, exc: BaseException, element_id: str):
        self.exc = exc
        self.element_id = element_id
        self.trace = "".join(traceback.format_exception(exc))
        super().__init__(str(exc))


def _element_of(exc: BaseException, ctx: StepContext) -> str:
    task = getattr(exc, "task", None)
    if task is None and ctx.current_task is not None:
        task = ctx.current_task
    if task is None:
        return ""
    return task.task_spec.bpmn_id or task.task_spec.name


def _message_of(exc: BaseException) -> str:
    if isinstance(exc, WorkflowTaskException):
        inner = getattr(exc, "exception", None)
        base = exc.args[0] if exc.args else str(exc)
        if inner is not None and str(inner) and str(inner) not in base:
            return f"{base} ({inner})"
        return base
    return str(exc) or exc.__class__.__name__


def run_engine(ctx: StepContext, act: Callable[[], None] | None = None) -> None:
    """Run `act` and then the engine until it waits. Any failure becomes EngineFailure."""
    wf = ctx.workflow
    assert wf is not None
    token = _current.set(ctx)
    try:
        if act is not None:
            act()
        wf.do_engine_steps(will_complete_task=lambda t: setattr(ctx, "current_task", t))
        ctx.current_task = None
        prune_history(wf, keep=PRUNE_KEEP)
        # A tree holding fewer than 1000 tasks cannot be 1000 levels deep.
        stuck = unreachable_tasks(wf) if sum(len(w.tasks) for w in all_workflows(wf)) >= 1000 else []
        if stuck:
            names = ", ".join(sorted({t.task_spec.bpmn_id or t.task_spec.name for t in stuck}))
            raise EngineError(
                "El flujo tiene tareas pendientes que el motor ya no alcanza (árbol de tareas "
                f"con más de 1000 niveles): {names}. No se marca como completado."
            )
        ctx.completed = wf.is_completed()
        if ctx.completed:
            pending = [t for t in all_tasks(wf) if t.has_state(TaskState.READY | TaskState.WAITING)]
            if pending:
                names = ", ".join(sorted({t.task_spec.bpmn_id or t.task_spec.name for t in pending}))
                raise EngineError(
                    f"El flujo parece terminado pero quedan tareas pendientes: {names}."
                )
        ctx.thrown.extend(wf.get_events())
    except (DatabaseError, ConflictError):
        raise
    except Exception as exc:  # noqa: BLE001 - every engine failure becomes an incident
        raise EngineFailure(exc, _element_of(exc, ctx)) from exc
    finally:
        _current.reset(token)


# waiting_events() names the concrete class; TimeDateEventDefinition does not end in
# "TimerEventDefinition", so match the subclasses' names rather than a suffix.
TIMER_EVENT_TYPES = frozenset(c.__name__ for c in TimerEventDefinition.__subclasses__())


def _timer_due(wf: BpmnWorkflow) -> datetime | None:
    due: datetime | None = None
    for event in wf.waiting_events():
        if event.event_type not in TIMER_EVENT_TYPES or event.value is None:
            continue
        value = event.value
        if isinstance(value, dict):
            value = value.get("next")
        if not isinstance(value, str):
            continue
        try:
            when = TimerEventDefinition.get_datetime(value)
        except ValueError:
            continue
        if due is None or when < due:
            due = when
    return due


def _waiting_messages(wf: BpmnWorkflow) -> list[str]:
    return sorted({
        e.name for e in wf.waiting_events()
        if e.event_type == "MessageEventDefinition" and e.name
    })


def _working_days_of(task: Any, working: str) -> int:
    """`dueInWorkingDays` is a whole number or an expression over the task data
    (`preparacion["plazo_dias"]`), so a procedure can take its deadline from configuration."""
    text = working.strip()
    if text.isdigit():
        value: Any = int(text)
    else:
        try:
            value = task.workflow.script_engine.evaluate(task, text)
        except Exception as exc:  # noqa: BLE001 - any failure of the expression is the diagram's
            raise ValueError(f"'dueInWorkingDays' ({text}) no se pudo evaluar: {exc}") from exc
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= 365:
        raise ValueError(f"'dueInWorkingDays' ({text}) debe dar un entero entre 1 y 365; dio {value!r}.")
    return value


def _due_at(properties: dict[str, str], now: datetime, task: Any = None) -> datetime | None:
    working = properties.get("dueInWorkingDays")
    if working:
        return business_calendar.add_working_days(now, _working_days_of(task, working))
    duration = properties.get("dueIn")
    if duration:
        parsed = TimerEventDefinition.parse_iso_duration(duration)
        return now + TimerEventDefinition.get_timedelta_from_start(parsed, now)
    return None


def _claim_for(properties: dict[str, str], task: Any) -> int | None:
    """`claimFor` names a data path holding the id of the one person a task is for (the
    new user confirming receipt of their account): the task is created already theirs."""
    path = properties.get("claimFor")
    if not path:
        return None
    value = data_path(task.data, path)
    if isinstance(value, bool) or not isinstance(value, int):
        raise LookupError(f"'claimFor' toma el usuario del dato '{path}', que no es un número de usuario: {value!r}.")
    from django.contrib.auth import get_user_model

    if not get_user_model().objects.filter(pk=value).exists():
        raise LookupError(f"'claimFor': el usuario {value} (dato '{path}') no existe.")
    return value


def _insert_fields(model) -> tuple[str, ...]:
    return tuple(f.name for f in model._meta.concrete_fields if not f.primary_key)


def persist(ctx: StepContext) -> None:
    """Save the workflow and everything derived from it. Call inside the step transaction,
    on an instance row that already exists (start() inserts it first)."""
    inst, wf = ctx.instance, ctx.workflow
    assert wf is not None
    now = timezone.now()
    fields = ["state", "serializer_version", "status", "updated_at", "lock_version",
              "next_timer_at", "waiting_messages", "ended_at"]
    inst.state = dump_workflow(wf)
    inst.serializer_version = SERIALIZER_VERSION
    inst.updated_at = now
    inst.lock_version += 1

    ready = {
        t.id: t for t in all_tasks(wf)
        if t.state == TaskState.READY and t.task_spec.manual
    }
    open_rows = ctx.open_rows
    if open_rows is None:
        open_rows = list(HumanTask.objects.filter(instance=inst, state=HumanTaskState.OPEN))
    open_ids = {row.task_id for row in open_rows}
    task_map = None
    closed: list[HumanTask] = []
    for row in open_rows:
        if row.task_id in ready:
            continue
        if task_map is None:
            task_map = {t.id: t for t in all_tasks(wf)}
        task = task_map.get(row.task_id)
        if task is not None and task.state == TaskState.COMPLETED:
            row.state = HumanTaskState.COMPLETED
            if row.task_id in ctx.completed_by_actor:
                row.completed_by = ctx.actor if getattr(ctx.actor, "pk", None) else None
        else:
            row.state = HumanTaskState.CANCELLED
            ctx.record(AuditAction.TASK_CANCELLED, task_id=row.task_id, element_id=row.element_id,
                       role=row.role, unit=row.unit)
        row.completed_at = now
        closed.append(row)
    new_rows = []
    for task_id, task in ready.items():
        if task_id in open_ids:
            continue
        info = ctx.loaded.user_tasks.get(task.task_spec.name)
        properties = dict(info.properties) if info else {}
        try:
            candidate = registry.lane_resolver.resolve(LaneContext(
                lane=task.task_spec.lane,
                properties=properties,
                element_id=info.element_id if info else task.task_spec.name,
                instance_org_unit=inst.org_unit,
                data=task.data,
            ))
            due_at = _due_at(properties, now, task)
            claim_for = _claim_for(properties, task)
        except (LookupError, ValueError) as exc:
            # Nobody could be given this task: an incident an administrator can fix and
            # retry, rather than a task that sits in no one's inbox.
            raise EngineFailure(exc, task.task_spec.bpmn_id or task.task_spec.name) from exc
        row = HumanTask(
            instance=inst, process_key=inst.definition.key, task_id=task_id,
            element_id=info.element_id if info else task.task_spec.name,
            title=(info.title if info else task.task_spec.name)[:300],
            form_key=info.form_key if info else "",
            lane=task.task_spec.lane or "",
            role=candidate.role, unit=candidate.unit,
            due_at=due_at, created_at=now,
            claimed_by_id=claim_for, claimed_at=now if claim_for else None,
        )
        new_rows.append(row)
        ctx.record(AuditAction.TASK_CREATED, task=task, role=row.role, unit=row.unit,
                   data={"title": row.title, **({"claimed_for": claim_for} if claim_for else {})})

    completed = ctx.completed
    if completed:
        inst.status = InstanceStatus.COMPLETED
        inst.ended_at = now
        inst.next_timer_at = None
        ctx.record(AuditAction.END)
        if ctx.keep_incident:  # the process ended another way: nothing is left to redo
            Incident.objects.filter(instance=inst, resolved_at__isnull=True).update(
                resolved_at=now, resolution="obsolete")
    elif ctx.keep_incident:
        inst.status = InstanceStatus.INCIDENT
    elif inst.status not in (InstanceStatus.SUSPENDED, InstanceStatus.CANCELLED):
        inst.status = InstanceStatus.RUNNING if ready else InstanceStatus.WAITING
    if not completed:
        due = _timer_due(wf)
        if due != inst.next_timer_at:
            ctx.schedule_timer = due is not None
        inst.next_timer_at = due

    messages = [] if completed else _waiting_messages(wf)
    if messages != list(inst.waiting_messages or []):
        MessageWait.objects.filter(instance=inst).exclude(name__in=messages).delete()
        existing = set(MessageWait.objects.filter(instance=inst).values_list("name", flat=True))
        MessageWait.objects.bulk_create(
            [MessageWait(instance=inst, name=n) for n in messages if n not in existing]
        )
        inst.waiting_messages = messages

    # The step's remaining writes go to the database in one round trip.
    with fastsql.pipeline():
        for row in closed:
            fastsql.update_row(row, ["state", "completed_at", "completed_by"])
        fastsql.insert_rows(HumanTask, new_rows, _insert_fields(HumanTask))
        fastsql.update_row(inst, fields)
        fastsql.insert_rows(AuditEvent, ctx.audit, _insert_fields(AuditEvent))
    ctx.audit = []


def after_commit(ctx: StepContext) -> None:
    """Work that must only happen once the step is durable."""
    inst = ctx.instance
    if ctx.schedule_timer and inst.next_timer_at is not None:
        from .tasks import schedule_wakeup

        when, pk = inst.next_timer_at, inst.pk
        transaction.on_commit(lambda: schedule_wakeup(pk, when))


# --- Incidents ---------------------------------------------------------------------------------


def record_incident(instance_id: int, *, kind: str, payload: dict, actor: Any,
                    failure: EngineFailure) -> Incident:
    with transaction.atomic():
        inst = lock_instance(instance_id)
        now = timezone.now()
        Incident.objects.filter(
            instance=inst, resolved_at__isnull=True, step_kind__in=REPLAYABLE_KINDS
        ).update(resolved_at=now, resolution="superseded")
        status_before = inst.status if inst.status != InstanceStatus.INCIDENT else ""
        previous = Incident.objects.filter(instance=inst).order_by("-pk").first()
        if not status_before and previous is not None:
            status_before = previous.status_before
        incident = Incident.objects.create(
            instance=inst, element_id=failure.element_id, message=_message_of(failure.exc)[:4000],
            traceback=failure.trace[-20000:], step_kind=kind, step_payload=payload,
            actor=actor if getattr(actor, "pk", None) else None,
            status_before=status_before or InstanceStatus.RUNNING, created_at=now,
        )
        inst.status = InstanceStatus.INCIDENT
        inst.updated_at = now
        inst.save(update_fields=["status", "updated_at"])
        AuditEvent.objects.create(
            instance=inst, definition_id=inst.definition_id, element_id=failure.element_id,
            actor=actor if getattr(actor, "pk", None) else None, action=AuditAction.INCIDENT,
            data={"incident": incident.pk, "step": kind, "message": incident.message}, created_at=now,
        )
    log.warning("Incident %s on instance %s at %s: %s", incident.pk, instance_id,
                failure.element_id, incident.message)
    return incident


# A failed completion is redone when the officer completes the same task again, and a
# failed timer when the clock fires it again: the next such step settles the incident.
# A failed message or start cannot happen again by itself: only a retry settles it.
REPLAYABLE_KINDS = (StepKind.COMPLETE, StepKind.TIMER)


def settle_incidents(ctx: StepContext, *, retrying: int | None, kind: str, payload: dict) -> None:
    """Call inside a successful step: close the incidents this step redid; any other
    open incident keeps the instance in status 'incident'."""
    now = timezone.now()
    for incident in Incident.objects.filter(instance=ctx.instance, resolved_at__isnull=True):
        same_task = (incident.step_kind == kind == StepKind.COMPLETE
                     and incident.step_payload.get("task") == payload.get("task"))
        if incident.pk == retrying:
            resolution = "retried"
        elif same_task or incident.step_kind == kind == StepKind.TIMER:
            resolution = "superseded"
        else:
            ctx.keep_incident = True
            continue
        Incident.objects.filter(pk=incident.pk).update(resolved_at=now, resolution=resolution)


def step_failed(incident: Incident) -> StepFailed:
    where = f" en «{incident.element_id}»" if incident.element_id else ""
    return StepFailed(
        f"El paso no se pudo completar{where}: {incident.message.rstrip('.')}. Se registró la incidencia "
        f"N.° {incident.pk}; nada cambió en el expediente.",
        incident_id=incident.pk,
    )


# --- The generic step ----------------------------------------------------------------------


ACT = Callable[[StepContext], None]


def run_step(instance_id: int | None, *, kind: str, payload: dict, actor: Any, act: ACT,
             allowed: tuple[str, ...] = ACTIVE_STATUSES, task_pk: int | None = None,
             retrying: int | None = None) -> StepContext:
    """Run one step on an existing instance (given by id, or by one of its task rows).
    `act` receives the context with the workflow loaded; it raises ConflictError for
    precondition failures (nothing is recorded) and calls run_engine() for the engine
    part (failures become incidents)."""
    locked_pk = instance_id
    try:
        with transaction.atomic():
            inst, open_rows = lock_step_rows(instance_id, task_pk=task_pk)
            locked_pk = inst.pk
            if inst.status not in allowed:
                raise ConflictError(status_conflict(inst))
            loaded = loaded_spec(inst)
            ctx = StepContext(instance=inst, actor=actor, loaded=loaded, open_rows=open_rows)
            try:
                ctx.workflow = load_workflow(inst, loaded)
            except Exception as exc:  # noqa: BLE001
                raise EngineFailure(exc, "") from exc
            act(ctx)
            if inst.status == InstanceStatus.INCIDENT or retrying is not None:
                settle_incidents(ctx, retrying=retrying, kind=kind, payload=payload)
            persist(ctx)
            after_commit(ctx)
    except EngineFailure as failure:
        incident = record_incident(locked_pk, kind=kind, payload=payload, actor=actor,
                                   failure=failure)
        raise step_failed(incident) from failure.exc
    deliver_thrown(ctx)
    return ctx


def deliver_thrown(ctx: StepContext) -> None:
    if not ctx.thrown:
        return
    from .services import deliver_message

    for event in ctx.thrown:
        name = getattr(event.event_definition, "name", None)
        if not name or event.event_definition.__class__.__name__ != "MessageEventDefinition":
            continue
        try:
            deliver_message(name=name, payload=event.payload, correlations=event.correlations,
                            sender_instance_id=ctx.instance.pk)
        except EngineError as exc:
            log.info("Message %s from instance %s not delivered: %s", name, ctx.instance.pk, exc)


def status_conflict(inst: ProcessInstance) -> str:
    labels = {
        InstanceStatus.COMPLETED: "ya terminó",
        InstanceStatus.CANCELLED: "fue cancelada",
        InstanceStatus.SUSPENDED: "está suspendida",
        InstanceStatus.INCIDENT: "tiene una incidencia abierta",
        InstanceStatus.RUNNING: "está en curso",
        InstanceStatus.WAITING: "está en espera",
    }
    return f"La instancia N.° {inst.pk} {labels.get(inst.status, inst.status)}."


def json_safe(data: dict[str, Any], what: str) -> dict[str, Any]:
    """Validate that caller-supplied data is a JSON object with string keys."""
    if not isinstance(data, dict):
        raise EngineError(f"{what}: se esperaba un objeto JSON.")
    try:
        return json.loads(json.dumps(data, allow_nan=False))
    except (TypeError, ValueError) as exc:
        raise EngineError(f"{what}: los datos no son JSON válido ({exc}).") from exc

