"""Deployment: versioning by content, and validation that names the faulty element."""

from __future__ import annotations

import pytest

from engine import services
from engine.errors import DeploymentError
from engine.models import AuditEvent, HumanTaskState, InstanceStatus, ProcessDefinition
from engine.registry import DefaultLaneResolver

from .conftest import DIAGRAMS, deploy_diagram, open_task, open_tasks

pytestmark = pytest.mark.django_db

USER_TASKS = (DIAGRAMS / "user_tasks.bpmn").read_text(encoding="utf-8")

# Version 2 of user_tasks: the verification step was dropped from the process.
USER_TASKS_V2 = USER_TASKS.replace(
    '<bpmn:sequenceFlow id="f2" sourceRef="fill" targetRef="verify"/>',
    '<bpmn:sequenceFlow id="f2" sourceRef="fill" targetRef="end"/>',
).replace(
    '<bpmn:sequenceFlow id="f3" sourceRef="verify" targetRef="end"/>', ""
).replace(
    '<bpmn:flowNodeRef>verify</bpmn:flowNodeRef>', ""
)
_VERIFY_START = USER_TASKS_V2.index('<bpmn:userTask id="verify"')
_VERIFY_END = USER_TASKS_V2.index("</bpmn:userTask>", _VERIFY_START) + len("</bpmn:userTask>")
USER_TASKS_V2 = USER_TASKS_V2[:_VERIFY_START] + USER_TASKS_V2[_VERIFY_END:]


def process(body: str, *, pid: str = "robust_deploy", executable: bool = True) -> str:
    """A one-process BPMN file around `body` (flow nodes and flows, start → ... → end)."""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
                  xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core"
                  id="defs_{pid}" targetNamespace="http://siagie.test/bpmn">
  <bpmn:process id="{pid}" name="Prueba de despliegue" isExecutable="{'true' if executable else 'false'}">
    <bpmn:startEvent id="start"/>
    {body}
    <bpmn:endEvent id="end"/>
  </bpmn:process>
