"""Untrusted input: hostile XML is refused before parsing, scripts run in a sandbox."""

from __future__ import annotations

import pytest

from engine import services
from engine.errors import DeploymentError, StepFailed, UnsafeXmlError
from engine.models import AuditEvent, Incident, InstanceStatus, ProcessDefinition

from .conftest import DIAGRAMS, open_task, open_tasks
from .constructs import task_data

pytestmark = pytest.mark.django_db

USER_TASKS = (DIAGRAMS / "user_tasks.bpmn").read_text(encoding="utf-8")
_BODY = USER_TASKS.split("\n", 1)[1]  # without the XML declaration


def nothing_saved() -> None:
    assert ProcessDefinition.objects.count() == 0
    assert AuditEvent.objects.count() == 0


def refused(content: str | bytes) -> UnsafeXmlError:
    with pytest.raises(UnsafeXmlError) as info:
        services.deploy(content=content, source="hostil.bpmn")
    nothing_saved()
    return info.value


# --- B. XML safety -----------------------------------------------------------------------------


def test_external_entity_is_refused_without_reading_the_file():
    """A file declaring an external entity (XXE to /etc/passwd) is refused and the file is never read."""
    content = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<!DOCTYPE bpmn:definitions [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n'
        + _BODY.replace('name="Solicitud simple"', 'name="&xxe;"')
    )
    error = refused(content)
    assert "DOCTYPE" in str(error) and "seguridad" in str(error)
    assert "root:" not in str(error)


def test_billion_laughs_is_refused():
    """A file with nested entity expansion (billion laughs) is refused quickly."""
    entities = '<!ENTITY lol "lol">' + "".join(
        f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">' for i in range(1, 10)
    )
    content = (
        '<?xml version="1.0"?>\n'
        f"<!DOCTYPE bpmn:definitions [{entities}]>\n"
        + _BODY.replace('name="Solicitud simple"', 'name="&lol9;"')
    )
    error = refused(content)
    assert "DOCTYPE" in str(error) and "seguridad" in str(error)


def test_external_dtd_is_refused():
    """A file that points at an external DTD is refused (and nothing is fetched)."""
    content = (
        '<?xml version="1.0"?>\n'
        '<!DOCTYPE bpmn:definitions SYSTEM "http://example.invalid/evil.dtd">\n' + _BODY
    )
    error = refused(content)
    assert "DOCTYPE" in str(error)


def test_parameter_entity_is_refused():
    """A file using parameter entities to pull in an external DTD is refused."""
    content = (
        '<?xml version="1.0"?>\n'
        '<!DOCTYPE bpmn:definitions [<!ENTITY % ext SYSTEM "file:///etc/passwd"> %ext;]>\n' + _BODY
    )
    error = refused(content)
    assert "DOCTYPE" in str(error) and "seguridad" in str(error)


def test_oversize_file_is_refused(settings):
    """A file larger than ENGINE['MAX_BPMN_BYTES'] is refused, stating its size and the limit."""
    settings.ENGINE = {**settings.ENGINE, "MAX_BPMN_BYTES": 10_000}
    content = USER_TASKS.replace("</bpmn:definitions>", f"<!-- {'x' * 12_000} --></bpmn:definitions>")
    error = refused(content.encode("utf-8"))
    assert "máximo permitido" in str(error) and "10,000" in str(error)


def test_file_within_the_limit_deploys(settings):
    """The same limit accepts a normal diagram."""
    settings.ENGINE = {**settings.ENGINE, "MAX_BPMN_BYTES": 10_000}
    [result] = services.deploy(content=USER_TASKS, source="user_tasks.bpmn")
    assert result.created


@pytest.mark.parametrize("content", [
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
    "esto no es un diagrama",
    "<bpmn:definitions><sin cerrar>",
    b"",
])
def test_non_xml_is_refused(content):
    """Something that is not XML at all is refused with a message saying so."""
    error = refused(content)
    assert "no es XML válido" in str(error)


def test_xml_that_is_not_bpmn_is_refused():
    """Well-formed XML that holds no BPMN process is refused."""
    with pytest.raises(DeploymentError) as info:
        services.deploy(content='<?xml version="1.0"?><html><body>hola</body></html>', source="x.bpmn")
    nothing_saved()
    [problem] = info.value.problems
    assert "no es un diagrama BPMN" in problem and "<html>" in problem


