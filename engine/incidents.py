"""Incidents: what a failed step leaves on its instance, and how later steps settle them.

A failed step rolls back; `record_incident` then writes, in a second small transaction,
the incident (element, message, traceback, and what to replay) and sets the instance's
status to `incident`.
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .errors import StepFailed
from .models import AuditAction, AuditEvent, Incident, InstanceStatus, StepKind
from .persistence import lock_instance
from .runtime import EngineFailure, StepContext, failure_message

log = logging.getLogger(__name__)

# A failed completion is redone when the officer completes the same task again, and a
# failed timer when the clock fires it again: the next such step settles the incident.
# A failed message or start cannot happen again by itself: only a retry settles it.
REPLAYABLE_KINDS = (StepKind.COMPLETE, StepKind.TIMER)


def record_incident(instance_id: int, *, kind: str, payload: dict[str, Any], actor: Any,
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
            instance=inst, element_id=failure.element_id, message=failure_message(failure.exc)[:4000],
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


def settle_incidents(ctx: StepContext, *, retrying: int | None, kind: str, payload: dict[str, Any]) -> None:
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
    """The error a caller sees for a step that left this incident."""
    if incident.element_id:
        text = _("El paso no se pudo completar en «%(element)s»: %(message)s. Se registró la "
                 "incidencia N.° %(incident)s; nada cambió en el expediente.")
    else:
        text = _("El paso no se pudo completar: %(message)s. Se registró la incidencia "
                 "N.° %(incident)s; nada cambió en el expediente.")
    return StepFailed(
        text % {"element": incident.element_id, "message": incident.message.rstrip("."),
                "incident": incident.pk},
        incident_id=incident.pk,
    )
