"""What the officers see: the verifier's pre-checks and holder (page and API), a conflict
that keeps the typed checklist, a rejected case and its correction, escalations. The acta
de entrega: test_acta.py."""

from __future__ import annotations

import re

import pytest

from engine import services as engine
from engine.models import HumanTaskState, ProcessInstance
from portal.orgs.models import Position
from portal.work import panels
from portal.work import services as work
from tests.roundtrip import assert_round_trip

from .conftest import PROCEDURES, new_dni, open_task, request_data, verification

ALTA_UGEL = next(p for p in PROCEDURES if p.key == "alta_dre_ugel" and p.rol == "estadistico_ugel")
ALTA_PERSONAL = next(p for p in PROCEDURES if p.key == "alta_personal_ie")


def _subject(name: str = "Rosa") -> dict[str, str]:
    dni = new_dni()
    return {"nombres": name, "apellidos": "Quispe Mamani", "dni": dni, "correo": f"q{dni}@example.pe"}


def _flat(data: dict, prefix: str = "") -> dict[str, str]:
    """A schema form's POST: nested fields as dotted names."""
    out = {}
    for key, value in data.items():
        if isinstance(value, dict):
            out.update(_flat(value, f"{prefix}{key}."))
        elif isinstance(value, bool):
            if value:
                out[f"{prefix}{key}"] = "on"
        else:
            out[f"{prefix}{key}"] = str(value)
    return out


@pytest.mark.django_db
def test_the_verifier_sees_failing_checks_and_the_holder(cuentas, person, client):
    requester = person("director_ugel", "UGEL-03")
    holder = person("estadistico_ugel", "UGEL-03", first="Fernando", last="Aguilar")
    data = request_data(ALTA_UGEL, requester, subject=_subject(), signatory_dni=new_dni())  # nobody's DNI
    instance = work.process_start(user=requester, key=ALTA_UGEL.key, data=data)
    assert_round_trip(instance)
    admin = person("administrador_siagie", "MINEDU-UE")
    client.force_login(admin)
    page = client.get(f"/tareas/{open_task(instance, 'verificar').pk}/").content.decode()
    signatory = re.search(r'data-codigo="firmante_autorizado" data-ok="(\w+)"', page)
    assert signatory and signatory.group(1) == "no"
    assert "no tiene un cargo registrado" in page
    assert "Titular actual" in page and "Fernando" in page
    position = Position.objects.get(user=holder, until__isnull=True)
    assert re.search(rf'name="titular_visto"[^>]*value="{position.pk}"', page)


@pytest.mark.django_db
def test_the_api_task_detail_carries_the_checks_and_the_holder_seen(cuentas, person, client):
    requester = person("director_ugel", "UGEL-03")
    holder = person("estadistico_ugel", "UGEL-03")
    instance = work.process_start(user=requester, key=ALTA_UGEL.key, data=request_data(
        ALTA_UGEL, requester, subject=_subject(), signatory_dni=new_dni()))
    assert_round_trip(instance)
    admin = person("administrador_siagie", "MINEDU-UE")
    client.force_login(admin)
    body = client.get(f"/api/v1/tasks/{open_task(instance, 'verificar').pk}/").json()
    checks = {c["codigo"]: c for c in body["verificaciones"]}
    assert checks["firmante_autorizado"]["ok"] is False and checks["firmante_autorizado"]["detalle"]
    assert set(checks["formato_dni"]) == {"codigo", "titulo", "ok", "detalle"}
    position = Position.objects.get(user=holder, until__isnull=True)
    assert body["titular_visto"] == str(position.pk)
    assert body["titular"]["position_id"] == position.pk
    assert body["panel"]["titular_visto"] == str(position.pk)
    # Sending back what the API showed approves the replacement.
    response = client.post(f"/api/v1/tasks/{body['id']}/complete/", {
        "data": verification(instance, titular_visto=body["titular_visto"])}, content_type="application/json")
    assert response.status_code == 200, response.content
    position.refresh_from_db()
    assert position.until is not None


