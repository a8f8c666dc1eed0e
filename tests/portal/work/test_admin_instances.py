"""Administration of instances: the list with filters and open incidents, and the
retry / suspend / resume / cancel actions, each with a reason and a confirmation step."""

from __future__ import annotations

import pytest

from engine import services as engine
from engine.errors import StepFailed
from engine.models import AuditAction, AuditEvent, HumanTask, Incident, InstanceStatus, ProcessInstance
from engine.registry import registry
from portal.work import services

from ..conftest import html

pytestmark = pytest.mark.django_db

INCIDENT_BPMN = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" id="d_incidente" targetNamespace="t">
  <bpmn:process id="incidente_prueba" name="Consulta externa" isExecutable="true">
    <bpmn:laneSet id="ls">
      <bpmn:lane id="l1" name="personal_ie"><bpmn:flowNodeRef>start</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>consultar</bpmn:flowNodeRef></bpmn:lane>
      <bpmn:lane id="l2" name="director_ie"><bpmn:flowNodeRef>revisar</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>end</bpmn:flowNodeRef></bpmn:lane>
    </bpmn:laneSet>
    <bpmn:startEvent id="start"/>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="consultar"/>
    <bpmn:serviceTask id="consultar" name="Consultar RENIEC">
      <bpmn:extensionElements>
        <spiffworkflow:serviceTaskOperator id="consulta_prueba" resultVariable="consulta">
          <spiffworkflow:parameters>
            <spiffworkflow:parameter id="unidad" type="str" value="unidad_origen"/>
          </spiffworkflow:parameters>
        </spiffworkflow:serviceTaskOperator>
      </bpmn:extensionElements>
    </bpmn:serviceTask>
    <bpmn:sequenceFlow id="f2" sourceRef="consultar" targetRef="revisar"/>
    <bpmn:userTask id="revisar" name="Revisar la consulta"/>
    <bpmn:sequenceFlow id="f3" sourceRef="revisar" targetRef="end"/>
    <bpmn:endEvent id="end"/>
  </bpmn:process>
</bpmn:definitions>"""


@pytest.fixture
def reniec():
    """A service handler that fails until `reniec["up"]` is set."""
    state = {"up": False}

    def consulta(ctx, unidad):
        if not state["up"]:
            raise RuntimeError("RENIEC no responde (tiempo de espera agotado)")
        return {"ok": True}

    registry.register_service("consulta_prueba", consulta)
    yield state
    registry.unregister_service("consulta_prueba")


@pytest.fixture
def incident_case(reniec, docente):
    engine.deploy(content=INCIDENT_BPMN, source="incidente_prueba.bpmn")
    with pytest.raises(StepFailed):
        services.process_start(user=docente, key="incidente_prueba", data={})
    return ProcessInstance.objects.get(definition__key="incidente_prueba")


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


def test_open_incident_is_listed_with_its_message(admin_client, incident_case):
    """The administration list shows the open incident's message and a retry form."""
    response = admin_client.get("/administracion/expedientes/")

    text = html(response)
    assert incident_case.status == InstanceStatus.INCIDENT
    assert "RENIEC no responde (tiempo de espera agotado)" in text
    assert f'action="/expedientes/{incident_case.pk}/acciones/"' in text
    assert "Motivo del reintento" in text


def test_retry_after_the_fix_resolves_the_incident(admin_client, incident_case, reniec):
    """Once the service is back, retrying (reason + confirmation) runs the step: the
    incident is resolved, the next task opens and the audit trail says so."""
    reniec["up"] = True

    response = admin_client.post(f"/expedientes/{incident_case.pk}/acciones/", {
        "accion": "retry", "motivo": "RENIEC volvió a responder", "confirmado": "1",
        "next": "/administracion/expedientes/"}, follow=True)

    incident_case.refresh_from_db()
    assert response.redirect_chain == [("/administracion/expedientes/", 302)]
    assert f"Se reintentó el paso fallido del expediente N.º {incident_case.pk}." in html(response)
    assert incident_case.status == InstanceStatus.RUNNING
    assert not Incident.objects.filter(instance=incident_case, resolved_at__isnull=True).exists()
    assert HumanTask.objects.filter(instance=incident_case, element_id="revisar", state="open").exists()
    retry = AuditEvent.objects.get(instance=incident_case, action=AuditAction.RETRY)
    assert retry.data["reason"] == "RENIEC volvió a responder"