def test_deploy_directory_refuses_a_batch_with_one_hostile_file(tmp_path):
    """A directory deployment with one hostile file deploys none of the files."""
    (tmp_path / "ok.bpmn").write_text(USER_TASKS, encoding="utf-8")
    (tmp_path / "bad.bpmn").write_text(
        '<?xml version="1.0"?>\n<!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n' + _BODY,
        encoding="utf-8",
    )
    with pytest.raises(DeploymentError) as info:
        services.deploy_directory(directory=tmp_path)
    assert any(p.startswith("bad.bpmn:") and "DOCTYPE" in p for p in info.value.problems)
    nothing_saved()


# --- C. Script sandbox ---------------------------------------------------------------------------


def diagram(*, script: str = "total = 1", condition: str = "total &gt; 0") -> str:
    """fill (user task) → calc (script task) → decide (gateway on `condition`) → done | redo → end."""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
                  xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core"
                  id="defs_safety_script" targetNamespace="http://siagie.test/bpmn">
  <bpmn:process id="safety_script" name="Cálculo con script" isExecutable="true">
    <bpmn:laneSet id="lanes">
      <bpmn:lane id="lane_dir" name="director_ie">
        <bpmn:flowNodeRef>start</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>fill</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>calc</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>decide</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>done</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>redo</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>end</bpmn:flowNodeRef>
      </bpmn:lane>
    </bpmn:laneSet>
    <bpmn:startEvent id="start"/>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="fill"/>
    <bpmn:userTask id="fill" name="Registrar notas"/>
    <bpmn:sequenceFlow id="f2" sourceRef="fill" targetRef="calc"/>
    <bpmn:scriptTask id="calc" name="Calcular promedio">
      <bpmn:script>{script}</bpmn:script>
    </bpmn:scriptTask>
    <bpmn:sequenceFlow id="f3" sourceRef="calc" targetRef="decide"/>
    <bpmn:exclusiveGateway id="decide" name="¿Aprobado?" default="f_redo"/>
    <bpmn:sequenceFlow id="f_done" sourceRef="decide" targetRef="done">
      <bpmn:conditionExpression>{condition}</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="f_redo" sourceRef="decide" targetRef="redo"/>
    <bpmn:userTask id="done" name="Emitir constancia"/>
    <bpmn:userTask id="redo" name="Subsanar"/>
    <bpmn:sequenceFlow id="f4" sourceRef="done" targetRef="end"/>
    <bpmn:sequenceFlow id="f5" sourceRef="redo" targetRef="end"/>
    <bpmn:endEvent id="end"/>
  </bpmn:process>