@pytest.mark.django_db
def test_tasks_without_a_panel_do_not_grow_panel_fields(cuentas, person, client):
    director = person("director_ie", "0584714-0")
    instance = work.process_start(user=director, key=ALTA_PERSONAL.key, data=request_data(
        ALTA_PERSONAL, director, subject=_subject(), signatory_dni=director.dni))
    assert_round_trip(instance)
    client.force_login(director)
    task = open_task(instance, "verificar")
    assert "verificaciones" in client.get(f"/api/v1/tasks/{task.pk}/").json()
    work.task_complete(user=director, task_pk=task.pk, data=verification(instance))
    completed = client.get(f"/api/v1/tasks/{task.pk}/").json()  # no panel once done
    assert completed["panel"] == {} and "verificaciones" not in completed and "titular_visto" not in completed
    handover = client.get(f"/api/v1/tasks/{open_task(instance, 'entregar').pk}/").json()
    assert handover["acta_url"] == f"/cuentas/acta/{instance.pk}.pdf" and "verificaciones" not in handover


def test_panel_initial_values_fill_the_form_but_never_overwrite_what_was_typed():
    panel = panels.Panel.of({"initial": {"titular_visto": "17", "observacion_general": "sugerida"}})
    assert panels.merge_initial({}, panel, posted=None, hidden={"titular_visto"}) == {
        "titular_visto": "17", "observacion_general": "sugerida"}
    typed = {"titular_visto": "ninguno", "observacion_general": "mía"}
    assert panels.merge_initial(typed, panel, posted={"titular_visto", "observacion_general"},
                                hidden={"titular_visto"}) == {"titular_visto": "17", "observacion_general": "mía"}
    assert panels.merge_initial({}, panel, posted={"cumple_requisitos"}, hidden=set())["observacion_general"] == (
        "sugerida")


@pytest.mark.django_db
def test_a_conflicting_approval_keeps_the_checklist_and_shows_the_new_holder(cuentas, person, client):
    requester = person("director_ugel", "UGEL-03")
    first = work.process_start(user=requester, key=ALTA_UGEL.key, data=request_data(
        ALTA_UGEL, requester, subject=_subject("Ana"), signatory_dni=requester.dni))
    assert_round_trip(first)
    second = work.process_start(user=requester, key=ALTA_UGEL.key, data=request_data(
        ALTA_UGEL, requester, subject=_subject("Eva"), signatory_dni=requester.dni))
    assert_round_trip(second)
    admin_1, admin_2 = person("administrador_siagie", "MINEDU-UE"), person("administrador_siagie", "MINEDU-UE")
    client.force_login(admin_2)
    task = open_task(second, "verificar")
    page = client.get(f"/tareas/{task.pk}/").content.decode()
    assert 'value="ninguno"' in page
    # Meanwhile another administrator approves the first request: Ana holds the post now.
    work.task_complete(user=admin_1, task_pk=open_task(first, "verificar").pk,
                       data=verification(first, titular_visto="ninguno"))
    post = _flat(verification(second, titular_visto="ninguno"))
    post["observacion_general"] = "Revisado con el oficio original."
    response = client.post(f"/tareas/{task.pk}/", post)
    assert response.status_code == 409
    page = response.content.decode()
    assert "No se registró su envío" in page and "Ana" in page  # names the new holder
    assert "Revisado con el oficio original." in page  # nothing typed is lost
    ana = Position.objects.get(role_id="estadistico_ugel", unit__code="UGEL-03", until__isnull=True)
    assert re.search(rf'name="titular_visto"[^>]*value="{ana.pk}"', page)
    # Sending again with what the page now shows approves the replacement.
    post["titular_visto"] = str(ana.pk)
    assert client.post(f"/tareas/{task.pk}/", post).status_code == 302
    ana.refresh_from_db()
    assert ana.until is not None


