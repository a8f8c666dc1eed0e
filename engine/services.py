"""The engine's service API: one atomic function per operation, the one module the
portal calls (`from engine import services as engine`).

Every function is keyword-only. Writes happen in one transaction with the instance row
locked (see engine.step); side effects that must not run twice (timer wake-ups, message
delivery to other instances) happen after commit.

The work is done by the modules named after their job; this module defines the task and
instance operations and re-exports the rest:
- engine.deployment: deploy, deploy_directory, latest_definition;
- engine.messaging: deliver_message (and starting instances);
- engine.timers: fire_due_timers;
- engine.selectors: element_states, task_data.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from SpiffWorkflow.bpmn import BpmnEvent
from SpiffWorkflow.spiff.specs.event_definitions import MessageEventDefinition
from SpiffWorkflow.util.task import TaskState

from .deployment import DeployResult, deploy, deploy_directory, latest_definition
from .errors import ConflictError, EngineError, NotFoundError
from .messaging import deliver_message, deliver_thrown, message_act, start_instance
from .models import (
    ACTIVE_STATUSES,
    AuditAction,
    AuditEvent,
    HumanTask,
    HumanTaskState,
    Incident,
    InstanceStatus,
    ProcessDefinition,
    ProcessInstance,
    StepKind,
    TaskRouting,
)
from .persistence import lock_instance
from .registry import registry
from .runtime import StepContext, engine_steps, json_safe, run_engine
from .selectors import element_states, task_data
from .step import Act, run_step, status_conflict
from .timers import fire_due_timers, timer_act

__all__ = [
    "DeployResult",
    "cancel",
    "claim",
    "complete",
    "deliver_message",
    "deploy",
    "deploy_directory",
    "element_states",
    "escalate_task",
    "fire_due_timers",
    "four_eyes_refusal",
    "latest_definition",
    "reassign",
    "resume",
    "route_task",
    "retry",
    "start",
    "suspend",
    "task_data",
    "unclaim",
]


def start(*, key: str | None = None, definition: ProcessDefinition | None = None,
          data: dict[str, Any] | None = None, org_unit: str = "", business_key: str = "",
          started_by: Any = None) -> ProcessInstance:
    """Start an instance of the latest version of `key` (or of `definition`)."""
    if definition is None:
        if not key:
            raise EngineError(_("Indique el proceso a iniciar."))
        definition = latest_definition(key=key)
    return start_instance(definition=definition, data=json_safe(data or {}, _("Datos de inicio")),
                          org_unit=org_unit, business_key=business_key, started_by=started_by)


# --- Human tasks ----------------------------------------------------------------------------


def _task_row(task_pk: int, *, lock: bool = False) -> HumanTask:
    qs = HumanTask.objects.select_related("instance")
    if lock:
        qs = qs.select_for_update(of=("self",), no_key=True)
    try:
        return qs.get(pk=task_pk)
    except HumanTask.DoesNotExist:
        raise NotFoundError(_("La tarea no existe.")) from None


def _ensure_open(row: HumanTask) -> None:
    if row.state == HumanTaskState.COMPLETED:
        raise ConflictError(_("Esta tarea ya fue completada por otra persona o en otra ventana."))
    if row.state == HumanTaskState.CANCELLED:
        raise ConflictError(_("Esta tarea ya no está vigente: el proceso siguió por otro camino."))


def _audit_task(row: HumanTask, action: str, actor: Any, data: dict[str, Any] | None = None) -> None:
    AuditEvent.objects.create(
        instance_id=row.instance_id, definition_id=row.instance.definition_id,
        task_id=row.task_id, element_id=row.element_id,
        actor=actor if getattr(actor, "pk", None) else None,
        role=row.role, unit=row.unit, action=action, data=data or {},
    )


def four_eyes_refusal() -> str:
    return _("Usted presentó esta solicitud: otra persona debe verificarla (control de cuatro ojos).")


def _ensure_may_work(row: HumanTask, user: Any) -> None:
    """Four eyes and the task's nivel, the last word: checked with the task row locked.
    (Who holds the task's (role, unit) is the caller's access rule; a task with a nivel
    asks the lane resolver, since holders of other niveles see it too.)"""
    if row.barred_user_id is not None and row.barred_user_id == getattr(user, "pk", None):
        raise ConflictError(four_eyes_refusal())
    if row.nivel and not registry.lane_resolver.holds(
            role=row.role, unit=row.unit, nivel=row.nivel, user_id=getattr(user, "pk", None) or 0):
        raise ConflictError(_("Esta tarea es del nivel %(nivel)s: no le corresponde a usted.") % {"nivel": row.nivel})


def claim(*, task_id: int, user: Any) -> HumanTask:
    with transaction.atomic():
        row = _task_row(task_id, lock=True)
        _ensure_open(row)
        _ensure_may_work(row, user)
        if row.claimed_by_id == user.pk:
            return row
        if row.claimed_by_id is not None:
            raise ConflictError(_("Otra persona ya tomó esta tarea."))
        row.claimed_by, row.claimed_at = user, timezone.now()
        row.save(update_fields=["claimed_by", "claimed_at"])
        _audit_task(row, AuditAction.CLAIM, user)
    return row


def unclaim(*, task_id: int, user: Any) -> HumanTask:
    with transaction.atomic():
        row = _task_row(task_id, lock=True)
        _ensure_open(row)
        if row.claimed_by_id is None:
            return row
        if row.claimed_by_id != user.pk:
            raise ConflictError(_("Solo quien tomó la tarea puede liberarla."))
        row.claimed_by, row.claimed_at = None, None
        row.save(update_fields=["claimed_by", "claimed_at"])
        _audit_task(row, AuditAction.UNCLAIM, user)
    return row


def reassign(*, task_id: int, to_user: Any | None, by: Any, reason: str = "") -> HumanTask:
    """Give an open task to another person (or back to the pool with to_user=None).
    Whether `by` may do this (a supervisor) is decided by the caller's access rules."""
    with transaction.atomic():
        row = _task_row(task_id, lock=True)
        _ensure_open(row)
        if to_user is not None:
            _ensure_may_work(row, to_user)
        previous = row.claimed_by_id
        row.claimed_by = to_user
        row.claimed_at = timezone.now() if to_user is not None else None
        row.save(update_fields=["claimed_by", "claimed_at"])
        _audit_task(row, AuditAction.REASSIGN, by, {
            "from_user": previous, "to_user": getattr(to_user, "pk", None), "reason": reason})
    return row