def test_retry_that_fails_again_says_so(admin_client, incident_case):
    """A retry while the service is still down keeps the incident and explains it."""
    response = admin_client.post(f"/expedientes/{incident_case.pk}/acciones/", {
        "accion": "retry", "motivo": "Probar de nuevo", "confirmado": "1"}, follow=True)

    assert "El reintento volvió a fallar" in html(response)
    incident_case.refresh_from_db()
    assert incident_case.status == InstanceStatus.INCIDENT


def test_action_asks_for_confirmation_before_acting(admin_client, start_case):
    """The first POST only shows the confirmation page; nothing changes yet."""
    inst = start_case()

    response = admin_client.post(f"/expedientes/{inst.pk}/acciones/", {"accion": "cancel", "motivo": "Duplicado"})

    text = html(response)
    assert response.status_code == 200
    assert "Confirmar: Cancelar el trámite" in text
    assert 'name="confirmado" value="1"' in text
    inst.refresh_from_db()
    assert inst.status == InstanceStatus.RUNNING


def test_action_without_reason_is_refused(admin_client, start_case):
    """A suspension without a reason is refused with «Indique el motivo.»."""
    inst = start_case()

    response = admin_client.post(f"/expedientes/{inst.pk}/acciones/",
                                 {"accion": "suspend", "motivo": "  ", "confirmado": "1"})

    assert response.status_code == 400
    assert "Indique el motivo." in html(response)
    inst.refresh_from_db()
    assert inst.status == InstanceStatus.RUNNING


def test_confirmed_suspend_and_resume_are_audited_with_the_reason(admin_client, start_case):
    """Suspending and then resuming, each confirmed, leave audit entries with the reasons
    and the plain-Spanish history shows them."""
    inst = start_case()

    admin_client.post(f"/expedientes/{inst.pk}/acciones/",
                      {"accion": "suspend", "motivo": "Verificación de RD", "confirmado": "1"})
    inst.refresh_from_db()
    suspended = inst.status
    admin_client.post(f"/expedientes/{inst.pk}/acciones/",
                      {"accion": "resume", "motivo": "RD conforme", "confirmado": "1"})
    page = admin_client.get(f"/expedientes/{inst.pk}/")

    inst.refresh_from_db()
    assert suspended == InstanceStatus.SUSPENDED and inst.status == InstanceStatus.RUNNING
    assert AuditEvent.objects.get(instance=inst, action=AuditAction.SUSPEND).data["reason"] == "Verificación de RD"
    assert "Un administrador reanudó el trámite. Motivo: RD conforme" in html(page)


def test_confirmed_cancel_closes_the_case(admin_client, start_case):
    """A confirmed cancellation closes the case and its open task."""
    inst = start_case()

    admin_client.post(f"/expedientes/{inst.pk}/acciones/",
                      {"accion": "cancel", "motivo": "Solicitud duplicada", "confirmado": "1"})

    inst.refresh_from_db()
    assert inst.status == InstanceStatus.CANCELLED
    assert not HumanTask.objects.filter(instance=inst, state="open").exists()


def test_action_not_valid_for_the_status_is_refused(admin_client, start_case):
    """Resuming a case that is not suspended is refused on the form."""
    inst = start_case()

    response = admin_client.post(f"/expedientes/{inst.pk}/acciones/",
                                 {"accion": "resume", "motivo": "x", "confirmado": "1"})

    assert response.status_code == 400
    assert "Esta acción no corresponde al estado actual del expediente" in html(response)


def test_officers_cannot_act_on_instances(client, start_case, director):
    """A director (not an administrator) gets 403 on the action endpoint."""
    inst = start_case()
    client.force_login(director)

    response = client.post(f"/expedientes/{inst.pk}/acciones/",
                           {"accion": "cancel", "motivo": "x", "confirmado": "1"})

    assert response.status_code == 403
    inst.refresh_from_db()
    assert inst.status == InstanceStatus.RUNNING