@pytest.mark.django_db
def test_a_rejected_request_can_be_corrected_and_both_cases_link(cuentas, person, client):
    requester = person("director_ugel", "UGEL-03")
    subject = _subject()
    data = request_data(ALTA_UGEL, requester, subject=subject, signatory_dni=requester.dni)
    rejected = work.process_start(user=requester, key=ALTA_UGEL.key, data=data)
    assert_round_trip(rejected)
    admin = person("administrador_siagie", "MINEDU-UE")
    assert_round_trip(rejected)
    work.task_complete(user=admin, task_pk=open_task(rejected, "verificar").pk, data=verification(
        rejected, fail="req_oficio", observation="El oficio no tiene sello de la UGEL."))
    client.force_login(requester)
    page = client.get(f"/expedientes/{rejected.pk}/").content.decode()
    assert "Resultado: Rechazada" in page and "El oficio no tiene sello de la UGEL." in page
    assert f"?corrige={rejected.pk}" in page
    mine = client.get("/mis-solicitudes/").content.decode()
    assert "Rechazada" in mine and "El oficio no tiene sello de la UGEL." in mine and f"?corrige={rejected.pk}" in mine
    client.force_login(admin)  # the verifier reads the outcome but has nothing to correct
    page = client.get(f"/expedientes/{rejected.pk}/").content.decode()
    assert "Resultado: Rechazada" in page and "Presentar solicitud corregida" not in page
    client.force_login(requester)
    form = client.get(f"/iniciar/{ALTA_UGEL.key}/?corrige={rejected.pk}").content.decode()
    assert subject["dni"] in form and data["oficio"]["numero"] in form
    assert data["oficio"]["archivo"] in form and data["rd"]["archivo"] in form  # the same documents
    assert re.search(rf'name="corrige_a"[^>]*value="{rejected.pk}"', form)
    corrected = work.process_start(user=requester, key=ALTA_UGEL.key, data={**data, "corrige_a": rejected.pk})
    assert_round_trip(corrected)
    assert open_task(corrected, "verificar").state == HumanTaskState.OPEN
    old_page = client.get(f"/expedientes/{rejected.pk}/").content.decode()
    assert "Corregida por la solicitud" in old_page and f"/expedientes/{corrected.pk}/" in old_page
    new_page = client.get(f"/expedientes/{corrected.pk}/").content.decode()
    assert "Corrige la solicitud" in new_page and f"/expedientes/{rejected.pk}/" in new_page


@pytest.mark.django_db
def test_only_ones_own_rejected_case_can_be_corrected(cuentas, person, client):
    requester, other = person("director_ugel", "UGEL-03"), person("jefe_area_ugel", "UGEL-03")
    data = request_data(ALTA_UGEL, requester, subject=_subject(), signatory_dni=requester.dni)
    pending = work.process_start(user=requester, key=ALTA_UGEL.key, data=data)
    assert_round_trip(pending)
    client.force_login(other)
    form = client.get(f"/iniciar/{ALTA_UGEL.key}/?corrige={pending.pk}").content.decode()
    assert data["dni"] not in form and "Solo puede corregir" in form
    with pytest.raises(work.FormInvalid) as refused:
        work.process_start(user=requester, key=ALTA_UGEL.key, data={**data, "corrige_a": pending.pk})
    assert "corrige_a" in refused.value.errors
    assert ProcessInstance.objects.filter(definition__key=ALTA_UGEL.key).count() == 1


@pytest.mark.django_db
def test_an_escalated_task_is_marked_and_filtered_in_supervision(cuentas, person, client):
    requester = person("director_ie", "0584714-0")
    escalated, calm = (work.process_start(user=requester, key=ALTA_PERSONAL.key, data=request_data(
        ALTA_PERSONAL, requester, subject=_subject(name), signatory_dni=requester.dni)) for name in ("Ana", "Eva"))
    task, other = open_task(escalated, "verificar"), open_task(calm, "verificar")
    engine.escalate_task(task_id=task.pk, note="Plazo vencido: se avisó a la UGEL.")
    supervisor = person("especialista_siagie_ugel", "UGEL-03")
    client.force_login(supervisor)
    everything = client.get("/bandeja/supervision/").content.decode()
    assert f"tarea-{task.pk}" in everything and f"tarea-{other.pk}" in everything
    assert everything.count('data-testid="escalada"') == 1
    page = client.get("/bandeja/supervision/?plazo=escalated").content.decode()
    assert f"tarea-{task.pk}" in page and f"tarea-{other.pk}" not in page and "Escalada" in page
    # The verifier sees it too: in the inbox row and on the task page, with the note.
    client.force_login(requester)
    inbox = client.get("/bandeja/").content.decode()
    row = re.search(rf'<tr id="tarea-{task.pk}".*?</tr>', inbox, re.S).group(0)
    assert "Escalada" in row
    assert "Escalada" not in re.search(rf'<tr id="tarea-{other.pk}".*?</tr>', inbox, re.S).group(0)
    page = client.get(f"/tareas/{task.pk}/").content.decode()
    assert "Escalada" in page and "Plazo vencido: se avisó a la UGEL." in page


