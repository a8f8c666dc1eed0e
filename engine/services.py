"""The engine's service API: one atomic function per operation.

Every function is keyword-only. Writes happen in one transaction with the instance row
locked (see runtime.run_step); side effects that must not run twice (timer wake-ups,
message delivery to other instances) happen after commit.
"""

from __future__ import annotations

import hashlib
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from SpiffWorkflow.bpmn import BpmnEvent
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.exceptions import WorkflowException
from SpiffWorkflow.spiff.specs.event_definitions import MessageEventDefinition
from SpiffWorkflow.util.task import TaskState

from . import runtime
from .errors import (
    ConflictError,
    DeploymentError,
    EngineError,
    MessageNotDelivered,
    NotFoundError,
    StepFailed,
)
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
)
from .registry import registry
from .specs import ParsedFile, message_start_names, parse_file, start_info, validate_file, validate_start

# --- Deployment ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class DeployResult:
    key: str
    version: int
    created: bool
    definition: ProcessDefinition


def _max_bytes() -> int:
    return int(runtime.engine_settings().get("MAX_BPMN_BYTES", 2 * 1024 * 1024))


def _form_exists():
    """A callable: form key -> None when usable, else the reason (Spanish)."""
    catalogue = registry.forms
    if catalogue is not None:
        def check(key: str) -> str | None:
            if catalogue.exists(key):
                return None
            problem = getattr(catalogue, "problem", None)
            detail = problem(key) if problem is not None else None
            return detail or f"el formulario '{key}' no existe en forms/."
        return check
    forms_dir = runtime.engine_settings().get("FORMS_DIR")
    if forms_dir is None:
        return None
    from .registry import DirectoryFormCatalogue

    directory = DirectoryFormCatalogue(forms_dir)
    return lambda key: None if directory.exists(key) else f"el formulario '{key}' no existe en forms/."


def deploy(*, content: bytes | str, source: str = "", deployed_by: Any = None) -> list[DeployResult]:
    """Validate and deploy one BPMN file. Raises DeploymentError listing every problem."""
    parsed = parse_file(content, source=source, max_bytes=_max_bytes())
    return _deploy_parsed(parsed, content, source=source, deployed_by=deployed_by,
                          available=_deployed_keys())


def deploy_directory(*, directory: Path | str, deployed_by: Any = None) -> list[DeployResult]:
    """Deploy every *.bpmn below a directory, all or nothing. A call activity may call a
    process from another file of the same batch."""
    files: list[tuple[Path, bytes, ParsedFile]] = []
    problems: list[str] = []
    for path in sorted(Path(directory).rglob("*.bpmn")):
        content = path.read_bytes()
        try:
            files.append((path, content, parse_file(content, source=path.name, max_bytes=_max_bytes())))
        except DeploymentError as exc:
            problems.extend(f"{path.name}: {p}" for p in exc.problems)
    if problems:
        raise DeploymentError(problems)
    available = _deployed_keys() | {pid for _, _, parsed in files for pid in parsed.process_ids}
    results: list[DeployResult] = []
    with transaction.atomic():
        for path, content, parsed in files:
            try:
                results.extend(_deploy_parsed(parsed, content, source=path.name,
                                              deployed_by=deployed_by, available=available))
            except DeploymentError as exc:
                problems.extend(f"{path.name}: {p}" for p in exc.problems)
        if problems:
            transaction.set_rollback(True)
    if problems:
        raise DeploymentError(problems)
    return results


def _deployed_keys() -> set[str]:
    return set(ProcessDefinition.objects.values_list("key", flat=True).distinct())


