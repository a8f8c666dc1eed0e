"""Messages: delivering a named message to the instances waiting for it, starting the
processes whose start event waits for it, and passing on what a step threw.

Starting an instance lives here too: a message can start one, and its first step can
throw messages to others.
"""

from __future__ import annotations

import logging
from contextvars import ContextVar
from typing import Any

from django.db.models import Max
from django.utils.translation import gettext as _
from SpiffWorkflow.bpmn import BpmnEvent
from SpiffWorkflow.exceptions import WorkflowException
from SpiffWorkflow.spiff.specs.event_definitions import MessageEventDefinition

from .deployment import callee_versions
from .errors import ConflictError, EngineError, MessageNotDelivered, StepFailed
from .models import ACTIVE_STATUSES, AuditAction, InstanceStatus, ProcessDefinition, ProcessInstance, StepKind
from .runtime import EngineFailure, StepContext, run_engine
from .step import Act, StartMessage, run_step, start_step

log = logging.getLogger(__name__)


class _NotForThisInstance(Exception):
    pass


def message_act(name: str, payload: Any, correlations: dict[str, Any]) -> Act:
    """A step action that sends the message into the instance's workflow. An instance
    whose workflow turns it down raises _NotForThisInstance: nothing is recorded."""
    def act(ctx: StepContext) -> None:
        def run() -> None:
            try:
                ctx.wf.send_event(BpmnEvent(
                    MessageEventDefinition(name), payload=payload, correlations=correlations))
            except WorkflowException as exc:
                raise _NotForThisInstance(str(exc)) from exc
            ctx.record(AuditAction.MESSAGE, data={"message": name, "payload": payload})

        try:
            run_engine(ctx, run)
        except EngineFailure as failure:
            if isinstance(failure.exc, _NotForThisInstance):
                raise _NotForThisInstance(str(failure.exc)) from None
            raise

    return act


def start_instance(*, definition: ProcessDefinition, data: dict[str, Any], org_unit: str = "",
                   business_key: str = "", started_by: Any = None,
                   message: StartMessage | None = None) -> ProcessInstance:
    """Start an instance of `definition` with its callees pinned to their latest
    versions, then deliver the messages its first step threw. `data` must be JSON-safe."""
    ctx = start_step(definition=definition, callees=callee_versions(definition), data=data,
                     org_unit=org_unit, business_key=business_key, started_by=started_by,
                     message=message)
    deliver_thrown(ctx)
    inst = ctx.instance
    inst.refresh_from_db()
    return inst


_delivery_depth: ContextVar[int] = ContextVar("engine_delivery_depth", default=0)


def deliver_message(*, name: str, payload: Any = None, business_key: str | None = None,
                    correlations: dict[str, Any] | None = None, actor: Any = None,
                    sender_instance_id: int | None = None) -> list[int]:
    """Deliver a named message to every waiting instance it correlates with, and start
    instances of processes whose start event waits for it. Returns the instance ids that
    received it; raises MessageNotDelivered when nobody did."""
    depth = _delivery_depth.get()
    if depth > 20:
        raise EngineError(_("Demasiados mensajes encadenados; se detuvo la entrega."))
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
                ctx = run_step(pk, kind=StepKind.MESSAGE, payload=payload_record, actor=actor,
                               act=message_act(name, payload, correlations), allowed=deliverable)
                deliver_thrown(ctx)
                receivers.append(pk)
            except (_NotForThisInstance, ConflictError):
                continue
            except StepFailed:
                receivers.append(pk)
        for definition in _message_start_definitions(name):
            inst = start_instance(definition=definition, data={}, business_key=business_key or "",
                                  started_by=actor, message=(name, payload, correlations))
            receivers.append(inst.pk)
    finally:
        _delivery_depth.reset(token)
    if not receivers:
        raise MessageNotDelivered(_("Ningún proceso espera el mensaje '%(name)s'.") % {"name": name})
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


def deliver_thrown(ctx: StepContext) -> None:
    """Deliver the messages a committed step threw to the other instances (and message
    start events). A message nobody takes is logged, not raised: the step is done."""
    for event in ctx.thrown:
        name = getattr(event.event_definition, "name", None)
        if not name or event.event_definition.__class__.__name__ != "MessageEventDefinition":
            continue
        try:
            deliver_message(name=name, payload=event.payload, correlations=event.correlations,
                            sender_instance_id=ctx.instance.pk)
        except EngineError as exc:
            log.info("Message %s from instance %s not delivered: %s", name, ctx.instance.pk, exc)
