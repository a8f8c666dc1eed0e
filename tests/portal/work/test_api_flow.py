"""The whole test procedure through the API, as its three offices would drive it."""

from __future__ import annotations

import pytest

from engine.models import HumanTask
from tests.portal.conftest import SOLICITUD

pytestmark = pytest.mark.django_db


def test_tramite_prueba_runs_end_to_end_through_the_api(api, org, officer, tramite):
    """Personal IE starts, the Director claims and verifies ("si"), the UGEL registers the
    user; the instance ends completed and its timeline tells the steps in Spanish."""
    requester = officer("personal_ie", "0584714-0")
    director = officer("director_ie", "0584714-0")
    especialista = officer("especialista_siagie_ugel", "UGEL-03")

    processes = api(requester).get("processes/").json()
    tramite_row = next(p for p in processes if p["key"] == "tramite_prueba")
    assert tramite_row["start_form"]["key"] == "solicitud_prueba"
    assert [p["unit"] for p in tramite_row["positions"]] == ["0584714-0"]

    started = api(requester).post("processes/tramite_prueba/start/", {"data": SOLICITUD})
    assert started.status_code == 201
    instance_id = started.json()["id"]
    assert started.json()["status"] == "running"

    client = api(director)
    verify = client.get("tasks/").json()["results"][0]
    assert verify["instance"] == instance_id
    assert client.post(f"tasks/{verify['id']}/claim/").status_code == 200
    version = client.get(f"tasks/{verify['id']}/").json()["lock_version"]
    done = client.post(f"tasks/{verify['id']}/complete/",
                       {"data": {"cumple_requisitos": "si"}, "expected_version": version})
    assert done.status_code == 200
    assert [t["title"] for t in done.json()["current_tasks"]] == ["Registrar el usuario en SIAGIE"]

    client = api(especialista)
    register = client.get("tasks/").json()["results"][0]
    assert register["unit"] == "UGEL-03"
    version = client.get(f"tasks/{register['id']}/").json()["lock_version"]
    done = client.post(f"tasks/{register['id']}/complete/",
                       {"data": {"usuario_siagie": "rquispe01"}, "expected_version": version})
    assert done.status_code == 200

    case = api(requester).get(f"instances/{instance_id}/").json()
    assert (case["status"], case["status_label"]) == ("completed", "completado")
    assert case["current_tasks"] == []
    texts = [entry["text"] for entry in case["timeline"]]
    assert texts[0] == "Personal / Docente IE (AUGUSTO B. LEGUIA) inició el trámite «Trámite de prueba»."
    assert "Director IE (AUGUSTO B. LEGUIA) tomó la tarea «Verificar los requisitos»." in texts
    assert "Director IE (AUGUSTO B. LEGUIA) verificó los requisitos: cumple" in texts
    assert "Especialista SIAGIE UGEL (UGEL 03 Breña) registró el usuario SIAGIE rquispe01" in texts
    assert texts[-1] == "El trámite terminó."
    assert {"verificar", "registrar"} <= set(case["element_states"]["completed"])
    assert HumanTask.objects.filter(instance_id=instance_id, state="open").count() == 0


def test_mine_lists_the_instances_i_started_with_their_current_step(api, case):
    """/instances/mine/ shows my request and who has it now."""
    instance, requester, _director, _task = case

    rows = api(requester).get("instances/mine/").json()["results"]

    assert [r["id"] for r in rows] == [instance.pk]
    assert rows[0]["status_label"] == "en curso"
    assert rows[0]["org_unit_name"] == "AUGUSTO B. LEGUIA"
    assert [(s["title"], s["office"]) for s in rows[0]["current_steps"]] == [
        ("Verificar los requisitos", "Director IE (AUGUSTO B. LEGUIA)")]


def test_an_invalid_start_form_is_a_400_per_field(api, org, officer, tramite):
    """A start with a bad DNI and a missing e-mail: 400 naming both fields; nothing started."""
    requester = officer("personal_ie", "0584714-0")
    data = {**SOLICITUD, "dni": "123"}
    del data["correo"]

    response = api(requester).post("processes/tramite_prueba/start/", {"data": data})

    assert response.status_code == 400
    assert {"dni", "correo"} <= set(response.json()["errors"])
    assert api(requester).get("instances/mine/").json()["count"] == 0


def test_a_role_that_may_not_start_gets_403(api, org, officer, tramite):
    """The Director of an IE is not in the start lane of tramite_prueba: 403."""
    response = api(officer("director_ie", "0584714-0")).post("processes/tramite_prueba/start/",
                                                             {"data": SOLICITUD})

    assert response.status_code == 403
    assert response.json() == {"detail": "Su cargo no le permite iniciar este trámite."}


def test_starting_an_unknown_process_is_a_404(api, org, officer):
    """A process key that is not deployed: 404."""
    response = api(officer("personal_ie", "0584714-0")).post("processes/no_existe/start/", {"data": {}})

    assert response.status_code == 404


def test_a_resent_start_with_the_same_idempotency_key_returns_the_first_case(api, officer, tramite):
    """Sending the same start twice (network retry) creates one case; the second answer is that case."""
    from engine.models import ProcessInstance

    requester = officer("personal_ie", "0584714-0")
    client = api(requester)
    key = "0b6f1d9e-4c7a-4f0e-9d51-2f3b8a1c6e70"
    first = client.post("processes/tramite_prueba/start/", {"data": SOLICITUD}, HTTP_IDEMPOTENCY_KEY=key)
    second = client.post("processes/tramite_prueba/start/", {"data": SOLICITUD}, HTTP_IDEMPOTENCY_KEY=key)

    assert first.status_code == 201 and second.status_code == 200
    assert first.json()["id"] == second.json()["id"]
    assert ProcessInstance.objects.count() == 1
