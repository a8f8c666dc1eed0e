import pytest

from engine import services as engine
from engine.errors import StepFailed
from engine.models import HumanTask, Incident, InstanceStatus
from engine.registry import registry
from portal.orgs.resolver import OrgLaneResolver

pytestmark = pytest.mark.django_db

XML = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" id="d" targetNamespace="t">
  <bpmn:process id="{key}" isExecutable="true">
    <bpmn:laneSet id="ls">
      <bpmn:lane id="l" name="{role}"><bpmn:flowNodeRef>t</bpmn:flowNodeRef></bpmn:lane>
    </bpmn:laneSet>
    <bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="t"/>
    <bpmn:userTask id="t" name="Tarea">{props}</bpmn:userTask>
    <bpmn:sequenceFlow id="f2" sourceRef="t" targetRef="e"/><bpmn:endEvent id="e"/>
  </bpmn:process>
</bpmn:definitions>"""


def run(key, role, unit, props="", data=None):
    if props:
        props = ("<bpmn:extensionElements><spiffworkflow:properties>" + props
                 + "</spiffworkflow:properties></bpmn:extensionElements>")
    engine.deploy(content=XML.format(key=key, role=role, props=props), source=f"{key}.bpmn")
    return engine.start(key=key, org_unit=unit, data=data or {})


def test_the_portal_registers_the_org_resolver():
    """Diagrams deployed in the portal resolve lanes through the org tree."""
    assert isinstance(registry.lane_resolver, OrgLaneResolver)


def test_an_ie_request_goes_to_the_especialista_of_its_ugel(org):
    """A UGEL role's task for a case started at an IE lands at that IE's UGEL."""
    inst = run("p1", "especialista_siagie_ugel", "0584714-0")
    assert HumanTask.objects.get(instance=inst).unit == "UGEL-03"


def test_a_dre_role_walks_up_two_levels(org):
    """A DRE role's task for a case at an IE lands at the IE's DRE."""
    inst = run("p2", "estadistico_dre", "0301234-0")
    assert HumanTask.objects.get(instance=inst).unit == "DRE-LIMA-METROPOLITANA"


def test_minedu_roles_go_to_their_office(org):
    """The Administrador SIAGIE's task goes to MINEDU-UE wherever the case started."""
    inst = run("p3", "administrador_siagie", "UGEL-CUSCO")
    assert HumanTask.objects.get(instance=inst).unit == "MINEDU-UE"


def test_unit_from_takes_the_unit_from_the_case_data(org):
    """`unitFrom` routes to the unit code held in the instance data."""
    prop = '<spiffworkflow:property name="unitFrom" value="ie_destino"/>'
    inst = run("p4", "director_ie", "UGEL-03", prop, {"ie_destino": "0301234-0"})
    assert HumanTask.objects.get(instance=inst).unit == "0301234-0"


def test_a_fixed_unit_property_wins(org):
    """The `unit` property sends the task to that unit."""
    prop = '<spiffworkflow:property name="unit" value="UGEL-CUSCO"/>'
    inst = run("p5", "especialista_siagie_ugel", "0584714-0", prop)
    assert HumanTask.objects.get(instance=inst).unit == "UGEL-CUSCO"


def test_a_unit_that_does_not_exist_becomes_an_incident_not_a_lost_task(org):
    """Routing to an unknown unit leaves an incident naming the unit and no task."""
    prop = '<spiffworkflow:property name="unitFrom" value="ie_destino"/>'
    with pytest.raises(StepFailed):
        run("p6", "director_ie", "UGEL-03", prop, {"ie_destino": "9999999-9"})
    incident = Incident.objects.get()
    assert "9999999-9" in incident.message
    assert incident.instance.status == InstanceStatus.INCIDENT
    assert not HumanTask.objects.exists()


def test_a_role_below_the_case_unit_cannot_be_guessed(org):
    """A Director IE task for a case at a UGEL needs `unitFrom`: an incident says so."""
    with pytest.raises(StepFailed):
        run("p7", "director_ie", "UGEL-03")
    assert "unitFrom" in Incident.objects.get().message


def test_deploy_refuses_a_role_missing_from_the_catalogue(org):
    """A lane naming an unknown role is refused at deployment with the element named."""
    from engine.errors import DeploymentError

    with pytest.raises(DeploymentError, match="rector_ie"):
        engine.deploy(content=XML.format(key="p8", role="rector_ie", props=""), source="p8.bpmn")


def test_deploy_refuses_a_form_that_is_not_a_valid_schema(org, tmp_path, settings):
    """A diagram whose form file exists but is not valid JSON Schema is refused with the reason."""
    from engine.errors import DeploymentError

    (tmp_path / "roto.schema.json").write_text('{"type": "object", "properties": {"x": {"type": "cadena"}}}')
    settings.ENGINE = {**settings.ENGINE, "FORMS_DIR": str(tmp_path)}
    prop = '<spiffworkflow:property name="formKey" value="roto"/>'
    props = ("<bpmn:extensionElements><spiffworkflow:properties>" + prop
             + "</spiffworkflow:properties></bpmn:extensionElements>")
    with pytest.raises(DeploymentError) as caught:
        engine.deploy(content=XML.format(key="p9", role="director_ie", props=props), source="p9.bpmn")
    message = str(caught.value)
    assert "roto" in message and "no existe" not in message


def test_a_unit_of_the_wrong_level_becomes_an_incident(org):
    """`unitFrom` naming an IE for a UGEL role would give a task nobody can hold: an incident
    names the role, the level and the unit instead."""
    prop = '<spiffworkflow:property name="unitFrom" value="destino"/>'
    with pytest.raises(StepFailed):
        run("p10", "especialista_siagie_ugel", "UGEL-03", prop, {"destino": "0584714-0"})
    message = Incident.objects.get().message
    assert "Especialista SIAGIE UGEL" in message and "0584714-0" in message
    assert not HumanTask.objects.exists()
