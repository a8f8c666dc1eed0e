"""The permission matrix shared by the API and page tests.

For every role of processes/roles.json, one officer holds it in its "own" unit, and
three tasks exist: one for that role in the own unit, one in another unit ("other": the
same role in another unit of the same level, or for MINEDU roles a role of another
MINEDU office), and one for a different role in a unit below the own unit ("below"; for
IE roles, the other IE role in the same IE). `expected()` is the rule the
portal must apply; the tests compare every answer against it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from engine import services as engine
from engine.models import HumanTask
from portal.orgs.roles import catalogue

OWN_UNIT = {"dre": "DRE-LIMA-METROPOLITANA", "ugel": "UGEL-03", "ie": "0584714-0"}
OTHER_UNIT = {"dre": "DRE-CUSCO", "ugel": "UGEL-CUSCO", "ie": "0207001-0"}
ACTIONS = ("see", "claim", "complete", "start", "administer")
RELATIONS = ("own", "other", "below")


def own_unit(role: dict) -> str:
    return role.get("unit") or OWN_UNIT[role["unit_level"]]


def other_task_role(role: dict) -> tuple[str, str]:
    """(role, unit) of the "other" task: the same role in another unit of its level. A
    MINEDU role is held only in its own office, so its "other" task is a role of another
    MINEDU office (a task for it anywhere else would be an incident, not a task)."""
    if role.get("unit"):
        return ("usau_otic", "MINEDU-OTIC") if role["unit"] != "MINEDU-OTIC" else ("administrador_siagie", "MINEDU-UE")
    return role["code"], OTHER_UNIT[role["unit_level"]]


def below_task_role(role: dict) -> tuple[str, str]:
    if role["unit_level"] == "ie":
        return ("personal_ie" if role["code"] == "director_ie" else "director_ie"), "0584714-0"
    return "director_ie", "0584714-0"


def expected(role_code: str, relation: str, action: str) -> bool:
    role = catalogue()[role_code]
    supervises = role.get("supervises") or ""
    if action == "administer":
        return supervises == "all"
    if action == "start":
        return True  # every officer may start the process whose start lane is their role
    if relation == "own":
        return True
    if action == "see":
        if relation == "other":
            return supervises in ("national", "all")
        return supervises in ("subtree", "national", "all")
    return False


def process_xml(role_code: str) -> str:
    """One user task for `role_code` in the unit named by the data key `unidad_tarea`;
    the start event is in the same lane, so holders of the role may start it."""
    key = f"m_{role_code}"
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" id="d_{key}" targetNamespace="t">
  <bpmn:process id="{key}" name="Matriz {role_code}" isExecutable="true">
    <bpmn:laneSet id="ls"><bpmn:lane id="l" name="{role_code}">
      <bpmn:flowNodeRef>start</bpmn:flowNodeRef><bpmn:flowNodeRef>tarea</bpmn:flowNodeRef>
      <bpmn:flowNodeRef>end</bpmn:flowNodeRef></bpmn:lane></bpmn:laneSet>
    <bpmn:startEvent id="start"/>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="tarea"/>
    <bpmn:userTask id="tarea" name="Tarea de {role_code}">
      <bpmn:extensionElements><spiffworkflow:properties>
        <spiffworkflow:property name="unitFrom" value="unidad_tarea"/>
        <spiffworkflow:property name="formKey" value="registrar_prueba"/>
      </spiffworkflow:properties></bpmn:extensionElements>
    </bpmn:userTask>
    <bpmn:sequenceFlow id="f2" sourceRef="tarea" targetRef="end"/>
    <bpmn:endEvent id="end"/>
  </bpmn:process>
</bpmn:definitions>"""


@dataclass
class World:
    officers: dict[str, object] = field(default_factory=dict)  # role code -> user
    tasks: dict[tuple[str, str], HumanTask] = field(default_factory=dict)  # (role, relation) -> task


def _task(role_code: str, unit: str) -> HumanTask:
    inst = engine.start(key=f"m_{role_code}", data={"unidad_tarea": unit}, org_unit=unit)
    return HumanTask.objects.get(instance=inst)


def build_world(officer) -> World:
    """Needs the `org` and `officer` fixtures of tests/portal/conftest.py."""
    world = World()
    for code in catalogue():
        engine.deploy(content=process_xml(code), source=f"m_{code}.bpmn")
    for code, role in catalogue().items():
        world.officers[code] = officer(code, own_unit(role), username=f"m-{code}",
                                       nivel="secundaria" if role.get("per_nivel") else "")
        world.tasks[(code, "own")] = _task(code, own_unit(role))
        world.tasks[(code, "other")] = _task(*other_task_role(role))
        below_role, below_unit = below_task_role(role)
        world.tasks[(code, "below")] = _task(below_role, below_unit)
    return world
