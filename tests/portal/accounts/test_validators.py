"""Server-side validation of account requests and verifications: the real forms of
forms/cuenta_*, submitted through the portal services as a clerk's page or the API
would, with the requester's position in the validation context."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.utils import timezone

from engine import services as engine
from engine.models import HumanTask, HumanTaskState, ProcessInstance
from engine.registry import registry
from portal.accounts import validators
from portal.orgs.models import Position
from portal.schemaforms.loader import SchemaFormCatalogue
from portal.schemaforms.registry import is_registered_validator
from portal.work import services as work
from portal.work.services import FormInvalid
from tests.portal.accounts.conftest import (
    PROCEDURES,
    new_dni,
    request_data,
)
from tests.roundtrip import assert_round_trip

ROOT = Path(django_settings.BASE_DIR)
IE_A, IE_B = "0584714-0", "0301234-0"  # IE A under UGEL-03, IE B under UGEL-04


def proc(key: str, rol: str | None = None):
    return next(p for p in PROCEDURES if p.key == key and (rol is None or p.rol == rol))


@pytest.fixture
def cuentas(db, settings, org):
    settings.ENGINE = {**settings.ENGINE, "FORMS_DIR": str(ROOT / "forms")}
    registry.forms = SchemaFormCatalogue()
    engine.deploy_directory(directory=ROOT / "processes" / "accounts")


@pytest.fixture
def persona(person):
    """persona(role, unit) → a user with an e-mail and a DNI (Person) holding the position."""
    return person


def subject() -> dict[str, str]:
    dni = new_dni()
    return {"nombres": "Rosa Elena", "apellidos": "Quispe Mamani", "dni": dni, "correo": f"r{dni}@example.pe"}


def refused(user, key: str, data: dict) -> dict[str, list[str]]:
    before = ProcessInstance.objects.filter(definition__key=key).count()
    with pytest.raises(FormInvalid) as caught:
        work.process_start(user=user, key=key, data=data)
    assert ProcessInstance.objects.filter(definition__key=key).count() == before  # nothing started
    return caught.value.errors


def tomorrow() -> str:
    return (timezone.localdate() + dt.timedelta(days=1)).isoformat()


def test_the_validators_are_registered():
    for name in ("solicitud_cuenta", "verificacion_cuenta", "fecha_no_futura"):
        assert is_registered_validator(name)


# --- Who may ask for what ----------------------------------------------------------------


@pytest.mark.django_db
def test_a_minedu_role_is_requested_only_by_the_roles_the_catalogue_names(cuentas, persona):
    coordinador = persona("coordinador_siagie_minedu", "MINEDU-UE")
    data = request_data(proc("alta_minedu", "agente_central_atencion"), coordinador, subject=subject(),
                        signatory_dni="")
    errors = refused(coordinador, "alta_minedu", data)
    assert "no puede solicitar cuentas de «Especialista / Agente Central de Atención" in errors["rol"][0]
    assert "USAU" in errors["rol"][0]
    # The role the Coordinador does request goes through.
    data = request_data(proc("alta_minedu", "especialista_siagie_minedu"), coordinador, subject=subject(),
                        signatory_dni="")
    assert work.process_start(user=coordinador, key="alta_minedu", data=data).pk


@pytest.mark.django_db
def test_a_ugel_cannot_ask_for_a_dre_role(cuentas, persona):
    director_ugel = persona("director_ugel", "UGEL-03")
    data = request_data(proc("alta_dre_ugel", "estadistico_dre"), director_ugel, subject=subject(),
                        signatory_dni=director_ugel.dni)
    errors = refused(director_ugel, "alta_dre_ugel", data)
    assert "se solicita desde una DRE" in errors["rol"][0] and "UGEL 03 Breña" in errors["rol"][0]


@pytest.mark.django_db
def test_a_director_of_ie_a_cannot_file_for_ie_b(cuentas, persona):
    director = persona("director_ie", IE_A)
    data = request_data(proc("baja_director_ie"), director, subject={
        "nombres": director.first_name, "apellidos": director.last_name, "dni": director.dni}, signatory_dni="")
    data["codigo_modular"] = IE_B
    errors = refused(director, "baja_director_ie", data)
    assert errors["codigo_modular"] == ["Usted solo puede presentar solicitudes de su IE (AUGUSTO B. LEGUIA)."]
    # Naming their own IE (or none) is accepted.
    data["codigo_modular"] = IE_A
    assert work.process_start(user=director, key="baja_director_ie", data=data).org_unit == IE_A


@pytest.mark.django_db
def test_a_director_asks_only_for_their_own_baja(cuentas, persona):
    director = persona("director_ie", IE_A)
    data = request_data(proc("baja_director_ie"), director, subject=subject(), signatory_dni="")
    errors = refused(director, "baja_director_ie", data)
    assert "la UGEL registra el oficio" in errors["dni"][0]


@pytest.mark.django_db
def test_a_ugel_specialist_cannot_name_an_ie_of_another_ugel(cuentas, persona):
    especialista = persona("especialista_siagie_ugel", "UGEL-04")
    person = subject()
    data = request_data(proc("alta_director_ie"), especialista, subject=person, signatory_dni=person["dni"])
    data["codigo_modular"] = IE_A  # UGEL-03's
    errors = refused(especialista, "alta_director_ie", data)
    assert errors["codigo_modular"] == ["La IE AUGUSTO B. LEGUIA no pertenece a su UGEL (UGEL 04 Comas)."]
    data["codigo_modular"] = "0301234"  # its own IE, anexo 0 implied
    instance = work.process_start(user=especialista, key="alta_director_ie", data=data)
    assert_round_trip(instance)
    assert HumanTask.objects.get(instance=instance, state=HumanTaskState.OPEN).unit == "UGEL-04"


@pytest.mark.django_db
def test_a_ugel_specialist_must_say_which_ie(cuentas, persona):
    especialista = persona("especialista_siagie_ugel", "UGEL-03")
    person = subject()
    data = request_data(proc("alta_director_ie"), especialista, subject=person, signatory_dni=person["dni"])
    del data["codigo_modular"]
    assert refused(especialista, "alta_director_ie", data)["codigo_modular"] == ["Indique el código modular de la IE."]
    data["codigo_modular"] = "7777777-0"
    assert "No hay una IE registrada" in refused(especialista, "alta_director_ie", data)["codigo_modular"][0]


@pytest.mark.django_db
def test_the_staff_ask_only_for_their_own_baja(cuentas, persona):
    docente = persona("personal_ie", IE_A)
    other = persona("personal_ie", IE_A)
    own = {"apellidos": docente.last_name, "nombres": docente.first_name, "dni": docente.dni,
           "motivo": "Traslado a otra IE."}
    assert work.process_start(user=docente, key="baja_personal_ie", data=own).pk  # no solicitud needed
    errors = refused(docente, "baja_personal_ie", {**own, "dni": other.dni})
    assert "solo puede pedir su propia baja" in errors["dni"][0]


# --- Documents ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_dre_ugel_alta_needs_the_rd_except_for_actas(cuentas, persona):
    director_ugel = persona("director_ugel", "UGEL-03")
    data = request_data(proc("alta_dre_ugel", "estadistico_ugel"), director_ugel, subject=subject(),
                        signatory_dni=director_ugel.dni)
    del data["rd"]
    errors = refused(director_ugel, "alta_dre_ugel", data)
    assert errors == {"rd.archivo": ["Adjunte la RD de designación: el procedimiento lo exige para "
                                     "«Estadístico UGEL»."]}
    data["rol"] = "especialista_actas_certificados"  # seed 000: the oficio alone
    assert work.process_start(user=director_ugel, key="alta_dre_ugel", data=data).pk


@pytest.mark.django_db
def test_usau_must_attach_the_s09(cuentas, persona):
    usau = persona("usau_otic", "MINEDU-OTIC")
    data = request_data(proc("alta_minedu", "agente_central_atencion"), usau, subject=subject(), signatory_dni="")
    del data["formulario_s09"]
    errors = refused(usau, "alta_minedu", data)
    assert errors["formulario_s09"] == ["Adjunte el formulario S09: el procedimiento lo exige para "
                                        "«Especialista / Agente Central de Atención SIAGIE»."]


@pytest.mark.django_db
def test_a_former_director_attaches_the_dni_copy_and_the_ugel_its_oficio(cuentas, persona):
    director = persona("director_ie", IE_A)
    data = request_data(proc("baja_director_ie"), director, subject={
        "nombres": director.first_name, "apellidos": director.last_name, "dni": director.dni}, signatory_dni="")
    del data["copia_dni"]
    assert "la copia del DNI" in refused(director, "baja_director_ie", data)["copia_dni"][0]
    # The UGEL registering the same baja attaches its oficio instead.
    especialista = persona("especialista_siagie_ugel", "UGEL-03")
    data["codigo_modular"] = IE_A
    errors = refused(especialista, "baja_director_ie", data)
    assert set(errors) == {"oficio.archivo"} and "el oficio escaneado" in errors["oficio.archivo"][0]


@pytest.mark.django_db
def test_the_nivel_specialist_baja_names_the_ugel_siagie_specialist(cuentas, persona):
    director_ugel = persona("director_ugel", "UGEL-03")
    data = request_data(proc("baja_dre_ugel", "especialista_nivel_educativo"), director_ugel, subject=subject(),
                        signatory_dni=director_ugel.dni)
    del data["especialista_siagie_ugel"]
    errors = refused(director_ugel, "baja_dre_ugel", data)
    assert "Especialista SIAGIE de la UGEL" in errors["especialista_siagie_ugel.dni"][0]


# --- Dates -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_document_dated_in_the_future_is_refused(cuentas, persona):
    director_ugel = persona("director_ugel", "UGEL-03")
    data = request_data(proc("alta_dre_ugel", "estadistico_ugel"), director_ugel, subject=subject(),
                        signatory_dni=director_ugel.dni)
    data["oficio"]["fecha"] = tomorrow()
    errors = refused(director_ugel, "alta_dre_ugel", data)
    today = timezone.localdate()
    assert errors["oficio.fecha"] == [f"La fecha no puede ser posterior a hoy ({today:%d/%m/%Y})."]
    assert validators.fecha_no_futura(today.isoformat(), {}) is None


# --- Corrections ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_correction_must_point_to_the_requesters_own_rejected_case(cuentas, persona):
    director_ugel = persona("director_ugel", "UGEL-03")
    other = persona("director_ugel", "UGEL-04")
    data = request_data(proc("alta_dre_ugel", "estadistico_ugel"), other, subject=subject(),
                        signatory_dni=other.dni)
    theirs = work.process_start(user=other, key="alta_dre_ugel", data=data)
    assert_round_trip(theirs)
    mine = request_data(proc("alta_dre_ugel", "estadistico_ugel"), director_ugel, subject=subject(),
                        signatory_dni=director_ugel.dni)
    errors = refused(director_ugel, "alta_dre_ugel", {**mine, "corrige_a": theirs.pk})
    assert errors["corrige_a"] == [f"La solicitud N.º {theirs.pk} no es una solicitud suya rechazada de este trámite."]


@pytest.mark.django_db
def test_an_alta_for_someone_who_already_has_that_account_says_so_before_it_is_filed(cuentas, persona):
    """The request form names the account the person already has for that role and unit,
    instead of filing a case the verifier can only reject; the same person for another
    post, or someone else for this one, goes through."""
    director_ugel = persona("director_ugel", "UGEL-03")
    holder = persona("estadistico_ugel", "UGEL-03", first="Rosa", last="Quispe")
    data = request_data(proc("alta_dre_ugel", "estadistico_ugel"), director_ugel,
                        subject={**subject(), "dni": holder.dni}, signatory_dni=director_ugel.dni)
    errors = refused(director_ugel, "alta_dre_ugel", data)
    assert errors["dni"] == [
        f"La persona ya tiene el usuario {holder.username} para «Estadístico UGEL» en UGEL 03 Breña (desde el "
        f"{timezone.localdate():%d/%m/%Y}): no hay nada que dar de alta. Si no puede ingresar, pida un enlace "
        "nuevo para crear su contraseña."]
    other_post = request_data(proc("alta_dre_ugel", "especialista_actas_certificados"), director_ugel,
                              subject={**subject(), "dni": holder.dni}, signatory_dni=director_ugel.dni)
    assert work.process_start(user=director_ugel, key="alta_dre_ugel", data=other_post).pk
    somebody_else = request_data(proc("alta_dre_ugel", "estadistico_ugel"), director_ugel, subject=subject(),
                                 signatory_dni=director_ugel.dni)
    assert work.process_start(user=director_ugel, key="alta_dre_ugel", data=somebody_else).pk


# --- Without a position ----------------------------------------------------------------------


def test_without_the_requesters_position_a_request_is_refused():
    """work.services validates a start form once, with the position it is filed from; a
    request checked without one is refused (it used to pass, waiting for a second
    validation), and forms of other procedures are left alone."""
    data = {"apellidos": "X", "nombres": "Y", "dni": "12345678", "rol": "agente_central_atencion"}
    assert validators.solicitud_cuenta(data, {"form_key": "cuenta_alta_minedu"}) == (
        "Elija desde cuál de sus cargos presenta la solicitud.")
    assert validators.solicitud_cuenta(data, {"form_key": "otro_formulario", "position": object()}) is None


# --- The verification ---------------------------------------------------------------------


def _verification_task(persona):
    director_ugel = persona("director_ugel", "UGEL-03")
    admin = persona("administrador_siagie", "MINEDU-UE")
    data = request_data(proc("alta_dre_ugel", "estadistico_ugel"), director_ugel, subject=subject(),
                        signatory_dni=director_ugel.dni)
    instance = work.process_start(user=director_ugel, key="alta_dre_ugel", data=data)
    assert_round_trip(instance)
    return admin, HumanTask.objects.get(instance=instance, element_id="verificar", state=HumanTaskState.OPEN)


CHECKLIST = {"req_identidad": {"cumple": "si"}, "req_cargo": {"cumple": "si"}, "req_oficio": {"cumple": "si"},
             "req_rd": {"cumple": "si"}, "titular_visto": "ninguno"}


@pytest.mark.django_db
def test_approving_with_an_unmet_requirement_is_refused(cuentas, persona):
    admin, task = _verification_task(persona)
    data = {**CHECKLIST, "req_oficio": {"cumple": "no", "observacion": "Lo firma el Estadístico."},
            "cumple_requisitos": "si"}
    with pytest.raises(FormInvalid) as caught:
        work.task_complete(user=admin, task_pk=task.pk, data=data)
    assert caught.value.errors == {"cumple_requisitos": [
        "Hay requisitos marcados «No cumple»: la solicitud no puede aprobarse."]}
    task.refresh_from_db()
    assert task.state == HumanTaskState.OPEN
    assert not Position.objects.filter(role_id="estadistico_ugel").exists()


@pytest.mark.django_db
def test_rejecting_needs_an_unmet_requirement_with_its_reason(cuentas, persona):
    admin, task = _verification_task(persona)
    with pytest.raises(FormInvalid) as caught:
        work.task_complete(user=admin, task_pk=task.pk, data={**CHECKLIST, "cumple_requisitos": "no"})
    assert "Marque qué requisito no se cumple" in caught.value.errors["cumple_requisitos"][0]
    # The validator itself also asks for the observation of each unmet item.
    errors = validators.verificacion_cuenta({"req_rd": {"cumple": "no", "observacion": "  "},
                                             "cumple_requisitos": "no"}, {})
    assert errors == {"req_rd.observacion": "Explique por qué no se cumple: el solicitante leerá esta observación."}
    # A consistent rejection goes through.
    data = {**CHECKLIST, "req_rd": {"cumple": "no", "observacion": "La RD es de otra persona."},
            "cumple_requisitos": "no"}
    assert_round_trip(task.instance)
    work.task_complete(user=admin, task_pk=task.pk, data=data)
    task.refresh_from_db()
    assert task.state == HumanTaskState.COMPLETED

