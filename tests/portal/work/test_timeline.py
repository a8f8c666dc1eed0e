import pytest

from engine.models import HumanTask
from portal.work import services, timeline
from tests.portal.conftest import SOLICITUD

pytestmark = pytest.mark.django_db


@pytest.fixture
def case(org, officer, tramite):
    requester = officer("personal_ie", "0584714-0")
    director = officer("director_ie", "0584714-0")
    inst = services.process_start(user=requester, key="tramite_prueba", data=SOLICITUD)
    return inst, requester, director


def test_the_timeline_reads_as_plain_spanish(case):
    """Each step is one sentence naming the acting office; the verification says its outcome."""
    inst, _requester, director = case
    task = HumanTask.objects.get(instance=inst)
    services.task_complete(user=director, task_pk=task.pk, data={"cumple_requisitos": "si"})
    lines = [e.text for e in timeline.build(inst, staff=True)]
    assert lines[0] == "Personal / Docente IE (AUGUSTO B. LEGUIA) inició el trámite «Trámite de prueba»."
    assert "Director IE (AUGUSTO B. LEGUIA) verificó los requisitos: cumple" in lines
    assert any(line.startswith("Pendiente: «Registrar el usuario en SIAGIE», a cargo de Especialista SIAGIE UGEL "
                               "(UGEL 03 Breña)") for line in lines)


def test_person_names_are_shown_only_to_staff(case):
    """A requester outside the administration sees offices, not the officers' names."""
    inst, _requester, director = case
    task = HumanTask.objects.get(instance=inst)
    services.task_complete(user=director, task_pk=task.pk, data={"cumple_requisitos": "si"})
    staff = [e.person for e in timeline.build(inst, staff=True)]
    public = [e.person for e in timeline.build(inst, staff=False)]
    assert director.get_full_name() in staff
    assert not any(public)


def test_form_values_are_not_dumped_into_the_timeline(case):
    """The requester's DNI typed in the start form never appears in the timeline text."""
    inst, *_ = case
    assert not any(SOLICITUD["dni"] in e.text for e in timeline.build(inst, staff=True))


def test_diagram_marks_follow_the_case(case):
    """After verification, the start, the verification and the gateway are completed and the
    registration is active."""
    inst, _requester, director = case
    assert timeline.element_states(inst)["active"] == ["verificar"]
    task = HumanTask.objects.get(instance=inst)
    services.task_complete(user=director, task_pk=task.pk, data={"cumple_requisitos": "si"})
    states = timeline.element_states(inst)
    assert states["active"] == ["registrar"]
    assert {"start", "verificar", "cumple"} <= set(states["completed"])