def _deploy_parsed(parsed: ParsedFile, content: bytes | str, *, source: str, deployed_by: Any,
                   available: set[str]) -> list[DeployResult]:
    """Validate a parsed file against the registries and save a version of each process
    whose content changed. `available` are the process keys a call activity may call."""
    problems = validate_file(
        parsed,
        available_callees=available,
        services=registry.services.keys(),
        known_roles=registry.lane_resolver.known_roles(),
        form_exists=_form_exists(),
    )
    problems += validate_start(
        parsed, known_roles=registry.lane_resolver.known_roles(), form_exists=_form_exists())
    if problems:
        raise DeploymentError(problems)
    text = content.decode("utf-8") if isinstance(content, bytes) else content
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    results = []
    with transaction.atomic():
        for pid in parsed.process_ids:
            latest = (
                ProcessDefinition.objects.select_for_update()
                .filter(key=pid).order_by("-version").first()
            )
            if latest is not None and latest.sha256 == digest:
                results.append(DeployResult(pid, latest.version, False, latest))
                continue
            definition = ProcessDefinition.objects.create(
                key=pid,
                version=(latest.version + 1) if latest else 1,
                name=parsed.names.get(pid) or pid,
                xml=text,
                sha256=digest,
                source=source[:300],
                callees=sorted(parsed.external_callees),
                message_starts=message_start_names(parsed, pid),
                start_roles=(start := start_info(parsed, pid)).roles,
                start_form_key=start.form_key,
                deployed_by=deployed_by if getattr(deployed_by, "pk", None) else None,
            )
            AuditEvent.objects.create(
                definition=definition, actor=definition.deployed_by, action=AuditAction.DEPLOY,
                data={"key": pid, "version": definition.version, "sha256": digest,
                      "source": source},
            )
            results.append(DeployResult(pid, definition.version, True, definition))
    return results


def latest_definition(key: str) -> ProcessDefinition:
    definition = ProcessDefinition.objects.filter(key=key).order_by("-version").first()
    if definition is None:
        raise NotFoundError(f"El proceso '{key}' no está desplegado.")
    return definition


def _callee_versions(definition: ProcessDefinition) -> dict[str, int]:
    """Pin every process this definition calls (transitively) to its latest version."""
    pinned: dict[str, int] = {}
    pending = list(definition.callees)
    while pending:
        key = pending.pop()
        if key in pinned or key == definition.key:
            continue
        callee = latest_definition(key)
        pinned[key] = callee.version
        pending.extend(callee.callees)
    return pinned


# --- Instances ------------------------------------------------------------------------------


def start(*, key: str | None = None, definition: ProcessDefinition | None = None,
          data: dict[str, Any] | None = None, org_unit: str = "", business_key: str = "",
          started_by: Any = None, _message: tuple[str, Any, dict] | None = None) -> ProcessInstance:
    """Start an instance of the latest version of `key` (or of `definition`)."""
    if definition is None:
        if not key:
            raise EngineError("Indique el proceso a iniciar.")
        definition = latest_definition(key)
    data = runtime.json_safe(data or {}, "Datos de inicio")
    callees = _callee_versions(definition)
    actor = started_by if getattr(started_by, "pk", None) else None

    def build(status: str) -> tuple[ProcessInstance, runtime.StepContext]:
        inst = ProcessInstance(
            definition=definition, status=status, business_key=business_key[:200],
            org_unit=org_unit[:64], started_by=actor, callee_versions=callees,
        )
        loaded = runtime.load_spec(definition, callees, runtime.fetch_xml)
        wf = runtime.new_workflow(loaded)
        wf.task_tree.data.update(data)
        for task in wf.get_tasks(state=TaskState.READY):
            task.data.update(data)
        inst.state = runtime.dump_workflow(wf)
        inst.serializer_version = runtime.SERIALIZER_VERSION
        inst.save()
        ctx = runtime.StepContext(instance=inst, actor=actor, loaded=loaded, workflow=wf)
        ctx.record(AuditAction.START, data={"version": definition.version,
                                            "business_key": business_key, "data": data})
        return inst, ctx

    try:
        with transaction.atomic():
            inst, ctx = build(InstanceStatus.RUNNING)

            def act() -> None:
                if _message is not None:
                    name, payload, correlations = _message
                    ctx.workflow.do_engine_steps()
                    ctx.workflow.send_event(BpmnEvent(
                        MessageEventDefinition(name), payload=payload, correlations=correlations))
                    ctx.record(AuditAction.MESSAGE, data={"message": name, "payload": payload})

            runtime.run_engine(ctx, act)
            runtime.persist(ctx)
            runtime.after_commit(ctx)
    except runtime.EngineFailure as failure:
        with transaction.atomic():
            inst, ctx = build(InstanceStatus.RUNNING)
            AuditEvent.objects.bulk_create(ctx.audit)
        incident = runtime.record_incident(
            inst.pk, kind=StepKind.START, payload={"message": list(_message) if _message else None},
            actor=actor, failure=failure)
        raise runtime.step_failed(incident) from failure.exc
    runtime.deliver_thrown(ctx)
    inst.refresh_from_db()
    return inst


def _task_row(task_pk: int, *, lock: bool = False) -> HumanTask:
    qs = HumanTask.objects.select_related("instance")
    if lock:
        qs = qs.select_for_update(of=("self",), no_key=True)
    try:
        return qs.get(pk=task_pk)
    except HumanTask.DoesNotExist:
        raise NotFoundError("La tarea no existe.") from None