</bpmn:definitions>
"""


def xml_text(code: str) -> str:
    return code.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def run_to_calc(content: str, user, data: dict | None = None):
    """Deploy, start and complete `fill`; returns (instance, fill row, raised StepFailed or None)."""
    services.deploy(content=content, source="safety_script.bpmn")
    inst = services.start(key="safety_script", started_by=user)
    fill = open_task(inst, "fill")
    try:
        services.complete(task_id=fill.pk, user=user, data=data or {})
    except StepFailed as exc:
        inst.refresh_from_db()
        return inst, fill, exc
    inst.refresh_from_db()
    return inst, fill, None


COMPILE_TIME_SCRIPTS = [
    "import os",
    "from os import path",
    "m = __import__('os')",
    "x = ().__class__.__base__.__subclasses__()",
    "x = total.__class__",
    "y = eval('1')",
    "exec('y = 1')",
    "_secret = 1",
]


@pytest.mark.parametrize("script", COMPILE_TIME_SCRIPTS)
def test_script_refused_at_deploy(script):
    """A script task the sandbox can reject from its text is refused at deployment, naming the task."""
    with pytest.raises(DeploymentError) as info:
        services.deploy(content=diagram(script=xml_text(script)), source="safety_script.bpmn")
    nothing_saved()
    [problem] = info.value.problems
    assert "'calc'" in problem and "entorno seguro" in problem


@pytest.mark.parametrize("condition", [
    "__import__('os').system('id')",
    "().__class__.__base__",
    "eval('total')",
])
def test_condition_refused_at_deploy(condition):
    """A gateway condition the sandbox rejects is refused at deployment, naming the gateway."""
    with pytest.raises(DeploymentError) as info:
        services.deploy(content=diagram(condition=xml_text(condition)), source="safety_script.bpmn")
    nothing_saved()
    [problem] = info.value.problems
    assert "'decide'" in problem and "condición" in problem


RUN_TIME_SCRIPTS = [
    ("x = open('/etc/passwd').read()", "open"),
    ("x = getattr(total, '__class__')", "getattr"),
    ("x = type(total)", "type"),
    ("x = globals()", "globals"),
    ("x = vars()", "vars"),
]


@pytest.mark.parametrize(("script", "name"), RUN_TIME_SCRIPTS)
def test_script_refused_at_run_time_becomes_incident(user, script, name):
    """A script reaching for a forbidden builtin fails when run: an incident on the script task,
    the instance unchanged."""
    inst, fill, failed = run_to_calc(diagram(script=xml_text(script)), user, {"total": 3})
    assert failed is not None
    assert inst.status == InstanceStatus.INCIDENT
    incident = Incident.objects.get(instance=inst, resolved_at__isnull=True)
    assert incident.element_id == "calc"
    assert name in incident.message
    assert "calc" in str(failed)
    assert [t.element_id for t in open_tasks(inst)] == ["fill"]  # nothing moved


@pytest.mark.parametrize("condition", ["open('/etc/passwd')", "getattr(total, '__class__')"])
def test_condition_refused_at_run_time_becomes_incident(user, condition):
    """A gateway condition calling a forbidden builtin becomes an incident on the gateway."""
    inst, _fill, failed = run_to_calc(diagram(condition=xml_text(condition)), user)
    assert failed is not None
    incident = Incident.objects.get(instance=inst, resolved_at__isnull=True)
    assert incident.element_id == "decide"
    assert [t.element_id for t in open_tasks(inst)] == ["fill"]


def test_script_producing_non_json_data_becomes_incident(user):
    """A script that leaves a set in the task data fails with an incident naming the variable."""
    inst, _fill, failed = run_to_calc(diagram(script="codes = {1, 2}"), user)
    assert failed is not None
    incident = Incident.objects.get(instance=inst, resolved_at__isnull=True)
    assert incident.element_id == "calc"
    assert "'codes'" in incident.message and "no es un dato JSON" in incident.message


def test_script_defined_functions_are_not_stored(user):
    """A helper function a script defines is not kept in the task data (only data is)."""
    script = "def doble(n):\n    return n * 2\ntotal = doble(total)"
    inst, _fill, failed = run_to_calc(diagram(script=xml_text(script)), user, {"total": 4})
    assert failed is None
    assert [t.element_id for t in open_tasks(inst)] == ["done"]
    data = task_data(open_task(inst, "done"))
    assert data["total"] == 8 and "doble" not in data


def test_normal_scripts_work(user):
    """Arithmetic, list and dict building, loops, comprehensions and augmented assignment work."""
    script = "\n".join([
        "notas = [n for n in notas if n &gt;= 0]",
        "total = 0",
        "for n in notas:",
        "    total += n",
        "promedio = round(total / len(notas), 2)",
        "resumen = {'cantidad': len(notas), 'maxima': max(notas)}",
        "resumen['minima'] = min(notas)",
        "etiquetas = []",
        "for i, n in enumerate(notas):",
        "    etiquetas.append('n%d=%d' % (i, n))",
        "contador += 1",
        "aprobado = promedio &gt;= 11 and all(n &gt; 5 for n in notas)",
    ])
    inst, _fill, failed = run_to_calc(
        diagram(script=script, condition="aprobado"), user, {"notas": [14, 12, -1, 16], "contador": 41})
    assert failed is None, failed
    assert [t.element_id for t in open_tasks(inst)] == ["done"]
    data = task_data(open_task(inst, "done"))
    assert data["promedio"] == 14.0
    assert data["total"] == 42
    assert data["resumen"] == {"cantidad": 3, "maxima": 16, "minima": 12}
    assert data["etiquetas"] == ["n0=14", "n1=12", "n2=16"]
    assert data["contador"] == 42
    assert data["aprobado"] is True


def test_engine_script_functions_are_available(user, engine_registry):
    """Scripts can call the functions the product registered."""
    engine_registry.script_function("nombre_ugel", lambda code: f"UGEL {code}")
    inst, _fill, failed = run_to_calc(
        diagram(script="ugel = nombre_ugel(codigo)"), user, {"codigo": "01", "total": 0})
    assert failed is None
    assert task_data(open_task(inst, "redo"))["ugel"] == "UGEL 01"