def test_instance_list_filters_by_status(admin_client, incident_case, start_case):
    """«Con incidencia» lists only the cases with an open incident."""
    running = start_case()

    response = admin_client.get("/administracion/expedientes/", {"estado": "incident"})

    listed = [i.pk for i in response.context["instances"]["items"]]
    assert listed == [incident_case.pk]
    assert running.pk not in listed


def test_instance_list_filters_by_unit_subtree_and_process(admin_client, start_case, officer):
    """Filtering by UGEL 03 includes its schools' cases; another UGEL's are left out."""
    from ..conftest import SOLICITUD

    mine = start_case()
    other = services.process_start(user=officer("personal_ie", "0301234-0"), key="tramite_prueba", data=SOLICITUD)

    response = admin_client.get("/administracion/expedientes/", {"unidad": "ugel-03", "proceso": "tramite_prueba"})

    listed = [i.pk for i in response.context["instances"]["items"]]
    assert listed == [mine.pk]
    assert other.pk not in listed


def test_instance_list_filters_by_start_dates(admin_client, start_case):
    """«Iniciado desde / hasta» keep the cases started in that range (Lima dates)."""
    from datetime import UTC, datetime

    old, new = start_case(), start_case()
    ProcessInstance.objects.filter(pk=old.pk).update(started_at=datetime(2026, 3, 2, 4, 0, tzinfo=UTC))  # 1 Mar in Lima
    ProcessInstance.objects.filter(pk=new.pk).update(started_at=datetime(2026, 3, 10, 15, 0, tzinfo=UTC))

    response = admin_client.get("/administracion/expedientes/", {"desde": "2026-03-02", "hasta": "2026-03-31"})

    assert [i.pk for i in response.context["instances"]["items"]] == [new.pk]
    assert "10/03/2026 10:00" in html(response)


def test_a_task_left_without_a_holder_is_flagged_and_listed_for_the_administrators(admin_client, case):
    """A Director's baja leaves the IE without a Director: the task he had taken goes back
    to the pool where nobody can work it, so it is flagged (escalated, with why) and the
    administrators' page lists it under «Tareas sin titular» until someone is designated."""
    from portal.orgs import services as orgs
    from portal.orgs.models import Position

    _instance, _requester, director, task = case
    engine.claim(task_id=task.pk, user=director)
    position = Position.objects.get(user=director, until__isnull=True)

    orgs.position_end(position=position, by=None, reason="Cese por RD 0123-2026")

    task.refresh_from_db()
    assert task.claimed_by_id is None and task.escalated_at is not None
    assert "quedó sin titular en AUGUSTO B. LEGUIA" in task.escalation_note
    page = html(admin_client.get("/administracion/expedientes/"))
    assert f'data-testid="sin-titular-{task.pk}"' in page and "Tareas sin titular" in page


def test_a_replacement_does_not_flag_the_task_and_it_leaves_the_list(admin_client, case):
    """Replacing the holder keeps the post filled: nothing is flagged, nothing listed."""
    from django.contrib.auth import get_user_model

    from portal.orgs import services as orgs
    from portal.orgs.models import OrgUnit, Role

    _instance, _requester, _director, task = case
    newcomer = get_user_model().objects.create_user(username="nuevo.director", password="x")
    orgs.position_replace(unit=OrgUnit.objects.get(code="0584714-0"), role=Role.objects.get(code="director_ie"),
                          user=newcomer, by=None, reason="Designación RD 0456-2026")

    task.refresh_from_db()
    assert task.escalated_at is None
    assert f'data-testid="sin-titular-{task.pk}"' not in html(admin_client.get("/administracion/expedientes/"))


def test_typing_the_administration_address_opens_the_offices_list(admin_client):
    """/administracion/ (the menu's own address) was a 404; it opens «Unidades y cargos»."""
    response = admin_client.get("/administracion/", follow=True)
    assert response.status_code == 200
    assert response.redirect_chain[-1][0] == "/administracion/unidades/"
    assert "Unidades" in response.content.decode()