@pytest.mark.django_db
def test_the_api_says_how_a_case_ended_what_failed_and_gives_the_requester_its_data(cuentas, person, client):
    """An API client sees a rejected request as rejected (not just "completed"), with each
    failed requirement and its observation, can read back its own request to build the
    correction, and follows the corrects / corrected-by links; the verifier gets the
    outcome but not the requester's form data."""
    requester = person("director_ugel", "UGEL-03")
    data = request_data(ALTA_UGEL, requester, subject=_subject(), signatory_dni=requester.dni)
    rejected = work.process_start(user=requester, key=ALTA_UGEL.key, data=data)
    admin = person("administrador_siagie", "MINEDU-UE")
    work.task_complete(user=admin, task_pk=open_task(rejected, "verificar").pk, data=verification(
        rejected, fail="req_rd", observation="RD ilegible."))
    corrected = work.process_start(user=requester, key=ALTA_UGEL.key, data={**data, "corrige_a": rejected.pk})
    client.force_login(requester)

    detail = client.get(f"/api/v1/instances/{rejected.pk}/").json()
    newer = client.get(f"/api/v1/instances/{corrected.pk}/").json()
    mine = client.get("/api/v1/instances/mine/").json()["results"]
    client.force_login(admin)
    seen_by_verifier = client.get(f"/api/v1/instances/{rejected.pk}/").json()

    assert (detail["status"], detail["outcome"], detail["outcome_label"]) == ("completed", "rechazada", "Rechazada")
    assert {"requisito": "RD de designación", "observacion": "RD ilegible."} in detail["failed_requirements"]
    assert detail["request_data"]["dni"] == data["dni"] and detail["request_data"]["rd"] == data["rd"]
    assert (detail["corrects"], detail["corrected_by"]) == (None, [corrected.pk])
    assert (newer["corrects"], newer["corrected_by"], newer["failed_requirements"]) == (rejected.pk, [], [])
    by_id = {row["id"]: row for row in mine}
    assert by_id[rejected.pk]["outcome"] == "rechazada" and by_id[corrected.pk]["outcome"] == ""
    assert seen_by_verifier["outcome"] == "rechazada" and seen_by_verifier["request_data"] == {}
    assert seen_by_verifier["failed_requirements"] == detail["failed_requirements"]


@pytest.mark.django_db
def test_the_timeline_names_who_was_replaced_and_who_now_holds_the_post(cuentas, person, client):
    """The alta step of a one-holder post says, for staff, who ceased and who holds the
    post now (it used to say only «El sistema ejecutó …»)."""
    old = person("estadistico_ugel", "UGEL-03", first="Carlos", last="Pérez")
    requester = person("director_ugel", "UGEL-03")
    subject = _subject("Rosa")
    case = work.process_start(user=requester, key=ALTA_UGEL.key, data=request_data(
        ALTA_UGEL, requester, subject=subject, signatory_dni=requester.dni))
    admin = person("administrador_siagie", "MINEDU-UE")
    holder = Position.objects.get(user=old, until__isnull=True)
    work.task_complete(user=admin, task_pk=open_task(case, "verificar").pk,
                       data=verification(case, titular_visto=str(holder.pk)))
    client.force_login(admin)

    timeline = [e["text"] for e in client.get(f"/api/v1/instances/{case.pk}/").json()["timeline"]]

    created = next(t for t in timeline if "queda como Estadístico UGEL en UGEL 03" in t)
    assert f"cesó en ese cargo {old.get_full_name()} (****{old.dni[-4:]})" in created
    assert "cuya cuenta quedó desactivada" in created
