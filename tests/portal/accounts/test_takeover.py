"""Account takeover through an alta for an existing person (found by the independent
review of the acta and correction flow, issue 11 §4): a request that names someone who
already has an account must not open, rename or redirect it."""

from __future__ import annotations

import io
import re

import pytest
from django.contrib.auth import get_user_model
from pypdf import PdfReader

from engine.models import ProcessInstance
from portal.orgs.models import Position
from portal.work import services as work

from .conftest import PROCEDURES, deliver_mail, new_dni, open_task, request_data, verification

ALTA_PERSONAL = next(p for p in PROCEDURES if p.key == "alta_personal_ie")
ALTA_UGEL = next(p for p in PROCEDURES if p.key == "alta_dre_ugel" and p.rol == "estadistico_ugel")
LINK_RE = re.compile(r"/cuenta/activar/[^/\s]+/[^/\s]+/")


def _pdf_text(content: bytes) -> str:
    return re.sub(r"\s+", "", " ".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages))


def _never_activated(user):
    user.set_unusable_password()  # as account_alta leaves a new account until its link is used
    user.is_active = False
    user.save()
    return user


@pytest.mark.django_db
def test_an_acta_for_someone_elses_pending_account_carries_no_link(cuentas, person, client):
    """A Director files a staff alta with the DNI of a UGEL specialist whose account still
    waits for its link, approves it and prints the acta: the acta carries no link (it would
    have set the specialist's password), and the specialist's names and e-mail stay."""
    victim = _never_activated(person("especialista_siagie_ugel", "UGEL-03"))
    names, email = (victim.first_name, victim.last_name), victim.email
    director = person("director_ie", "0584714-0")
    instance = work.process_start(user=director, key=ALTA_PERSONAL.key, data=request_data(
        ALTA_PERSONAL, director, subject={"nombres": "Cualquier", "apellidos": "Nombre", "dni": victim.dni},
        signatory_dni=director.dni))
    work.task_complete(user=director, task_pk=open_task(instance, "verificar").pk, data=verification(instance))
    client.force_login(director)

    response = client.post(f"/cuentas/acta/{instance.pk}.pdf")

    assert response.status_code == 200
    assert not LINK_RE.search(_pdf_text(response.content))
    victim.refresh_from_db()
    assert (victim.first_name, victim.last_name, victim.email) == (*names, email)
    assert not victim.has_usable_password() and not victim.is_active


@pytest.mark.django_db
def test_the_e_mailed_link_of_an_existing_account_never_goes_to_an_address_the_request_typed(
        cuentas, person, mailoutbox):
    """An alta naming an existing, never-activated account with another e-mail: nothing is
    sent there, and the account keeps its own address (an administrator re-sends its link)."""
    victim = _never_activated(person("director_ie", "0301234-0"))
    own_email = victim.email
    requester = person("director_ugel", "UGEL-03")
    instance = work.process_start(user=requester, key=ALTA_UGEL.key, data=request_data(
        ALTA_UGEL, requester, subject={"nombres": "Otro", "apellidos": "Nombre", "dni": victim.dni,
                                       "correo": "atacante@example.com"}, signatory_dni=requester.dni))
    admin = person("administrador_siagie", "MINEDU-UE")
    work.task_complete(user=admin, task_pk=open_task(instance, "verificar").pk, data=verification(instance))
    deliver_mail()

    assert not [m for m in mailoutbox if "atacante@example.com" in m.to]
    assert not [m for m in mailoutbox if "/cuenta/activar/" in m.body]
    victim.refresh_from_db()
    assert victim.email == own_email
    assert ProcessInstance.objects.get(pk=instance.pk).status == "completed"


@pytest.mark.django_db
def test_a_link_made_before_a_baja_does_not_reopen_the_closed_account(cuentas, person, client, org):
    """The acta printed, then a baja closes the account: its link no longer activates it."""
    from portal.accounts import services as accounts
    from portal.orgs.models import Role

    director = person("director_ie", "0584714-0")
    subject = {"nombres": "Lizbeth", "apellidos": "Quispe", "dni": new_dni()}
    instance = work.process_start(user=director, key=ALTA_PERSONAL.key, data=request_data(
        ALTA_PERSONAL, director, subject=subject, signatory_dni=director.dni))
    work.task_complete(user=director, task_pk=open_task(instance, "verificar").pk, data=verification(instance))
    client.force_login(director)
    link = LINK_RE.search(_pdf_text(client.post(f"/cuentas/acta/{instance.pk}.pdf").content)).group(0)
    assert accounts.account_baja(document_number=subject["dni"], role=Role.objects.get(code="personal_ie"),
                                 unit=org["0584714-0"], by=director, reason="Error de registro").deactivated
    client.logout()

    response = client.post(link, {"new_password1": "Otra-clave-larga-2026", "new_password2": "Otra-clave-larga-2026"})

    user = get_user_model().objects.get(person__document_number=subject["dni"])
    assert not user.is_active and not user.has_usable_password()
    assert not Position.objects.filter(user=user, until__isnull=True).exists()
    assert response.status_code == 200  # the page says the link is no longer valid