def escalate_task(*, task_id: int, note: str, by: Any = None) -> HumanTask:
    """Flag an open task to its unit's supervisor (a deadline passed). Nothing about the
    task changes otherwise: whoever holds it keeps it. Call it from a service-task handler
    (the step's transaction holds the instance lock) or on its own."""
    with transaction.atomic():
        row = _task_row(task_id, lock=True)
        _ensure_open(row)
        row.escalated_at = timezone.now()
        row.escalation_note = (note or "")[:500]
        row.save(update_fields=["escalated_at", "escalation_note"])
        _audit_task(row, AuditAction.ESCALATE, by, {"note": row.escalation_note})
    return row


def route_task(*, task_id: int, role: str, unit: str, note: str, routed: str = TaskRouting.UNHELD,
               by: Any = None) -> HumanTask:
    """Send an open, unclaimed task to another (role, unit) — nobody may work it where it
    is — flagged with `note`; the row keeps the (role, unit) it first came from. Routing
    it back to that home (someone holds it again) clears the flag. Audited as ROUTE."""
    with transaction.atomic():
        row = _task_row(task_id, lock=True)
        _ensure_open(row)
        if row.claimed_by_id is not None:
            raise ConflictError(_("La tarea ya está tomada; no se deriva."))
        before = (row.role, row.unit)
        home = (row.home_role or row.role, row.home_unit or row.unit)
        back = (role, unit) == home
        row.role, row.unit = role, unit
        if back:
            row.home_role = row.home_unit = row.routed = ""
            row.escalated_at, row.escalation_note = None, ""
        else:
            row.home_role, row.home_unit = home
            row.routed = routed
            row.escalated_at, row.escalation_note = timezone.now(), (note or "")[:500]
        row.save(update_fields=["role", "unit", "home_role", "home_unit", "routed", "escalated_at",
                                "escalation_note"])
        _audit_task(row, AuditAction.ROUTE, by, {
            "note": (note or "")[:500], "reason": "" if back else routed, "back": back,
            "from_role": before[0], "from_unit": before[1]})
    return row


