"""The eight account diagrams: the seed's steps an administrator must recognise, the
routing of each, and a drawing bpmn-js can show completely."""

from __future__ import annotations

import pytest
from lxml import etree

from engine.models import ProcessDefinition

NS = {"bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL",
      "bpmndi": "http://www.omg.org/spec/BPMN/20100524/DI",
      "dc": "http://www.omg.org/spec/DD/20100524/DC",
      "di": "http://www.omg.org/spec/DD/20100524/DI"}
COMMON = {"solicitud", "preparar", "verificar", "plazo_vencido", "recordatorio", "cumple", "informar_rechazo",
          "rechazada"}
SPECIFIC = {
    "alta_minedu": {"crear_usuario", "informar_alta", "enviar_acceso", "confirmar_recepcion", "creada"},
    "alta_dre_ugel": {"crear_usuario", "informar_alta", "enviar_acceso", "creada"},
    "alta_director_ie": {"crear_usuario", "informar_alta", "entregar", "creada"},
    "alta_personal_ie": {"crear_usuario", "informar_alta", "entregar", "creada"},
    **{f"baja_{f}": {"dar_baja", "informar_baja", "baja_hecha"}
       for f in ("minedu", "dre_ugel", "director_ie", "personal_ie")},
}
VERIFIER = {"minedu": "administrador_siagie", "dre_ugel": "administrador_siagie",
            "director_ie": "especialista_siagie_ugel", "personal_ie": "director_ie"}
STARTERS = {
    "alta_minedu": {"coordinador_siagie_minedu", "usau_otic"},
    "baja_minedu": {"coordinador_siagie_minedu", "usau_otic"},
    "alta_dre_ugel": {"director_dre", "jefe_area_dre", "especialista_siagie_dre", "director_ugel", "jefe_area_ugel",
                      "especialista_siagie_ugel"},
    "alta_director_ie": {"director_ie", "especialista_siagie_ugel"},
    "baja_director_ie": {"director_ie", "especialista_siagie_ugel"},
    "alta_personal_ie": {"director_ie"}, "baja_personal_ie": {"director_ie", "personal_ie"},
}
STARTERS["baja_dre_ugel"] = STARTERS["alta_dre_ugel"]


@pytest.mark.django_db
@pytest.mark.parametrize("key", sorted(SPECIFIC))
def test_each_diagram_has_the_seed_steps_routing_and_a_full_drawing(cuentas, key):
    definition = ProcessDefinition.objects.get(key=key)
    assert definition.start_form_key == f"cuenta_{key}"
    assert set(definition.start_roles) == STARTERS[key]
    root = etree.fromstring(definition.xml.encode())
    process = root.find("bpmn:process", NS)
    nodes = {el.get("id"): el for el in process if el.get("id") and etree.QName(el).localname not in (
        "laneSet", "sequenceFlow", "documentation", "extensionElements")}
    assert COMMON | SPECIFIC[key] <= set(nodes)
    assert process.find("bpmn:documentation", NS).text.startswith("Seed 003 §V")
    # The verification sits in the verifier's lane, with a non-interrupting deadline timer.
    lane = next(lane for lane in process.iterfind(".//bpmn:lane", NS)
                if "verificar" in [ref.text for ref in lane.iterfind("bpmn:flowNodeRef", NS)])
    assert lane.get("name") == VERIFIER[key.split("_", 1)[1]]
    assert nodes["plazo_vencido"].get("cancelActivity") == "false"
    # Seed step letters in the names an administrator reads.
    assert nodes["verificar"].get("name")[0] in "BC" and nodes["solicitud"].get("name").startswith("A")
    # Every node, lane and flow is drawn.
    drawn = {el.get("bpmnElement") for el in root.iterfind(".//bpmndi:BPMNShape", NS)}
    edges = {el.get("bpmnElement") for el in root.iterfind(".//bpmndi:BPMNEdge", NS)}
    lanes = {lane.get("id") for lane in process.iterfind(".//bpmn:lane", NS)}
    flows = {el.get("id") for el in process.iterfind("bpmn:sequenceFlow", NS)}
    assert set(nodes) | lanes <= drawn
    assert flows == edges


def _bounds(shape) -> tuple[float, float, float, float]:
    box = shape.find("dc:Bounds", NS)
    x, y, w, h = (float(box.get(k)) for k in ("x", "y", "width", "height"))
    return x, y, x + w, y + h


def _inside(inner, outer, slack: float = 0) -> bool:
    return (outer[0] - slack <= inner[0] and inner[2] <= outer[2] + slack
            and outer[1] - slack <= inner[1] and inner[3] <= outer[3] + slack)


@pytest.mark.django_db
@pytest.mark.parametrize("key", sorted(SPECIFIC))
def test_each_step_is_drawn_inside_its_lane_and_each_arrow_joins_its_steps(cuentas, key):
    """bpmn-js draws what the DI says: a step placed outside its lane (or the pool) shows up
    in the wrong office's row or off the diagram, and an arrow must start and end at its steps."""
    root = etree.fromstring(ProcessDefinition.objects.get(key=key).xml.encode())
    process = root.find("bpmn:process", NS)
    shapes = {el.get("bpmnElement"): _bounds(el) for el in root.iterfind(".//bpmndi:BPMNShape", NS)}
    pool = shapes[root.find("bpmn:collaboration/bpmn:participant", NS).get("id")]
    for lane in process.iterfind(".//bpmn:lane", NS):
        assert _inside(shapes[lane.get("id")], pool), lane.get("id")
        for ref in lane.iterfind("bpmn:flowNodeRef", NS):
            # A boundary event sits on its task's edge and may stick out of the lane by half its size.
            assert _inside(shapes[ref.text], shapes[lane.get("id")], slack=18), (ref.text, lane.get("name"))
    for flow in process.iterfind("bpmn:sequenceFlow", NS):
        edge = root.find(f".//bpmndi:BPMNEdge[@bpmnElement='{flow.get('id')}']", NS)
        points = [(float(p.get("x")), float(p.get("y"))) for p in edge.iterfind("di:waypoint", NS)]
        assert len(points) >= 2
        for point, end in ((points[0], "sourceRef"), (points[-1], "targetRef")):
            assert _inside((*point, *point), shapes[flow.get(end)], slack=1), (flow.get("id"), end)
