"""User-task properties computed from the case (deadline, the one person a task is for),
refusals from a service handler that leave no incident, and escalation of a task."""

from __future__ import annotations

import pytest
import time_machine

from engine import services
from engine.errors import ConflictError, DeploymentError
from engine.models import AuditAction, AuditEvent, HumanTaskState, Incident, InstanceStatus

from .conftest import DIAGRAMS, deploy_diagram, open_task
from .test_timers_calendar import lima


def _deploy(engine_registry, handler=None):
    engine_registry.register_service("prueba.guardar", handler or (lambda ctx, valor=None: {"ok": valor}))
    deploy_diagram("task_properties")


@pytest.mark.django_db
def test_due_date_and_owner_come_from_the_case_data(engine_registry, user, other_user):
    _deploy(engine_registry)
    # Wed 1 Apr 2026 + 2 working days: Holy Thursday and Good Friday are holidays → Tue 7 Apr.
    with time_machine.travel(lima(2026, 4, 1, 10, 0), tick=False):
        inst = services.start(key="task_properties", started_by=other_user,
                              data={"cfg": {"dias": 2, "para": user.pk}})
    row = open_task(inst, "revisar")
    assert row.due_at == lima(2026, 4, 7, 10, 0)
    assert row.claimed_by_id == user.pk and row.claimed_at is not None
    with pytest.raises(ConflictError):
        services.complete(task_id=row.pk, user=other_user, data={"valor": "x"})
    services.complete(task_id=row.pk, user=user, data={"valor": "x"})
    inst.refresh_from_db()
    assert inst.status == InstanceStatus.COMPLETED


@pytest.mark.django_db
@pytest.mark.parametrize("cfg", [{"dias": 0, "para": None}, {"dias": "tres"}, {"dias": 2, "para": 999999}])
def test_a_bad_value_in_the_case_is_an_incident_not_a_lost_task(engine_registry, user, cfg):
    _deploy(engine_registry)
    with pytest.raises(Exception):  # noqa: B017,PT011 - StepFailed, the incident is what matters
        services.start(key="task_properties", started_by=user, data={"cfg": cfg})
    incident = Incident.objects.get()
    assert incident.element_id == "revisar"


@pytest.mark.django_db
def test_a_conflict_raised_by_a_handler_rolls_back_without_incident(engine_registry, user):
    def refuse(ctx, valor=None):
        raise ConflictError("El puesto cambió mientras usted revisaba.")

    _deploy(engine_registry, refuse)
    inst = services.start(key="task_properties", started_by=user, data={"cfg": {"dias": 1, "para": user.pk}})
    row = open_task(inst, "revisar")
    version = inst.lock_version
    with pytest.raises(ConflictError, match="El puesto cambió"):
        services.complete(task_id=row.pk, user=user, data={"valor": "x"})
    inst.refresh_from_db()
    row.refresh_from_db()
    assert not Incident.objects.exists()
    assert inst.status == InstanceStatus.RUNNING and inst.lock_version == version
    assert row.state == HumanTaskState.OPEN
    assert not AuditEvent.objects.filter(instance=inst, action=AuditAction.COMPLETE).exists()


@pytest.mark.django_db
def test_escalate_flags_the_task_and_audits_it(engine_registry, user):
    _deploy(engine_registry)
    inst = services.start(key="task_properties", started_by=user, data={"cfg": {"dias": 1, "para": user.pk}})
    row = open_task(inst, "revisar")
    services.escalate_task(task_id=row.pk, note="Plazo vencido")
    row.refresh_from_db()
    assert row.escalated_at is not None and row.escalation_note == "Plazo vencido"
    assert row.claimed_by_id == user.pk  # nothing else changes
    assert AuditEvent.objects.filter(instance=inst, action=AuditAction.ESCALATE).count() == 1


@pytest.mark.django_db
def test_deploy_refuses_an_unsafe_deadline_expression(engine_registry):
    engine_registry.register_service("prueba.guardar", lambda ctx, valor=None: {})
    content = (DIAGRAMS / "task_properties.bpmn").read_text().replace(
        'value="cfg[&quot;dias&quot;]"', 'value="cfg.__class__"')
    with pytest.raises(DeploymentError, match="dueInWorkingDays"):
        services.deploy(content=content, source="x.bpmn")