def complete(*, task_id: int, user: Any, data: dict[str, Any] | None = None,
             expected_version: int | None = None, _retrying: int | None = None) -> ProcessInstance:
    """Complete a READY user task with form data, then run the engine until it waits.

    `expected_version` is the instance's lock_version the caller's page was built from;
    a mismatch means someone else moved the case on meanwhile."""
    data = json_safe(data or {}, _("Datos del formulario"))

    def act(ctx: StepContext) -> None:
        # run_step locked the instance row and its open task rows (ctx.open_rows).
        locked = next((r for r in ctx.open_rows or [] if r.pk == task_id), None)
        if locked is None:
            _ensure_open(_task_row(task_id))
            raise ConflictError(_("Esta tarea ya no está pendiente."))
        if locked.claimed_by_id is not None and locked.claimed_by_id != getattr(user, "pk", None):
            raise ConflictError(_("Otra persona tomó esta tarea; ya no puede completarla usted."))
        _ensure_may_work(locked, user)
        if expected_version is not None and ctx.instance.lock_version != expected_version:
            raise ConflictError(_("El expediente cambió mientras usted trabajaba; revise y vuelva a enviar."))
        task = ctx.wf.get_task_from_id(locked.task_id)
        if task is None or task.state != TaskState.READY:
            raise ConflictError(_("Esta tarea ya no está pendiente."))

        def run() -> None:
            ctx.current_task = task
            task.set_data(**data)
            task.run()

        ctx.completed_by_actor.add(task.id)
        ctx.record(AuditAction.COMPLETE, task=task, role=locked.role, unit=locked.unit,
                   data={"data": data})
        run_engine(ctx, run)

    ctx = run_step(
        None, task_pk=task_id, kind=StepKind.COMPLETE, payload={"task": task_id, "data": data},
        actor=user, act=act, allowed=(*ACTIVE_STATUSES, InstanceStatus.INCIDENT),
        retrying=_retrying,
    )
    deliver_thrown(ctx)
    return ctx.instance


# --- Instances ------------------------------------------------------------------------------


def cancel(*, instance_id: int, by: Any, reason: str) -> ProcessInstance:
    reason = (reason or "").strip()
    if not reason:
        raise EngineError(_("Indique el motivo de la cancelación."))
    with transaction.atomic():
        inst = lock_instance(instance_id)
        if inst.status in (InstanceStatus.COMPLETED, InstanceStatus.CANCELLED):
            raise ConflictError(status_conflict(inst))
        now = timezone.now()
        closed = HumanTask.objects.filter(instance=inst, state=HumanTaskState.OPEN).update(
            state=HumanTaskState.CANCELLED, completed_at=now)
        Incident.objects.filter(instance=inst, resolved_at__isnull=True).update(
            resolved_at=now, resolution="cancelled")
        inst.message_waits.all().delete()
        inst.status, inst.ended_at, inst.next_timer_at = InstanceStatus.CANCELLED, now, None
        inst.waiting_messages = []
        inst.updated_at = now
        inst.lock_version += 1
        inst.save(update_fields=["status", "ended_at", "next_timer_at", "waiting_messages",
                                 "updated_at", "lock_version"])
        AuditEvent.objects.create(
            instance=inst, definition_id=inst.definition_id, action=AuditAction.CANCEL,
            actor=by if getattr(by, "pk", None) else None,
            data={"reason": reason, "open_tasks_cancelled": closed},
        )
    return inst


def _change_status(*, instance_id: int, by: Any, reason: str, action: str,
                   allowed: tuple[str, ...], new_status: str | None) -> ProcessInstance:
    """Suspend or resume: only the status moves; the workflow state is untouched.
    `new_status` None means the status the instance had when it was suspended."""
    with transaction.atomic():
        inst = lock_instance(instance_id)
        if inst.status not in allowed:
            raise ConflictError(status_conflict(inst))
        inst.status, inst.suspended_from = (
            new_status or inst.suspended_from or InstanceStatus.RUNNING,
            inst.status if action == AuditAction.SUSPEND else "",
        )
        inst.updated_at = timezone.now()
        inst.lock_version += 1
        inst.save(update_fields=["status", "suspended_from", "updated_at", "lock_version"])
        AuditEvent.objects.create(
            instance=inst, definition_id=inst.definition_id, action=action,
            actor=by if getattr(by, "pk", None) else None, data={"reason": reason},
        )
    return inst


