"""Pre-checks and start validation of account requests, on the org tree (no diagram)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from portal.accounts import prechecks
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



@pytest.mark.django_db
@pytest.mark.parametrize("role", ["director_dre", "jefe_area_dre"])
def test_the_dre_director_or_an_area_head_signs_for_the_dre(with_dni, role):
    with_dni(role, "DRE-LIMA-METROPOLITANA", "10000010")
    data = {**BASE, "rol": "especialista_siagie_dre", "oficio": _oficio("10000010")}
    check = _checks(data, "alta_dre_ugel", "DRE-LIMA-METROPOLITANA", "director_dre")["firmante_autorizado"]
    assert check["ok"] is True and "DRE Lima Metropolitana" in check["detalle"]


@pytest.mark.django_db
def test_a_signatory_who_left_office_is_flagged(with_dni):
    user = with_dni("director_dre", "DRE-LIMA-METROPOLITANA", "10000011")
    Position.objects.filter(user=user).update(until=timezone.now())
    data = {**BASE, "rol": "estadistico_dre", "oficio": _oficio("10000011")}
    check = _checks(data, "alta_dre_ugel", "DRE-LIMA-METROPOLITANA", "director_dre")["firmante_autorizado"]
    assert check["ok"] is False and "no tiene un cargo registrado" in check["detalle"]
    assert "debe firmar el Director de DRE Lima Metropolitana o un Director/Jefe de área" in check["detalle"]


@pytest.mark.django_db
def test_a_directors_oficio_is_signed_by_the_new_director_their_ie_or_their_ugel(with_dni):
    with_dni("director_ie", "0301234-0", "10000012")  # Director of an IE of another UGEL
    with_dni("director_ugel", "UGEL-03", "10000013")
    data = {**BASE, "codigo_modular": "0584714-0", "oficio": _oficio(BASE["dni"])}
    key, unit, role = "alta_director_ie", "UGEL-03", "especialista_siagie_ugel"
    designated = _checks(data, key, unit, role)["firmante_autorizado"]
    assert designated["ok"] is True and "designada" in designated["detalle"]
    data["oficio"] = _oficio("10000013")
    assert _checks(data, key, unit, role)["firmante_autorizado"]["ok"] is True
    data["oficio"] = _oficio("10000012")
    other = _checks(data, key, unit, role)["firmante_autorizado"]
    assert other["ok"] is False and "es Director IE en IE 3045: no puede firmar" in other["detalle"]
    assert ("debe firmarlo el Director de la IE AUGUSTO B. LEGUIA o el Director de UGEL 03 Breña o un "
            "Director/Jefe de área de UGEL 03 Breña.") in other["detalle"]


@pytest.mark.django_db
def test_no_oficio_means_the_signatory_check_does_not_apply(org):
    data = {**BASE, "rol": "especialista_siagie_minedu", "correo_solicitud": {"fecha": "2026-01-05", "asunto": "x"}}
    checks = _checks(data, "alta_minedu", "MINEDU-UE", "coordinador_siagie_minedu")
    assert checks["firmante_autorizado"]["ok"] is None
    assert checks["unidad_solicitante"]["ok"] is True
    assert checks["fechas"]["ok"] is True and "05/01/2026" in checks["fechas"]["detalle"]
    assert checks["documentos"]["ok"] is True and "correo de solicitud" in checks["documentos"]["detalle"]
    assert checks["titular"]["ok"] is None  # several people may hold it


@pytest.mark.django_db
def test_a_ugel_registering_a_director_of_another_ugels_ie_is_flagged(org):
    check = _checks({**BASE, "codigo_modular": "0584714-0"}, "alta_director_ie", "UGEL-04",
                    "especialista_siagie_ugel")["unidad_solicitante"]
    assert check["ok"] is False and "UGEL 04 Comas" in check["detalle"]


@pytest.mark.django_db
def test_a_baja_of_the_holder_passes_and_the_replacement_check_does_not_apply(with_dni):
    with_dni("estadistico_ugel", "UGEL-03", BASE["dni"])
    checks = _checks({**BASE, "rol": "estadistico_ugel"}, "baja_dre_ugel", "UGEL-03", "director_ugel")
    assert checks["cargo_actual"]["ok"] is True and checks["titular"]["ok"] is None
    # An address given is checked like any other (a baja needs none: without it the check does not apply).
    assert (checks["formato_correo"]["ok"], checks["formato_correo"]["detalle"]) == (True, BASE["correo"])
    no_email = {key: value for key, value in BASE.items() if key != "correo"}
    assert _checks({**no_email, "rol": "estadistico_ugel"}, "baja_dre_ugel", "UGEL-03",
                   "director_ugel")["formato_correo"]["ok"] is None


@pytest.mark.django_db
def test_a_missing_email_is_flagged_only_where_the_seed_sends_the_user_by_mail(org):
    data = {key: value for key, value in BASE.items() if key != "correo"}
    dre = _checks({**data, "rol": "estadistico_ugel"}, "alta_dre_ugel", "UGEL-03", "director_ugel")
    assert dre["formato_correo"]["ok"] is False and "Falta el correo" in dre["formato_correo"]["detalle"]
    ie = _checks({**data, "cargo_ie": "docente"}, "alta_personal_ie", "0584714-0", "director_ie")
    assert ie["formato_correo"]["ok"] is None and "acta" in ie["formato_correo"]["detalle"]
    assert _checks({**data, "dni": "4587123"}, "alta_personal_ie", "0584714-0",
                   "director_ie")["formato_dni"]["ok"] is False


@pytest.mark.django_db
def test_prechecks_of_a_placed_request_match_the_contract(with_dni):
    """`prechecks(data, requester_unit, role, unit, nivel, tramite)`: every code, each
    with a Spanish title and detail, ok True / False / None."""
    with_dni("director_ugel", "UGEL-03", "10000001")
    holder = with_dni("especialista_nivel_educativo", "UGEL-03", "10000020", nivel="secundaria")
    data = {**BASE, "rol": "especialista_nivel_educativo", "nivel": "secundaria", "solicitante_rol": "director_ugel",
            "oficio": _oficio("10000001"), "rd": {"numero": "RD", "fecha": "2026-01-02", "archivo": "x"}}
    checks = prechecks.prechecks(data, "UGEL-03", "especialista_nivel_educativo", "UGEL-03", "secundaria", "alta")
    assert [c["codigo"] for c in checks] == ["firmante_autorizado", "unidad_solicitante", "formato_dni",
                                             "formato_correo", "fechas", "cargo_actual", "titular", "documentos"]
    assert all(c["titulo"] and c["detalle"] and c["ok"] in (True, False, None) for c in checks)
    by_code = {c["codigo"]: c for c in checks}
    assert all(c["ok"] is True for c in checks), {k: c["detalle"] for k, c in by_code.items() if not c["ok"]}
    assert holder.username in by_code["titular"]["detalle"]
    # The holder is per nivel: none in primaria.
    info = prechecks.current_holder_info("especialista_nivel_educativo", "UGEL-03", "secundaria")
    assert info["usuario"] == holder.username
    assert info["position_id"] == Position.objects.get(user=holder).pk
    assert prechecks.current_holder_info("especialista_nivel_educativo", "UGEL-03", "primaria") is None
    assert prechecks.current_holder_info("personal_ie", "0584714-0") is None  # not a one-holder role