def _ensure_open(row: HumanTask) -> None:
    if row.state == HumanTaskState.COMPLETED:
        raise ConflictError("Esta tarea ya fue completada por otra persona o en otra ventana.")
    if row.state == HumanTaskState.CANCELLED:
        raise ConflictError("Esta tarea ya no está vigente: el proceso siguió por otro camino.")


def _audit_task(row: HumanTask, action: str, actor: Any, data: dict | None = None) -> None:
    AuditEvent.objects.create(
        instance_id=row.instance_id, definition_id=row.instance.definition_id,
        task_id=row.task_id, element_id=row.element_id,
        actor=actor if getattr(actor, "pk", None) else None,
        role=row.role, unit=row.unit, action=action, data=data or {},
    )


def claim(*, task_id: int, user: Any) -> HumanTask:
    with transaction.atomic():
        row = _task_row(task_id, lock=True)
        _ensure_open(row)
        if row.claimed_by_id == user.pk:
            return row
        if row.claimed_by_id is not None:
            raise ConflictError("Otra persona ya tomó esta tarea.")
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
            raise ConflictError("Solo quien tomó la tarea puede liberarla.")
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


def complete(*, task_id: int, user: Any, data: dict[str, Any] | None = None,
             expected_version: int | None = None, _retrying: int | None = None) -> ProcessInstance:
    """Complete a READY user task with form data, then run the engine until it waits.

    `expected_version` is the instance's lock_version the caller's page was built from;
    a mismatch means someone else moved the case on meanwhile."""
    data = runtime.json_safe(data or {}, "Datos del formulario")

    def act(ctx: runtime.StepContext) -> None:
        # run_step locked the instance row and its open task rows (ctx.open_rows).
        locked = next((r for r in ctx.open_rows or [] if r.pk == task_id), None)
        if locked is None:
            _ensure_open(_task_row(task_id))
            raise ConflictError("Esta tarea ya no está pendiente.")
        if locked.claimed_by_id is not None and locked.claimed_by_id != getattr(user, "pk", None):
            raise ConflictError("Otra persona tomó esta tarea; ya no puede completarla usted.")
        if expected_version is not None and ctx.instance.lock_version != expected_version:
            raise ConflictError("El expediente cambió mientras usted trabajaba; revise y vuelva a enviar.")
        task = ctx.workflow.get_task_from_id(locked.task_id)
        if task is None or task.state != TaskState.READY:
            raise ConflictError("Esta tarea ya no está pendiente.")

        def run() -> None:
            ctx.current_task = task
            task.set_data(**data)
            task.run()

        ctx.completed_by_actor.add(task.id)
        ctx.record(AuditAction.COMPLETE, task=task, role=locked.role, unit=locked.unit,
                   data={"data": data})
        runtime.run_engine(ctx, run)

    ctx = runtime.run_step(
        None, task_pk=task_id, kind=StepKind.COMPLETE, payload={"task": task_id, "data": data},
        actor=user, act=act, allowed=(*ACTIVE_STATUSES, InstanceStatus.INCIDENT),
        retrying=_retrying,
    )
    return ctx.instance


def cancel(*, instance_id: int, by: Any, reason: str) -> ProcessInstance:
    reason = (reason or "").strip()
    if not reason:
        raise EngineError("Indique el motivo de la cancelación.")
    with transaction.atomic():
        inst = runtime.lock_instance(instance_id)
        if inst.status in (InstanceStatus.COMPLETED, InstanceStatus.CANCELLED):
            raise ConflictError(runtime.status_conflict(inst))
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
                   allowed: tuple[str, ...], new_status) -> ProcessInstance:
    """Suspend or resume: only the status moves; the workflow state is untouched."""
    with transaction.atomic():
        inst = runtime.lock_instance(instance_id)
        if inst.status not in allowed:
            raise ConflictError(runtime.status_conflict(inst))
        inst.status, inst.suspended_from = new_status(inst), (
            inst.status if action == AuditAction.SUSPEND else "")
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
        allowed=(*ACTIVE_STATUSES, InstanceStatus.INCIDENT),
        new_status=lambda inst: InstanceStatus.SUSPENDED)