def suspend(*, instance_id: int, by: Any, reason: str = "") -> ProcessInstance:
    """Hold an instance: its tasks cannot be completed and its timers do not fire."""
    return _change_status(
        instance_id=instance_id, by=by, reason=reason, action=AuditAction.SUSPEND,
        allowed=(*ACTIVE_STATUSES, InstanceStatus.INCIDENT), new_status=InstanceStatus.SUSPENDED)


def resume(*, instance_id: int, by: Any, reason: str = "") -> ProcessInstance:
    """Release a suspended instance; timers that came due meanwhile fire now."""
    inst = _change_status(
        instance_id=instance_id, by=by, reason=reason, action=AuditAction.RESUME,
        allowed=(InstanceStatus.SUSPENDED,), new_status=None)
    if inst.next_timer_at is not None and inst.next_timer_at <= timezone.now():
        fire_due_timers(instance_id=inst.pk)
        inst.refresh_from_db()
    return inst


def _settle_obsolete(incident: Incident) -> ProcessInstance:
    """The failed completion's task was closed meanwhile (e.g. a boundary event): there
    is nothing left to redo, so the incident is settled as obsolete."""
    instance_id = incident.instance_id
    with transaction.atomic():
        lock_instance(instance_id)
        Incident.objects.filter(pk=incident.pk).update(resolved_at=timezone.now(), resolution="obsolete")
        inst = ProcessInstance.objects.get(pk=instance_id)
        others = Incident.objects.filter(instance_id=instance_id, resolved_at__isnull=True)
        if inst.status == InstanceStatus.INCIDENT and not others.exists():
            inst.status = incident.status_before or InstanceStatus.RUNNING
            inst.lock_version += 1
            inst.updated_at = timezone.now()
            inst.save(update_fields=["status", "lock_version", "updated_at"])
    return ProcessInstance.objects.get(pk=instance_id)


def retry(*, instance_id: int, by: Any, reason: str = "") -> ProcessInstance:
    """Replay the step that failed, after the cause was fixed. `reason` (what was fixed)
    goes into the audit trail."""
    incident = (
        Incident.objects.filter(instance_id=instance_id, resolved_at__isnull=True)
        .order_by("-pk").first()
    )
    if incident is None:
        raise ConflictError(_("La instancia no tiene incidencias abiertas."))
    AuditEvent.objects.create(
        instance_id=instance_id, definition_id=incident.instance.definition_id,
        action=AuditAction.RETRY, actor=by if getattr(by, "pk", None) else None,
        element_id=incident.element_id, data={"incident": incident.pk, "reason": reason},
    )
    payload, kind = incident.step_payload or {}, incident.step_kind
    allowed = (InstanceStatus.INCIDENT,)
    if kind == StepKind.COMPLETE:
        actor = incident.actor or by
        row = _task_row(int(payload["task"]))
        if row.state != HumanTaskState.OPEN:
            return _settle_obsolete(incident)
        if row.claimed_by_id not in (None, getattr(actor, "pk", None)):
            actor = row.claimed_by
        complete(task_id=row.pk, user=actor, data=payload.get("data") or {},
                 _retrying=incident.pk)
        return ProcessInstance.objects.get(pk=instance_id)
    if kind == StepKind.MESSAGE:
        act = message_act(payload["name"], payload.get("payload"), payload.get("correlations") or {})
    elif kind == StepKind.TIMER:
        act = timer_act
    else:  # START: continue from the stored initial state
        act = _start_again(payload.get("message"))
    ctx = run_step(instance_id, kind=kind, payload=payload, actor=by, act=act,
                   allowed=allowed, retrying=incident.pk)
    deliver_thrown(ctx)
    return ProcessInstance.objects.get(pk=instance_id)


def _start_again(message: list[Any] | None) -> Act:
    """The action of a failed start's retry: run on from the initial state stored with
    the incident, catching the start message again if there was one."""
    def act(ctx: StepContext) -> None:
        def run() -> None:
            if message:
                engine_steps(ctx)
                ctx.wf.send_event(BpmnEvent(
                    MessageEventDefinition(message[0]), payload=message[1],
                    correlations=message[2] or {}))
        run_engine(ctx, run)

    return act
