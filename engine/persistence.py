"""Reading and writing a step's rows: lock the instance and its open task rows, and save
the workflow with everything derived from it (status, next timer, message waits, the
human-task rows of READY user tasks, the step's audit events).

Call these inside the step's transaction (see `engine.step`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.db import connection, models
from django.utils import timezone
from django.utils.translation import gettext as _
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.util.task import TaskState

from . import calendar as business_calendar
from . import fastsql
from .errors import NotFoundError
from .models import (
    AuditAction,
    AuditEvent,
    HumanTask,
    HumanTaskState,
    Incident,
    InstanceStatus,
    MessageWait,
    ProcessDefinition,
    ProcessInstance,
)
from .registry import LaneContext, data_path, registry
from .runtime import EngineFailure, StepContext
from .serialization import SERIALIZER_VERSION, all_tasks, dump_workflow
from .timer_cycles import WorkingDayCycleTimerEventDefinition

# --- Locking -------------------------------------------------------------------------------------

_definitions: dict[int, ProcessDefinition] = {}


def cached_definition(definition_id: int, fingerprint: tuple[str, int, str] | None = None) -> ProcessDefinition:
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
    param: int | None
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
            raise NotFoundError(_("La tarea no existe."))
        raise NotFoundError(_("La instancia de proceso no existe."))
    inst = rows[0]
    # The joined columns (rows_to_models sets them as plain attributes).
    joined: dict[str, Any] = inst.__dict__
    inst.definition = cached_definition(
        inst.definition_id, (joined["_def_key"], joined["_def_version"], joined["_def_sha"]))
    return inst, open_rows


# --- What a saved workflow implies -------------------------------------------------------------

# waiting_events() names the concrete class; TimeDateEventDefinition does not end in
# "TimerEventDefinition", so match the subclasses' names (the engine's own working-day
# cycle included) rather than a suffix.
TIMER_EVENT_TYPES = frozenset({
    *(c.__name__ for c in TimerEventDefinition.__subclasses__()),
    WorkingDayCycleTimerEventDefinition.__name__,
})


def timer_due(wf: BpmnWorkflow) -> datetime | None:
    """The earliest due time of the timers the workflow waits on, None if it waits on none.

    What `persist` stores as the instance's `next_timer_at` (the worker's schedule) and
    what `engine.consistency` compares the stored value with; a timer whose value cannot
    be read as a date is skipped, as SpiffWorkflow itself would never fire it."""
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
            when: datetime = TimerEventDefinition.get_datetime(value)
        except ValueError:
            continue
        if due is None or when < due:
            due = when
    return due


def waiting_messages(wf: BpmnWorkflow) -> list[str]:
    """The sorted, distinct names of the messages the workflow waits for.

    What `persist` stores as `waiting_messages` and as MessageWait rows (how a delivered
    message finds its instances) and what `engine.consistency` compares them with."""
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
            raise ValueError(
                _("'dueInWorkingDays' (%(text)s) no se pudo evaluar: %(error)s") % {"text": text, "error": exc}
            ) from exc
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= 365:
        raise ValueError(
            _("'dueInWorkingDays' (%(text)s) debe dar un entero entre 1 y 365; dio %(value)s.")
            % {"text": text, "value": repr(value)}
        )
    return value


def _due_at(properties: dict[str, str], now: datetime, task: Any = None) -> datetime | None:
    working = properties.get("dueInWorkingDays")
    if working:
        return business_calendar.add_working_days(now, _working_days_of(task, working))
    duration = properties.get("dueIn")
    if duration:
        parsed = TimerEventDefinition.parse_iso_duration(duration)
        due: datetime = now + TimerEventDefinition.get_timedelta_from_start(parsed, now)
        return due
    return None


def _claim_for(properties: dict[str, str], task: Any) -> int | None:
    """`claimFor` names a data path holding the id of the one person a task is for (the
    new user confirming receipt of their account): the task is created already theirs."""
    path = properties.get("claimFor")
    if not path:
        return None
    value = data_path(task.data, path)
    if isinstance(value, bool) or not isinstance(value, int):
        raise LookupError(
            _("'claimFor' toma el usuario del dato '%(path)s', que no es un número de usuario: %(value)s.")
            % {"path": path, "value": repr(value)}
        )
    if not get_user_model().objects.filter(pk=value).exists():
        raise LookupError(
            _("'claimFor': el usuario %(user)s (dato '%(path)s') no existe.") % {"user": value, "path": path})
    return value


def _insert_fields(model: type[models.Model]) -> tuple[str, ...]:
    return tuple(f.name for f in model._meta.concrete_fields if not f.primary_key)


# --- Saving ----------------------------------------------------------------------------------------


def _close_rows(ctx: StepContext, open_rows: list[HumanTask], ready: dict[Any, Any],
                now: datetime) -> list[HumanTask]:
    """Close the open rows whose task is no longer READY: completed, or cancelled (the
    process went on another way)."""
    wf = ctx.wf
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
    return closed


def _new_rows(ctx: StepContext, open_ids: set[Any], ready: dict[Any, Any], now: datetime) -> list[HumanTask]:
    """A row for each READY user task that has none yet, for the (role, unit) its lane
    resolves to."""
    inst = ctx.instance
    new_rows = []
    for task_id, task in ready.items():
        if task_id in open_ids:
            continue
        info = ctx.loaded.user_tasks.get(task.task_spec.name)
        properties = dict(info.properties) if info else {}
        # Four eyes: a verification is never worked by the person who filed the case.
        barred = inst.started_by_id if properties.get("fourEyes", "").strip().lower() == "true" else None
        try:
            candidate = registry.lane_resolver.resolve(LaneContext(
                lane=task.task_spec.lane,
                properties=properties,
                element_id=info.element_id if info else task.task_spec.name,
                instance_org_unit=inst.org_unit,
                data=task.data,
                barred_user_id=barred,
            ))
            due_at = _due_at(properties, now, task)
            claim_for = _claim_for(properties, task)
            if claim_for is not None and claim_for == barred:
                # The diagram contradicts itself: an incident, never a four-eyes task given
                # to the very person it bars.
                raise ValueError(_("'claimFor' entrega la tarea a quien inició el expediente, pero la tarea "
                                   "exige cuatro ojos (fourEyes): otra persona debe hacerla."))
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
            role=candidate.role, unit=candidate.unit, nivel=candidate.nivel,
            due_at=due_at, created_at=now,
            claimed_by_id=claim_for, claimed_at=now if claim_for else None,
            barred_user_id=barred,
            home_role=candidate.home_role, home_unit=candidate.home_unit, routed=candidate.routed,
            escalated_at=now if candidate.note else None, escalation_note=candidate.note[:500],
        )
        new_rows.append(row)
        ctx.record(AuditAction.TASK_CREATED, task=task, role=row.role, unit=row.unit,
                   data={"title": row.title, **({"claimed_for": claim_for} if claim_for else {}),
                         **({"nivel": row.nivel} if row.nivel else {})})
        if candidate.note:  # routed up or flagged at creation: the case's timeline says why
            moved = bool(candidate.home_role) and (candidate.home_role, candidate.home_unit) != (row.role, row.unit)
            ctx.record(AuditAction.ROUTE if moved else AuditAction.ESCALATE,
                       task=task, role=row.role, unit=row.unit,
                       data={"note": row.escalation_note, "reason": candidate.routed,
                             "from_role": candidate.home_role, "from_unit": candidate.home_unit})
    return new_rows


def persist(ctx: StepContext) -> None:
    """Save the workflow and everything derived from it. Call inside the step transaction,
    on an instance row that already exists (a start inserts it first)."""
    inst, wf = ctx.instance, ctx.wf
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
    closed = _close_rows(ctx, open_rows, ready, now)
    new_rows = _new_rows(ctx, {row.task_id for row in open_rows}, ready, now)

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
        due = timer_due(wf)
        if due != inst.next_timer_at:
            ctx.schedule_timer = due is not None
        inst.next_timer_at = due

    messages = [] if completed else waiting_messages(wf)
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
