"""What the officers see: the verifier's pre-checks and holder, a conflict that keeps the
typed checklist, the acta de entrega, a rejected case and its correction, escalations."""

from __future__ import annotations

import io
import re

import pytest
from pypdf import PdfReader

from engine import services as engine
from engine.models import HumanTaskState, ProcessInstance
from portal.core.models import ActivityLog
from portal.orgs.models import Person, Position
from portal.work import services as work

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
def test_a_conflicting_approval_keeps_the_checklist_and_shows_the_new_holder(cuentas, person, client):
    requester = person("director_ugel", "UGEL-03")
    first = work.process_start(user=requester, key=ALTA_UGEL.key, data=request_data(
        ALTA_UGEL, requester, subject=_subject("Ana"), signatory_dni=requester.dni))
    second = work.process_start(user=requester, key=ALTA_UGEL.key, data=request_data(
        ALTA_UGEL, requester, subject=_subject("Eva"), signatory_dni=requester.dni))
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


def _approved_personal_alta(person):
    director = person("director_ie", "0584714-0")
    subject = _subject("Lizbeth")
    subject.pop("correo")
    instance = work.process_start(user=director, key=ALTA_PERSONAL.key, data=request_data(
        ALTA_PERSONAL, director, subject=subject, signatory_dni=director.dni))
    work.task_complete(user=director, task_pk=open_task(instance, "verificar").pk, data=verification(instance))
    return director, subject, instance


@pytest.mark.django_db
def test_the_acta_de_entrega_carries_a_working_one_time_link(cuentas, person, client):
    director, subject, instance = _approved_personal_alta(person)
    client.force_login(director)
    page = client.get(f"/tareas/{open_task(instance, 'entregar').pk}/").content.decode()
    assert f"/cuenta/acta/{instance.pk}.pdf" in page
    response = client.get(f"/cuenta/acta/{instance.pk}.pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    user = Person.objects.get(document_number=subject["dni"]).user
    assert "ACTA DE ENTREGA" in text and user.username in text and subject["dni"] in text
    link = re.search(r"(/cuenta/activar/\S+/\S+/)", text.replace("\n", "")).group(1)
    assert client.get(f"/cuenta/acta/{instance.pk}.pdf").status_code == 200
    assert ActivityLog.objects.filter(action="acta_entrega_descargada").count() == 2
    assert "activar" not in str(ActivityLog.objects.filter(action="acta_entrega_descargada").first().data)
    client.logout()
    form = client.get(link)
    assert form.status_code == 200
    client.post(link, {"new_password1": "Una-clave-larga-2026", "new_password2": "Una-clave-larga-2026"})
    user.refresh_from_db()
    assert user.is_active and user.has_usable_password()
    assert "pida a quien tramitó su alta un enlace nuevo" in client.get(link).content.decode()  # used once


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["otro_director", "docente_misma_ie", "anonimo"])
def test_only_who_hands_over_may_download_the_acta(cuentas, person, client, who):
    _director, _subject_, instance = _approved_personal_alta(person)
    if who == "otro_director":
        client.force_login(person("director_ie", "0301234-0"))
    elif who == "docente_misma_ie":
        client.force_login(person("personal_ie", "0584714-0"))
    response = client.get(f"/cuenta/acta/{instance.pk}.pdf")
    assert response.status_code in ((302,) if who == "anonimo" else (404,))
    assert not ActivityLog.objects.filter(action="acta_entrega_descargada").exists()


@pytest.mark.django_db
def test_a_rejected_request_can_be_corrected_and_both_cases_link(cuentas, person, client):
    requester = person("director_ugel", "UGEL-03")
    subject = _subject()
    data = request_data(ALTA_UGEL, requester, subject=subject, signatory_dni=requester.dni)
    rejected = work.process_start(user=requester, key=ALTA_UGEL.key, data=data)
    admin = person("administrador_siagie", "MINEDU-UE")
    work.task_complete(user=admin, task_pk=open_task(rejected, "verificar").pk, data=verification(
        rejected, fail="req_oficio", observation="El oficio no tiene sello de la UGEL."))
    client.force_login(requester)
    page = client.get(f"/expedientes/{rejected.pk}/").content.decode()
    assert "Resultado: Rechazada" in page and "El oficio no tiene sello de la UGEL." in page
    assert f"?corrige={rejected.pk}" in page
    assert "Rechazada" in client.get("/mis-solicitudes/").content.decode()
    form = client.get(f"/iniciar/{ALTA_UGEL.key}/?corrige={rejected.pk}").content.decode()
    assert subject["dni"] in form and data["oficio"]["numero"] in form
    assert re.search(rf'name="corrige_a"[^>]*value="{rejected.pk}"', form)
    corrected = work.process_start(user=requester, key=ALTA_UGEL.key, data={**data, "corrige_a": rejected.pk})
    assert open_task(corrected, "verificar").state == HumanTaskState.OPEN
    assert f"/expedientes/{corrected.pk}/" in client.get(f"/expedientes/{rejected.pk}/").content.decode()
    assert f"/expedientes/{rejected.pk}/" in client.get(f"/expedientes/{corrected.pk}/").content.decode()


@pytest.mark.django_db
def test_only_ones_own_rejected_case_can_be_corrected(cuentas, person, client):
    requester, other = person("director_ugel", "UGEL-03"), person("jefe_area_ugel", "UGEL-03")
    data = request_data(ALTA_UGEL, requester, subject=_subject(), signatory_dni=requester.dni)
    pending = work.process_start(user=requester, key=ALTA_UGEL.key, data=data)
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
    instance = work.process_start(user=requester, key=ALTA_PERSONAL.key, data=request_data(
        ALTA_PERSONAL, requester, subject=_subject(), signatory_dni=requester.dni))
    task = open_task(instance, "verificar")
    engine.escalate_task(task_id=task.pk, note="Plazo vencido")
    supervisor = person("especialista_siagie_ugel", "UGEL-03")
    client.force_login(supervisor)
    page = client.get("/bandeja/supervision/?due=escalated").content.decode()
    assert f"tarea-{task.pk}" in page and "Escalada" in page