def resume(*, instance_id: int, by: Any, reason: str = "") -> ProcessInstance:
    """Release a suspended instance; timers that came due meanwhile fire now."""
    inst = _change_status(
        instance_id=instance_id, by=by, reason=reason, action=AuditAction.RESUME,
        allowed=(InstanceStatus.SUSPENDED,),
        new_status=lambda inst: inst.suspended_from or InstanceStatus.RUNNING)
    if inst.next_timer_at is not None and inst.next_timer_at <= timezone.now():
        fire_due_timers(instance_id=inst.pk)
        inst.refresh_from_db()
    return inst


def retry(*, instance_id: int, by: Any, reason: str = "") -> ProcessInstance:
    """Replay the step that failed, after the cause was fixed. `reason` (what was fixed)
    goes into the audit trail."""
    incident = (
        Incident.objects.filter(instance_id=instance_id, resolved_at__isnull=True)
        .order_by("-pk").first()
    )
    if incident is None:
        raise ConflictError("La instancia no tiene incidencias abiertas.")
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
            # The process went on another way (e.g. a boundary event closed the task):
            # there is nothing left to redo.
            with transaction.atomic():
                runtime.lock_instance(instance_id)
                Incident.objects.filter(pk=incident.pk).update(
                    resolved_at=timezone.now(), resolution="obsolete")
                inst = ProcessInstance.objects.get(pk=instance_id)
                others = Incident.objects.filter(instance_id=instance_id, resolved_at__isnull=True)
                if inst.status == InstanceStatus.INCIDENT and not others.exists():
                    inst.status = incident.status_before or InstanceStatus.RUNNING
                    inst.lock_version += 1
                    inst.updated_at = timezone.now()
                    inst.save(update_fields=["status", "lock_version", "updated_at"])
            return ProcessInstance.objects.get(pk=instance_id)
        if row.claimed_by_id not in (None, getattr(actor, "pk", None)):
            actor = row.claimed_by
        complete(task_id=row.pk, user=actor, data=payload.get("data") or {},
                 _retrying=incident.pk)
    elif kind == StepKind.MESSAGE:
        runtime.run_step(instance_id, kind=kind, payload=payload, actor=by,
                         act=_message_act(payload["name"], payload.get("payload"),
                                          payload.get("correlations") or {}),
                         allowed=allowed, retrying=incident.pk)
    elif kind == StepKind.TIMER:
        runtime.run_step(instance_id, kind=kind, payload=payload, actor=by, act=_timer_act,
                         allowed=allowed, retrying=incident.pk)
    else:  # START: continue from the stored initial state
        message = payload.get("message")

        def act(ctx: runtime.StepContext) -> None:
            def run() -> None:
                if message:
                    ctx.workflow.do_engine_steps()
                    ctx.workflow.send_event(BpmnEvent(
                        MessageEventDefinition(message[0]), payload=message[1],
                        correlations=message[2] or {}))
            runtime.run_engine(ctx, run)

        runtime.run_step(instance_id, kind=kind, payload=payload, actor=by, act=act,
                         allowed=allowed, retrying=incident.pk)
    return ProcessInstance.objects.get(pk=instance_id)


# --- Timers -----------------------------------------------------------------------------------


def _timer_act(ctx: runtime.StepContext) -> None:
    wf = ctx.workflow

    def waiting_timers() -> dict:
        return {
            t.id: t for t in runtime.all_tasks(wf)
            if t.state == TaskState.WAITING
            and isinstance(getattr(t.task_spec, "event_definition", None), TimerEventDefinition)
        }

    def run() -> None:
        before = waiting_timers()
        wf.refresh_timers()
        wf.do_engine_steps()
        after = waiting_timers()
        for task_id, task in before.items():
            if task_id not in after or task.state != TaskState.WAITING:
                ctx.record(AuditAction.TIMER, task=task,
                           data={"due": task._get_internal_data("event_value")})

    runtime.run_engine(ctx, run)


def fire_due_timers(*, instance_id: int | None = None, limit: int = 500) -> list[int]:
    """Fire the timers that are due now. Returns the ids of the instances stepped.

    There is no `now` argument on purpose: SpiffWorkflow checks the real clock, so only
    the clock (time-machine in tests) decides what is due."""
    now = timezone.now()
    # Strictly before now: SpiffWorkflow fires a timer only once its time has passed
    # (`due < now`); stepping an instance at the exact due moment would fire nothing yet
    # still bump its lock_version and report it as stepped.
    qs = ProcessInstance.objects.filter(
        next_timer_at__lt=now, status__in=ACTIVE_STATUSES
    ).order_by("next_timer_at")
    if instance_id is not None:
        qs = qs.filter(pk=instance_id)
    stepped = []
    for pk in qs.values_list("pk", flat=True)[:limit]:
        try:
            runtime.run_step(pk, kind=StepKind.TIMER, payload={}, actor=None, act=_timer_act)
            stepped.append(pk)
        except ConflictError:
            continue  # suspended, cancelled or completed meanwhile
        except StepFailed:
            stepped.append(pk)
    return stepped