@pytest.mark.django_db
def test_a_rejected_case_is_corrected_once(cuentas, person, client):
    """After one correction the rejected case offers no second one and a second is refused
    (it used to start a third case for the same person)."""
    requester = person("director_ugel", "UGEL-03")
    data = request_data(ALTA_UGEL, requester, subject={"nombres": "Rosa", "apellidos": "Quispe",
                                                       "dni": new_dni(), "correo": "r@example.pe"},
                        signatory_dni=requester.dni)
    rejected = work.process_start(user=requester, key=ALTA_UGEL.key, data=data)
    admin = person("administrador_siagie", "MINEDU-UE")
    work.task_complete(user=admin, task_pk=open_task(rejected, "verificar").pk, data=verification(
        rejected, fail="req_oficio", observation="Sin sello."))
    first = work.process_start(user=requester, key=ALTA_UGEL.key, data={**data, "corrige_a": rejected.pk})
    client.force_login(requester)

    page = client.get(f"/expedientes/{rejected.pk}/").content.decode()
    with pytest.raises(work.FormInvalid) as refused:
        work.process_start(user=requester, key=ALTA_UGEL.key, data={**data, "corrige_a": rejected.pk})

    assert "Presentar solicitud corregida" not in page
    assert refused.value.errors["corrige_a"] == [
        f"La solicitud N.º {rejected.pk} ya se corrigió con la N.º {first.pk}; si esa también fue rechazada, "
        "corrija esa."]


ENTREGAR_AJENO = b"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" id="d_ajeno" targetNamespace="t">
  <bpmn:process id="entrega_ajena" name="Otro proceso" isExecutable="true">
    <bpmn:laneSet id="ls">
      <bpmn:lane id="l1" name="director_ie"><bpmn:flowNodeRef>start</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>entregar</bpmn:flowNodeRef><bpmn:flowNodeRef>end</bpmn:flowNodeRef></bpmn:lane>
    </bpmn:laneSet>
    <bpmn:startEvent id="start"/>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="entregar"/>
    <bpmn:userTask id="entregar" name="Entregar algo"/>
    <bpmn:sequenceFlow id="f2" sourceRef="entregar" targetRef="end"/>
    <bpmn:endEvent id="end"/>
  </bpmn:process>
</bpmn:definitions>"""


@pytest.mark.django_db
def test_a_step_named_entregar_in_another_process_prints_no_acta(cuentas, person, client):
    """Only the alta procedures' hand-over prints an acta: a step with the same id in any
    other process (one an administrator draws) answers 404 and changes nothing."""
    from engine import services as engine

    director = person("director_ie", "0584714-0")
    definition = engine.deploy(content=ENTREGAR_AJENO, source="entrega_ajena.bpmn")[0].definition
    instance = engine.start(definition=definition, data={"cuenta": {"user_id": director.pk}},
                            org_unit="0584714-0", started_by=director)
    client.force_login(director)

    assert client.post(f"/cuentas/acta/{instance.pk}.pdf").status_code == 404


@pytest.mark.django_db
def test_opening_a_correction_is_logged_as_a_read_of_the_earlier_case(cuentas, person, client):
    """The correction form shows the whole earlier request again (full DNI included):
    Ley 29733 logs it like any other read of the case."""
    from portal.core.models import ActivityLog

    requester = person("director_ugel", "UGEL-03")
    data = request_data(ALTA_UGEL, requester, subject={"nombres": "Rosa", "apellidos": "Quispe",
                                                       "dni": new_dni(), "correo": "r@example.pe"},
                        signatory_dni=requester.dni)
    rejected = work.process_start(user=requester, key=ALTA_UGEL.key, data=data)
    admin = person("administrador_siagie", "MINEDU-UE")
    work.task_complete(user=admin, task_pk=open_task(rejected, "verificar").pk, data=verification(
        rejected, fail="req_oficio", observation="Sin sello."))
    client.force_login(requester)

    assert client.get(f"/iniciar/{ALTA_UGEL.key}/?corrige={rejected.pk}").status_code == 200

    assert ActivityLog.objects.filter(action="case_viewed", actor=requester, object_id=str(rejected.pk),
                                      data__via="page:correction").count() == 1


@pytest.mark.django_db
def test_an_existing_account_without_e_mail_never_takes_the_address_a_request_typed(
        cuentas, person, mailoutbox, client):
    """An existing person with no e-mail on file, named by an alta with the requester's
    chosen address: the address is not written (their notices and any link would follow
    it), the audit says so, and the case tells the officers in plain Spanish."""
    from portal.core.models import ActivityLog

    victim = _never_activated(person("director_ie", "0301234-0"))
    victim.email = ""
    victim.save(update_fields=["email"])
    requester = person("director_ugel", "UGEL-03")
    instance = work.process_start(user=requester, key=ALTA_UGEL.key, data=request_data(
        ALTA_UGEL, requester, subject={"nombres": "Otro", "apellidos": "Nombre", "dni": victim.dni,
                                       "correo": "atacante@example.com"}, signatory_dni=requester.dni))
    admin = person("administrador_siagie", "MINEDU-UE")
    work.task_complete(user=admin, task_pk=open_task(instance, "verificar").pk, data=verification(instance))
    deliver_mail()

    victim.refresh_from_db()
    assert victim.email == ""
    assert not [m for m in mailoutbox if "atacante@example.com" in m.to]
    event = ActivityLog.objects.get(action="account_email_not_applied")
    assert event.data == {"username": victim.username, "account_has_email": False}
    client.force_login(admin)
    page = client.get(f"/expedientes/{instance.pk}/").content.decode()
    assert "el correo de la solicitud no se aplicó" in page
