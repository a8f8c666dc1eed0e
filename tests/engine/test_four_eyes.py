"""The engine's own four-eyes rule (user task property `fourEyes`): the person who
started the case is stored on the task row and refused, under the row lock, whatever the
portal decided; with the default lane resolver nothing else changes."""

from __future__ import annotations

import pytest

from engine import services
from engine.errors import ConflictError, StepFailed
from engine.models import HumanTask, HumanTaskState, Incident, InstanceStatus, ProcessInstance

from .conftest import open_task

BPMN = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" id="d" targetNamespace="t">
  <bpmn:process id="cuatro_ojos" isExecutable="true">
    <bpmn:laneSet id="ls"><bpmn:lane id="l" name="revisor">
      <bpmn:flowNodeRef>start</bpmn:flowNodeRef><bpmn:flowNodeRef>verificar</bpmn:flowNodeRef>
      <bpmn:flowNodeRef>anotar</bpmn:flowNodeRef><bpmn:flowNodeRef>end</bpmn:flowNodeRef></bpmn:lane></bpmn:laneSet>
    <bpmn:startEvent id="start"/>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="verificar"/>
    <bpmn:userTask id="verificar" name="Verificar">
      <bpmn:extensionElements><spiffworkflow:properties>
        <spiffworkflow:property name="fourEyes" value="true"/>
      </spiffworkflow:properties></bpmn:extensionElements>
    </bpmn:userTask>
    <bpmn:sequenceFlow id="f2" sourceRef="verificar" targetRef="anotar"/>
    <bpmn:userTask id="anotar" name="Anotar"/>
    <bpmn:sequenceFlow id="f3" sourceRef="anotar" targetRef="end"/>
    <bpmn:endEvent id="end"/>
  </bpmn:process>
</bpmn:definitions>"""


@pytest.mark.django_db
def test_the_starter_is_barred_from_a_four_eyes_task_and_nobody_else_is(engine_registry, user, other_user):
    services.deploy(content=BPMN, source="cuatro_ojos.bpmn")
    inst = services.start(key="cuatro_ojos", started_by=user)
    row = open_task(inst, "verificar")
    assert row.barred_user_id == user.pk and row.escalated_at is None  # the default resolver routes nothing

    with pytest.raises(ConflictError, match="cuatro ojos"):
        services.claim(task_id=row.pk, user=user)
    with pytest.raises(ConflictError, match="cuatro ojos"):
        services.complete(task_id=row.pk, user=user)
    with pytest.raises(ConflictError, match="cuatro ojos"):
        services.reassign(task_id=row.pk, to_user=user, by=other_user)
    row.refresh_from_db()
    assert row.state == HumanTaskState.OPEN and row.claimed_by_id is None

    services.complete(task_id=row.pk, user=other_user)
    follow = open_task(inst, "anotar")
    assert follow.barred_user_id is None  # only the marked task
    services.complete(task_id=follow.pk, user=user)
    inst.refresh_from_db()
    assert inst.status == InstanceStatus.COMPLETED


@pytest.mark.django_db
def test_claim_for_the_barred_starter_is_an_incident_not_a_task_he_holds(engine_registry, user, other_user):
    """A diagram that gives a four-eyes task (claimFor) to the person who started the case
    contradicts itself: the step fails with an incident naming the element, no task row
    is given to him, and once the data names someone else a retry creates the task."""
    diagram = BPMN.replace(
        '<spiffworkflow:property name="fourEyes" value="true"/>',
        '<spiffworkflow:property name="fourEyes" value="true"/>'
        '<spiffworkflow:property name="claimFor" value="revisor_id"/>')
    services.deploy(content=diagram, source="cuatro_ojos.bpmn")
    with pytest.raises(StepFailed, match="cuatro ojos"):
        services.start(key="cuatro_ojos", started_by=user, data={"revisor_id": user.pk})
    inst = ProcessInstance.objects.get()
    assert inst.status == InstanceStatus.INCIDENT
    [incident] = Incident.objects.filter(instance=inst, resolved_at__isnull=True)
    assert incident.element_id == "verificar" and "fourEyes" in incident.message
    assert not HumanTask.objects.filter(instance=inst).exists()

    fine = services.start(key="cuatro_ojos", started_by=user, data={"revisor_id": other_user.pk})
    row = open_task(fine, "verificar")
    assert row.claimed_by_id == other_user.pk and row.barred_user_id == user.pk
