"""The step: one transaction with the instance row locked.

load → act → run the engine until it waits → prune → save → refresh human-task rows →
append audit events. If anything in the engine part fails, the transaction rolls back
and a second, small transaction records an incident, so the instance is exactly as
before plus one incident.

A step does not deliver the messages it threw: the caller passes the returned context
to `engine.messaging.deliver_thrown` once the step has committed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _
from SpiffWorkflow.bpmn import BpmnEvent
from SpiffWorkflow.spiff.specs.event_definitions import MessageEventDefinition
from SpiffWorkflow.util.task import TaskState

from .errors import ConflictError
from .incidents import record_incident, settle_incidents, step_failed
from .models import (
    ACTIVE_STATUSES,
    AuditAction,
    AuditEvent,
    InstanceStatus,
    ProcessDefinition,
    ProcessInstance,
    StepKind,
)
from .persistence import lock_step_rows, persist
from .registry import registry
from .runtime import (
    EngineFailure,
    StepContext,
    engine_steps,
    fetch_xml,
    load_workflow,
    loaded_spec,
    new_workflow,
    run_engine,
)
from .serialization import SERIALIZER_VERSION, dump_workflow
from .specs import load_spec

Act = Callable[[StepContext], None]
# (name, payload, correlations) of the message a start event caught.
StartMessage = tuple[str, Any, dict[str, Any]]


def status_conflict(inst: ProcessInstance) -> str:
    labels: dict[str, str] = {
        InstanceStatus.COMPLETED: _("La instancia N.° %(pk)s ya terminó."),
        InstanceStatus.CANCELLED: _("La instancia N.° %(pk)s fue cancelada."),
        InstanceStatus.SUSPENDED: _("La instancia N.° %(pk)s está suspendida."),
        InstanceStatus.INCIDENT: _("La instancia N.° %(pk)s tiene una incidencia abierta."),
        InstanceStatus.RUNNING: _("La instancia N.° %(pk)s está en curso."),
        InstanceStatus.WAITING: _("La instancia N.° %(pk)s está en espera."),
    }
    text = labels.get(inst.status)
    if text is None:
        return _("La instancia N.° %(pk)s %(status)s.") % {"pk": inst.pk, "status": inst.status}
    return text % {"pk": inst.pk}


def schedule_wakeup_on_commit(ctx: StepContext) -> None:
    """Once the step is durable, have the instance woken at its new next timer. Call
    inside the step transaction."""
    inst = ctx.instance
    schedule = registry.schedule_wakeup
    if ctx.schedule_timer and inst.next_timer_at is not None and schedule is not None:
        when, pk = inst.next_timer_at, inst.pk
        transaction.on_commit(lambda: schedule(pk, when))


def run_step(instance_id: int | None, *, kind: str, payload: dict[str, Any], actor: Any, act: Act,
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
            schedule_wakeup_on_commit(ctx)
    except EngineFailure as failure:
        # The row was locked (and its pk known) before anything that raises EngineFailure.
        assert locked_pk is not None
        incident = record_incident(locked_pk, kind=kind, payload=payload, actor=actor,
                                   failure=failure)
        raise step_failed(incident) from failure.exc
    return ctx


def start_step(*, definition: ProcessDefinition, callees: dict[str, int], data: dict[str, Any],
               org_unit: str, business_key: str, started_by: Any,
               message: StartMessage | None = None) -> StepContext:
    """Insert a new instance and run it until it waits, in one transaction. `message` is
    the message its start event caught, if it was started by one. On failure the
    instance is kept in its initial state with an incident (retry continues from it)."""
    actor = started_by if getattr(started_by, "pk", None) else None

    def build(status: str) -> StepContext:
        inst = ProcessInstance(
            definition=definition, status=status, business_key=business_key[:200],
            org_unit=org_unit[:64], started_by=actor, callee_versions=callees,
        )
        loaded = load_spec(definition, callees, fetch_xml)
        wf = new_workflow(loaded)
        wf.task_tree.data.update(data)
        for task in wf.get_tasks(state=TaskState.READY):
            task.data.update(data)
        inst.state = dump_workflow(wf)
        inst.serializer_version = SERIALIZER_VERSION
        inst.save()
        ctx = StepContext(instance=inst, actor=actor, loaded=loaded, workflow=wf)
        ctx.record(AuditAction.START, data={"version": definition.version,
                                            "business_key": business_key, "data": data})
        return ctx

    try:
        with transaction.atomic():
            ctx = build(InstanceStatus.RUNNING)

            def act() -> None:
                if message is not None:
                    name, payload, correlations = message
                    engine_steps(ctx)
                    ctx.wf.send_event(BpmnEvent(
                        MessageEventDefinition(name), payload=payload, correlations=correlations))
                    ctx.record(AuditAction.MESSAGE, data={"message": name, "payload": payload})

            run_engine(ctx, act)
            persist(ctx)
            schedule_wakeup_on_commit(ctx)
    except EngineFailure as failure:
        with transaction.atomic():
            ctx = build(InstanceStatus.RUNNING)
            AuditEvent.objects.bulk_create(ctx.audit)
        incident = record_incident(
            ctx.instance.pk, kind=StepKind.START,
            payload={"message": list(message) if message else None},
            actor=actor, failure=failure)
        raise step_failed(incident) from failure.exc
    return ctx
