"""Reading instances, and the administrators' list and actions."""

from __future__ import annotations

import pytest

from engine import services as engine
from engine.models import ProcessInstance
from portal.work import services
from tests.portal.conftest import SOLICITUD
from tests.portal.matrix import process_xml

pytestmark = pytest.mark.django_db


def test_an_office_reads_the_instances_of_its_remit(api, case, officer):
    """The Especialista SIAGIE of UGEL 03 reads a request of one of its IEs."""
    instance, *_ = case

    response = api(officer("especialista_siagie_ugel", "UGEL-03")).get(f"instances/{instance.pk}/")

    assert response.status_code == 200
    body = response.json()
    assert body["process"] == {"key": "tramite_prueba", "name": "Trámite de prueba", "version": 1}
    assert (body["org_unit"], body["org_unit_name"]) == ("0584714-0", "AUGUSTO B. LEGUIA")
    assert body["current_tasks"][0]["office"] == "Director IE (AUGUSTO B. LEGUIA)"
    assert body["element_states"]["active"] == ["verificar"]


def test_a_ugel_officer_cannot_read_another_ugels_instance(api, case, officer):
    """UGEL 04 asks for a UGEL 03 request: 404, the same as for a missing instance."""
    instance, *_ = case
    client = api(officer("especialista_siagie_ugel", "UGEL-04"))

    foreign = client.get(f"instances/{instance.pk}/")
    missing = client.get(f"instances/{instance.pk + 1000}/")

    assert foreign.status_code == missing.status_code == 404
    assert foreign.content == missing.content


def test_the_holder_of_a_task_is_named_to_staff(api, case):
    """Once the Director claims, the requester (staff: holds a position) sees who has it."""
    instance, requester, director, task = case
    api(director).post(f"tasks/{task.pk}/claim/")

    current = api(requester).get(f"instances/{instance.pk}/").json()["current_tasks"]

    assert current[0]["holder"] == director.get_full_name()


def test_the_instance_list_is_for_administrators_only(api, case, officer):
    """A national supervisor (Coordinador SIAGIE MINEDU) sees instances but may not list them all."""
    response = api(officer("coordinador_siagie_minedu", "MINEDU-UE")).get("instances/")

    assert response.status_code == 403
    assert response.json() == {"detail": "Esta acción es solo para administradores."}


def test_administrators_filter_instances_by_status_process_and_unit(api, case, admin_user):
    """?status, ?process and ?unit (with the units below it) narrow the list; each row
    counts its open incidents."""
    instance, requester, *_ = case
    other = services.process_start(user=requester, key="tramite_prueba", data=SOLICITUD)
    services.instance_suspend(user=admin_user, instance_pk=other.pk, reason="Revisión de datos")
    client = api(admin_user)

    running = client.get("instances/", {"status": "running"}).json()
    in_dre = client.get("instances/", {"unit": "DRE-LIMA-METROPOLITANA", "process": "tramite_prueba"}).json()
    elsewhere = client.get("instances/", {"unit": "UGEL-04"}).json()

    assert [r["id"] for r in running["results"]] == [instance.pk]
    assert running["results"][0]["open_incidents"] == 0
    assert {r["id"] for r in in_dre["results"]} == {instance.pk, other.pk}
    assert elsewhere["count"] == 0


def test_suspend_without_a_reason_is_a_400(api, case, admin_user):
    """Suspending needs a reason: 400 naming `reason`; the instance keeps running."""
    instance, *_ = case

    response = api(admin_user).post(f"instances/{instance.pk}/suspend/", {"reason": "  "})

    assert response.status_code == 400
    assert response.json()["errors"] == {"reason": ["Indique el motivo."]}
    instance.refresh_from_db()
    assert instance.status == "running"


def test_administrators_suspend_resume_and_cancel(api, case, admin_user):
    """Each action answers the instance in its new status, and the timeline gives the reason."""
    instance, *_ = case
    client = api(admin_user)

    suspended = client.post(f"instances/{instance.pk}/suspend/", {"reason": "Revisión de datos"}).json()
    resumed = client.post(f"instances/{instance.pk}/resume/", {"reason": "Datos conformes"}).json()
    cancelled = client.post(f"instances/{instance.pk}/cancel/", {"reason": "Duplicado"}).json()

    assert suspended["status_label"] == "suspendido"
    assert resumed["status"] == "running"
    assert cancelled["status"] == "cancelled"
    assert "El trámite fue cancelado. Motivo: Duplicado" in [e["text"] for e in cancelled["timeline"]]


def test_an_officer_may_not_suspend(api, case):
    """The Director of the IE sees the instance but suspending it is for administrators: 403."""
    instance, _requester, director, _task = case

    response = api(director).post(f"instances/{instance.pk}/suspend/", {"reason": "Prueba"})

    assert response.status_code == 403
    instance.refresh_from_db()
    assert instance.status == "running"


def test_retrying_without_an_incident_is_a_409(api, case, admin_user):
    """Retry on a healthy instance is refused as a conflict with the engine's message."""
    instance, *_ = case

    response = api(admin_user).post(f"instances/{instance.pk}/retry/", {"reason": "Prueba"})

    assert response.status_code == 409
    assert response.json() == {"detail": "La instancia no tiene incidencias abiertas."}


def test_a_start_whose_automatic_step_fails_is_accepted_with_an_incident(api, org, officer):
    """A start the engine cannot route is kept as an instance with an incident: 202 with a notice."""
    engine.deploy(content=process_xml("personal_ie"), source="m_personal_ie.bpmn")
    requester = officer("personal_ie", "0584714-0")

    response = api(requester).post("processes/m_personal_ie/start/", {"data": {}})

    assert response.status_code == 202
    body = response.json()
    assert body["status"] == "incident"
    assert "registrada" in body["notice"]
    assert ProcessInstance.objects.get(pk=body["id"]).started_by == requester


def test_retrying_needs_a_reason(api, case, admin_user):
    """A retry without saying what was fixed is refused with a field error."""
    instance, *_ = case

    response = api(admin_user).post(f"instances/{instance.pk}/retry/", {})

    assert response.status_code == 400