</bpmn:definitions>
"""


def user_task(element_id: str, *properties: tuple[str, str], name: str = "Revisar") -> str:
    """A user task with the given properties (role director_ie unless one is given)."""
    if not any(key == "role" for key, _ in properties):
        properties = (("role", "director_ie"), *properties)
    props = "".join(f'<spiffworkflow:property name="{k}" value="{v}"/>' for k, v in properties)
    return (
        f'<bpmn:userTask id="{element_id}" name="{name}"><bpmn:extensionElements>'
        f"<spiffworkflow:properties>{props}</spiffworkflow:properties>"
        f"</bpmn:extensionElements></bpmn:userTask>"
    )


def chain(*nodes: tuple[str, str]) -> str:
    """Nodes given as (element_id, xml), linked start → nodes... → end."""
    ids = ["start", *[n[0] for n in nodes], "end"]
    flows = "".join(
        f'<bpmn:sequenceFlow id="flow_{i}" sourceRef="{a}" targetRef="{b}"/>'
        for i, (a, b) in enumerate(zip(ids, ids[1:], strict=False))
    )
    return "".join(n[1] for n in nodes) + flows


def service_task(element_id: str, operator: str) -> str:
    return (
        f'<bpmn:serviceTask id="{element_id}" name="Consultar padrón"><bpmn:extensionElements>'
        f'<spiffworkflow:serviceTaskOperator id="{operator}" resultVariable="r">'
        f"<spiffworkflow:parameters/></spiffworkflow:serviceTaskOperator>"
        f"</bpmn:extensionElements></bpmn:serviceTask>"
    )


def script_task(element_id: str, script: str) -> str:
    return f'<bpmn:scriptTask id="{element_id}" name="Calcular"><bpmn:script>{script}</bpmn:script></bpmn:scriptTask>'


def call_activity(element_id: str, callee: str) -> str:
    return f'<bpmn:callActivity id="{element_id}" name="Subproceso" calledElement="{callee}"/>'


def nothing_saved() -> None:
    assert ProcessDefinition.objects.count() == 0
    assert AuditEvent.objects.count() == 0


# --- Versioning --------------------------------------------------------------------------------


def test_first_deployment_creates_version_1(user):
    """A file deployed for the first time becomes version 1 of its process, with an audit record."""
    [result] = services.deploy(content=USER_TASKS, source="user_tasks.bpmn", deployed_by=user)

    assert (result.key, result.version, result.created) == ("user_tasks", 1, True)
    definition = ProcessDefinition.objects.get()
    assert (definition.key, definition.version, definition.name) == ("user_tasks", 1, "Solicitud simple")
    assert definition.deployed_by == user
    event = AuditEvent.objects.get(action="deploy")
    assert event.definition == definition and event.actor == user
    assert event.data["version"] == 1


def test_unchanged_content_deploys_nothing():
    """Deploying the same file again keeps the same version and creates no rows."""
    services.deploy(content=USER_TASKS, source="user_tasks.bpmn")
    [again] = services.deploy(content=USER_TASKS.encode("utf-8"), source="user_tasks.bpmn")

    assert (again.key, again.version, again.created) == ("user_tasks", 1, False)
    assert ProcessDefinition.objects.count() == 1
    assert AuditEvent.objects.filter(action="deploy").count() == 1


def test_changed_content_makes_v2_and_running_instances_stay_on_v1(user):
    """A changed file becomes v2; an instance started on v1 keeps v1's tasks to the end,
    while a new instance follows v2."""
    services.deploy(content=USER_TASKS, source="user_tasks.bpmn")
    old = services.start(key="user_tasks", data={"ugel": "UGEL01"}, started_by=user)

    [v2] = services.deploy(content=USER_TASKS_V2, source="user_tasks.bpmn")
    assert (v2.version, v2.created) == (2, True)
    assert ProcessDefinition.objects.filter(key="user_tasks").count() == 2

    new = services.start(key="user_tasks", data={"ugel": "UGEL01"}, started_by=user)
    assert new.definition.version == 2
    services.complete(task_id=open_task(new, "fill").pk, user=user, data={})
    new.refresh_from_db()
    assert new.status == InstanceStatus.COMPLETED  # v2 has no verification step

    old.refresh_from_db()
    assert old.definition.version == 1
    services.complete(task_id=open_task(old, "fill").pk, user=user, data={})
    old.refresh_from_db()
    assert old.status == InstanceStatus.RUNNING
    assert [t.element_id for t in open_tasks(old)] == ["verify"]  # v1's second task
    services.complete(task_id=open_task(old, "verify").pk, user=user, data={})
    old.refresh_from_db()
    assert old.status == InstanceStatus.COMPLETED
    assert old.definition.version == 1
    assert not old.human_tasks.filter(state=HumanTaskState.OPEN).exists()


# --- Validation errors -------------------------------------------------------------------------


def _deploy_error(content: str) -> DeploymentError:
    with pytest.raises(DeploymentError) as info:
        services.deploy(content=content, source="robust_deploy.bpmn")
    nothing_saved()
    return info.value


def test_unknown_form_key_is_refused():
    """A user task whose formKey has no form is refused, naming the task and the form."""
    error = _deploy_error(process(chain(("ask", user_task("ask", ("formKey", "formulario_fantasma"))))))
    [problem] = error.problems
    assert "'ask'" in problem
    assert "formulario_fantasma" in problem and "no existe" in problem


def test_unregistered_service_operator_is_refused():
    """A service task whose operator is not registered is refused, naming the task and operator."""
    error = _deploy_error(process(chain(("lookup", service_task("lookup", "padron_minedu")))))
    [problem] = error.problems
    assert "'lookup'" in problem
    assert "padron_minedu" in problem and "no está registrado" in problem


def test_registered_service_operator_deploys(engine_registry):
    """The same service task deploys once its operator is registered."""
    engine_registry.register_service("padron_minedu", lambda ctx: {})
    [result] = services.deploy(content=process(chain(("lookup", service_task("lookup", "padron_minedu")))))
    assert result.created


def test_unknown_role_is_refused(engine_registry):
    """With a role catalogue, a user task whose role is not in it is refused, naming task and role."""
    engine_registry.lane_resolver = DefaultLaneResolver(roles={"director_ie", "especialista_ugel"})
    error = _deploy_error(process(chain(("ask", user_task("ask", ("role", "rol_inventado"))))))
    [problem] = error.problems
    assert "'ask'" in problem
    assert "rol_inventado" in problem and "no existe" in problem


def test_user_task_without_role_is_refused():
    """A user task with neither lane nor role property is refused: nobody could receive it."""
    body = chain(("ask", '<bpmn:userTask id="ask" name="Revisar"/>'))
    [problem] = _deploy_error(process(body)).problems
    assert "'ask'" in problem and "rol" in problem


@pytest.mark.parametrize("due", ["3 días", "P", "tomorrow"])
def test_invalid_due_in_is_refused(due):
    """A user task whose dueIn is not an ISO 8601 duration is refused, quoting the value."""
    error = _deploy_error(process(chain(("ask", user_task("ask", ("dueIn", due))))))
    [problem] = error.problems
    assert "'ask'" in problem
    assert "dueIn" in problem and "ISO 8601" in problem and repr(due) in problem


@pytest.mark.parametrize("days", ["0", "400", "3 días", "plazo.__class__"])
def test_invalid_due_in_working_days_is_refused(days):
    """dueInWorkingDays must be a whole number of days (1-365) or a safe expression giving one."""
    [problem] = _deploy_error(process(chain(("ask", user_task("ask", ("dueInWorkingDays", days)))))).problems
    assert "'ask'" in problem and "dueInWorkingDays" in problem


def test_script_that_fails_the_sandbox_is_refused():
    """A script task using dunder attributes is refused at deployment, naming the task."""
    script = "x = ().__class__.__base__.__subclasses__()"
    [problem] = _deploy_error(process(chain(("calc", script_task("calc", script))))).problems
    assert "'calc'" in problem
    assert "entorno seguro" in problem and "__class__" in problem


def test_call_activity_to_undeployed_process_is_refused():
    """A call activity to a process that is not deployed is refused, naming the activity and the process."""
    [problem] = _deploy_error(process(chain(("sub", call_activity("sub", "proceso_inexistente"))))).problems
    assert "'sub'" in problem
    assert "proceso_inexistente" in problem and "no está desplegado" in problem


def test_file_without_executable_process_is_refused():
    """A file whose processes are all non-executable is refused with a clear message."""
    error = _deploy_error(process(chain(("ask", user_task("ask"))), executable=False))
    [problem] = error.problems
    assert "ningún proceso ejecutable" in problem


def test_every_problem_is_listed_and_nothing_is_saved(engine_registry):
    """A file with several defects lists one problem per defect, each naming its element."""
    engine_registry.lane_resolver = DefaultLaneResolver(roles={"director_ie"})
    body = chain(
        ("ask", user_task("ask", ("formKey", "no_hay_form"))),
        ("check", user_task("check", ("role", "rol_x"))),
        ("lookup", service_task("lookup", "op_x")),
        ("calc", script_task("calc", "y = eval('1')")),
    )
    error = _deploy_error(process(body))
    assert len(error.problems) == 4
    for element in ("ask", "check", "lookup", "calc"):
        assert sum(f"'{element}'" in p for p in error.problems) == 1, element


def test_failed_deployment_keeps_existing_versions():
    """A broken new version of a deployed process is refused and the deployed version stays the latest."""
    services.deploy(content=USER_TASKS, source="user_tasks.bpmn")
    broken = USER_TASKS.replace('value="test_solicitud"', 'value="no_existe"')
    with pytest.raises(DeploymentError):
        services.deploy(content=broken, source="user_tasks.bpmn")
    assert list(ProcessDefinition.objects.values_list("key", "version")) == [("user_tasks", 1)]
    assert AuditEvent.objects.filter(action="deploy").count() == 1


def test_deploy_diagram_helper_uses_files():
    """The example diagram in tests/engine/diagrams deploys as version 1."""
    result = deploy_diagram("user_tasks")
    assert (result.key, result.version) == ("user_tasks", 1)