# --- Messages -------------------------------------------------------------------------------


class _NotForThisInstance(Exception):
    pass


def _message_act(name: str, payload: Any, correlations: dict):
    def act(ctx: runtime.StepContext) -> None:
        def run() -> None:
            try:
                ctx.workflow.send_event(BpmnEvent(
                    MessageEventDefinition(name), payload=payload, correlations=correlations))
            except WorkflowException as exc:
                raise _NotForThisInstance(str(exc)) from exc
            ctx.record(AuditAction.MESSAGE, data={"message": name, "payload": payload})

        try:
            runtime.run_engine(ctx, run)
        except runtime.EngineFailure as failure:
            if isinstance(failure.exc, _NotForThisInstance):
                raise _NotForThisInstance(str(failure.exc)) from None
            raise

    return act


_delivery_depth: ContextVar[int] = ContextVar("engine_delivery_depth", default=0)


def deliver_message(*, name: str, payload: Any = None, business_key: str | None = None,
                    correlations: dict | None = None, actor: Any = None,
                    sender_instance_id: int | None = None) -> list[int]:
    """Deliver a named message to every waiting instance it correlates with, and start
    instances of processes whose start event waits for it. Returns the instance ids that
    received it; raises MessageNotDelivered when nobody did."""
    depth = _delivery_depth.get()
    if depth > 20:
        raise EngineError("Demasiados mensajes encadenados; se detuvo la entrega.")
    correlations = correlations or {}
    receivers: list[int] = []
    # An instance with an open incident still waits for its messages: losing one would be
    # worse than delivering it while an administrator fixes something else.
    deliverable = (*ACTIVE_STATUSES, InstanceStatus.INCIDENT)
    qs = ProcessInstance.objects.filter(message_waits__name=name, status__in=deliverable)
    if business_key:
        qs = qs.filter(business_key=business_key)
    if sender_instance_id is not None:
        qs = qs.exclude(pk=sender_instance_id)
    payload_record = {"name": name, "payload": payload, "correlations": correlations}
    token = _delivery_depth.set(depth + 1)
    try:
        for pk in list(qs.values_list("pk", flat=True).distinct()):
            try:
                runtime.run_step(pk, kind=StepKind.MESSAGE, payload=payload_record, actor=actor,
                                 act=_message_act(name, payload, correlations), allowed=deliverable)
                receivers.append(pk)
            except (_NotForThisInstance, ConflictError):
                continue
            except StepFailed:
                receivers.append(pk)
        for definition in _message_start_definitions(name):
            inst = start(definition=definition, business_key=business_key or "",
                         started_by=actor, _message=(name, payload, correlations))
            receivers.append(inst.pk)
    finally:
        _delivery_depth.reset(token)
    if not receivers:
        raise MessageNotDelivered(f"Ningún proceso espera el mensaje '{name}'.")
    return receivers


def _message_start_definitions(name: str) -> list[ProcessDefinition]:
    latest = {
        row["key"]: row["v"]
        for row in ProcessDefinition.objects.values("key").annotate(v=Max("version"))
    }
    candidates = ProcessDefinition.objects.exclude(message_starts=[]).only(
        "pk", "key", "version", "message_starts", "sha256", "callees")
    return [
        d for d in candidates
        if latest.get(d.key) == d.version and name in (d.message_starts or [])
    ]


# --- Reads ---------------------------------------------------------------------------------------


def element_states(*, instance: ProcessInstance) -> dict[str, list[str]]:
    """BPMN element ids of the instance's own process: `completed` (passed) and `active`
    (waiting: user tasks, timers, message catches). Pruned history is completed from the
    audit trail, so a long-running case still shows the path it took."""
    instance = ProcessInstance.objects.select_related("definition").get(pk=instance.pk)  # fresh state
    wf = runtime.load_workflow(instance, runtime.loaded_spec(instance))
    process_id = instance.definition.key
    completed: set[str] = set()
    active: set[str] = set()
    for task in runtime.all_tasks(wf):
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
