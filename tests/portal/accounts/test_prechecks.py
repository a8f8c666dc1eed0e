"""Pre-checks and start validation of account requests, on the org tree (no diagram)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from portal.accounts import prechecks, validators
from portal.accounts.procedures import resolve
from portal.orgs.models import OrgUnit, Person, Position


@pytest.fixture
def with_dni(officer):
    def make(role, unit, dni, **kw):
        user = officer(role, unit, **kw)
        Person.objects.create(user=user, document_type="dni", document_number=dni)
        return user
    return make


def _oficio(dni: str, fecha: str = "2026-01-05") -> dict:
    return {"numero": "OF-1", "fecha": fecha, "firmante_dni": dni, "firmante_nombre": "X", "firmante_cargo": "Y",
            "archivo": "00000000-0000-0000-0000-000000000001"}


def _checks(data, key, unit, role):
    request = resolve(data, key=key, requester_unit=OrgUnit.objects.get(code=unit), requester_role=role)
    return {c["codigo"]: c for c in prechecks.run(request)}


BASE = {"apellidos": "Quispe", "nombres": "Rosa", "dni": "45871236", "correo": "rosa@example.pe"}


@pytest.mark.django_db
def test_oficio_signed_by_the_ugel_director_passes_and_by_a_statistician_is_flagged(with_dni):
    with_dni("director_ugel", "UGEL-03", "10000001")
    with_dni("estadistico_ugel", "UGEL-03", "10000002")
    data = {**BASE, "rol": "estadistico_ugel", "oficio": _oficio("10000001"),
            "rd": {"numero": "RD", "fecha": "2026-01-02", "archivo": "x"}}
    ok = _checks(data, "alta_dre_ugel", "UGEL-03", "director_ugel")["firmante_autorizado"]
    assert ok["ok"] is True and "Director(a) de la UGEL" in ok["detalle"]
    data["oficio"] = _oficio("10000002")
    bad = _checks(data, "alta_dre_ugel", "UGEL-03", "director_ugel")["firmante_autorizado"]
    assert bad["ok"] is False and "Estadístico UGEL" in bad["detalle"] and "no puede firmar" in bad["detalle"]
    data["oficio"] = _oficio("99999999")
    nobody = _checks(data, "alta_dre_ugel", "UGEL-03", "director_ugel")["firmante_autorizado"]
    assert nobody["ok"] is False and "99999999" in nobody["detalle"]


@pytest.mark.django_db
def test_a_director_of_another_ugel_cannot_sign_for_this_one(with_dni):
    with_dni("director_ugel", "UGEL-04", "10000003")
    data = {**BASE, "rol": "estadistico_ugel", "oficio": _oficio("10000003")}
    assert _checks(data, "alta_dre_ugel", "UGEL-03", "director_ugel")["firmante_autorizado"]["ok"] is False


@pytest.mark.django_db
def test_future_dates_missing_documents_and_bad_email_are_flagged(org):
    tomorrow = (timezone.localdate() + dt.timedelta(days=1)).isoformat()
    data = {**BASE, "correo": "no-es-correo", "rol": "estadistico_ugel", "oficio": _oficio("1", tomorrow)}
    checks = _checks(data, "alta_dre_ugel", "UGEL-03", "director_ugel")
    assert checks["fechas"]["ok"] is False
    assert checks["documentos"]["ok"] is False and "RD" in checks["documentos"]["detalle"]
    assert checks["formato_correo"]["ok"] is False
    assert checks["formato_dni"]["ok"] is True


@pytest.mark.django_db
def test_alta_of_a_current_holder_and_baja_of_a_non_holder_are_flagged(with_dni):
    with_dni("estadistico_ugel", "UGEL-03", BASE["dni"])
    alta = _checks({**BASE, "rol": "estadistico_ugel"}, "alta_dre_ugel", "UGEL-03", "director_ugel")
    assert alta["cargo_actual"]["ok"] is False
    assert alta["titular"]["ok"] is True and "Titular actual" in alta["titular"]["detalle"]
    baja = _checks({**BASE, "dni": "11111111", "rol": "estadistico_ugel"}, "baja_dre_ugel", "UGEL-03",
                   "director_ugel")
    assert baja["cargo_actual"]["ok"] is False and "nada que dar de baja" in baja["cargo_actual"]["detalle"]


@pytest.mark.django_db
def test_requesting_unit_must_be_the_positions_unit_or_its_ugel(org):
    ugel = _checks({**BASE, "codigo_modular": "0584714-0"}, "alta_director_ie", "UGEL-03",
                   "especialista_siagie_ugel")["unidad_solicitante"]
    assert ugel["ok"] is True
    minedu = _checks({**BASE, "rol": "agente_central_atencion"}, "alta_minedu", "MINEDU-UE",
                     "coordinador_siagie_minedu")["unidad_solicitante"]
    assert minedu["ok"] is False and "USAU" in minedu["detalle"]


def _position(officer, role, unit):
    user = officer(role, unit)
    return Position.objects.select_related("unit", "user").get(user=user, role_id=role)


@pytest.mark.django_db
def test_start_validator_refuses_what_the_requester_may_not_ask(officer):
    ctx = {"form_key": "cuenta_alta_director_ie", "position": _position(officer, "especialista_siagie_ugel", "UGEL-04")}
    errors = validators.solicitud_cuenta({**BASE, "codigo_modular": "0584714-0"}, ctx)
    assert "no pertenece a su UGEL" in errors["codigo_modular"]
    ctx = {"form_key": "cuenta_alta_director_ie", "position": _position(officer, "director_ie", "0584714-0")}
    errors = validators.solicitud_cuenta({**BASE, "codigo_modular": "0301234-0"}, ctx)
    assert "su IE" in errors["codigo_modular"]
    ctx = {"form_key": "cuenta_alta_minedu", "position": _position(officer, "coordinador_siagie_minedu", "MINEDU-UE")}
    errors = validators.solicitud_cuenta({**BASE, "rol": "agente_central_atencion"}, ctx)
    assert "USAU" in errors["rol"]
    ctx = {"form_key": "cuenta_alta_dre_ugel", "position": _position(officer, "director_ugel", "UGEL-03")}
    errors = validators.solicitud_cuenta({**BASE, "rol": "estadistico_dre"}, ctx)
    assert "DRE" in errors["rol"]
    errors = validators.solicitud_cuenta({**BASE, "rol": "estadistico_ugel"}, ctx)
    assert set(errors) == {"oficio.archivo", "rd.archivo"}
    ctx = {"form_key": "cuenta_baja_personal_ie", "position": _position(officer, "personal_ie", "0584714-0")}
    assert "propia baja" in validators.solicitud_cuenta({**BASE}, ctx)["dni"]


def test_verification_decision_must_agree_with_the_checklist():
    assert validators.verificacion_cuenta({"req_a": {"cumple": "si"}, "cumple_requisitos": "si"}, {}) is None
    errors = validators.verificacion_cuenta({"req_a": {"cumple": "no"}, "cumple_requisitos": "si"}, {})
    assert set(errors) == {"req_a.observacion", "cumple_requisitos"}
    errors = validators.verificacion_cuenta({"req_a": {"cumple": "si"}, "cumple_requisitos": "no"}, {})
    assert "Marque qué requisito" in errors["cumple_requisitos"]


def test_no_future_dates():
    tomorrow = (timezone.localdate() + dt.timedelta(days=1)).isoformat()
    assert "posterior a hoy" in validators.fecha_no_futura(tomorrow, {})
    assert validators.fecha_no_futura(timezone.localdate().isoformat(), {}) is None
