"""Two verifiers deciding on the same one-holder post, and the scope of who may request
and verify what."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from engine.errors import ConflictError
from engine.models import HumanTaskState, Incident, InstanceStatus
from portal.accounts import prechecks
from portal.orgs.models import Position
from portal.work import access
from portal.work import services as work
from tests.roundtrip import assert_round_trip
from tests.threads import in_threads

from .conftest import PROCEDURES, new_dni, open_task, request_data, verification

ALTA_DRE = next(p for p in PROCEDURES if p.key == "alta_dre_ugel" and p.rol == "especialista_siagie_dre")
ALTA_DIRECTOR = next(p for p in PROCEDURES if p.key == "alta_director_ie")
ALTA_PERSONAL = next(p for p in PROCEDURES if p.key == "alta_personal_ie")


def _subject(name: str) -> dict[str, str]:
    dni = new_dni()
    return {"nombres": name, "apellidos": "Prueba Concurrente", "dni": dni, "correo": f"p{dni}@example.pe"}


def _two_requests(person):
    """Two requests for the DRE's Especialista SIAGIE post (free), each with its own verifier."""
    requester = person(*ALTA_DRE.requester)
    cases = []
    for name in ("Rosa", "Luis"):
        subject = _subject(name)
        data = request_data(ALTA_DRE, requester, subject=subject, signatory_dni=requester.dni)
        instance = work.process_start(user=requester, key=ALTA_DRE.key, data=data)
        assert_round_trip(instance)
        cases.append((instance, subject, person(*ALTA_DRE.verifier)))
    return cases


def _holders() -> list[Position]:
    return list(Position.objects.filter(role_id=ALTA_DRE.rol, unit__code=ALTA_DRE.unit, until__isnull=True))


@pytest.mark.django_db
def test_second_verifier_who_saw_no_holder_is_refused_with_the_holder_named(cuentas, person):
    (first, _s1, v1), (second, _s2, v2) = _two_requests(person)
    seen_first = prechecks.live_checks(first)["titular_visto"]
    seen_second = prechecks.live_checks(second)["titular_visto"]
    assert seen_first == seen_second == "ninguno"
    assert_round_trip(first)
    work.task_complete(user=v1, task_pk=open_task(first, "verificar").pk,
                       data=verification(first, titular_visto=seen_first))
    [holder] = _holders()
    task = open_task(second, "verificar")
    assert_round_trip(task.instance)
    with pytest.raises(ConflictError) as refused:
        work.task_complete(user=v2, task_pk=task.pk, data=verification(second, titular_visto=seen_second))
    assert holder.user.last_name in str(refused.value)  # a clear message naming the new holder
    # Nothing happened: one holder, the task still open, no incident for the administrators.
    assert _holders() == [holder]
    task.refresh_from_db()
    second.refresh_from_db()
    assert task.state == HumanTaskState.OPEN and second.status == InstanceStatus.RUNNING
    assert not Incident.objects.exists()
    # Looking again, the verifier now sees the holder and may approve the replacement.
    live = prechecks.live_checks(second)
    assert live["titular"]["position_id"] == holder.pk
    assert_round_trip(task.instance)
    work.task_complete(user=v2, task_pk=task.pk, data=verification(second, titular_visto=live["titular_visto"]))
    [new_holder] = _holders()
    assert new_holder.pk != holder.pk


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_two_verifiers_approving_at_once_leave_one_holder(cuentas, person):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: two writers racing; SQLite serialises whole transactions")
    cases = _two_requests(person)
    barrier = threading.Barrier(2)

    def job(instance, verifier):
        task_pk = open_task(instance, "verificar").pk
        data = verification(instance, titular_visto="ninguno")

        def run():
            barrier.wait(timeout=10)
            return work.task_complete(user=verifier, task_pk=task_pk, data=data)
        return run

    results = in_threads({str(i.pk): job(i, v) for i, _s, v in cases})
    refused = [r for r in results.values() if isinstance(r, Exception)]
    assert len(refused) == 1, results
    assert isinstance(refused[0], ConflictError), refused
    assert "titular" in str(refused[0])
    assert len(_holders()) == 1
    assert not Incident.objects.exists()


@pytest.mark.django_db
def test_a_director_cannot_request_for_another_ie(cuentas, person):
    director_a = person("director_ie", "0584714-0")
    subject = _subject("Ana")
    data = request_data(ALTA_PERSONAL, director_a, subject=subject, signatory_dni=director_a.dni)
    # The Director of IE A files for their own IE; there is no field to name IE B.
    instance = work.process_start(user=director_a, key=ALTA_PERSONAL.key, data=data)
    assert_round_trip(instance)
    assert prechecks.live_checks(instance)  # computed
    assert open_task(instance, "verificar").unit == "0584714-0"
    # A Director cannot start the Director alta for IE B (only its UGEL registers that).
    director_data = request_data(ALTA_DIRECTOR, director_a, subject=_subject("Eva"), signatory_dni=director_a.dni)
    director_data["codigo_modular"] = "0301234-0"
    with pytest.raises(work.FormInvalid) as refused:
        work.process_start(user=director_a, key=ALTA_DIRECTOR.key, data=director_data)
    assert refused.value.errors == {
        "codigo_modular": ["Usted solo puede presentar solicitudes de su IE (AUGUSTO B. LEGUIA)."]}


@pytest.mark.django_db
def test_a_director_cannot_verify_another_ies_request(cuentas, person):
    director_a = person("director_ie", "0584714-0")
    director_b = person("director_ie", "0301234-0")
    data = request_data(ALTA_PERSONAL, director_a, subject=_subject("Ana"), signatory_dni=director_a.dni)
    instance = work.process_start(user=director_a, key=ALTA_PERSONAL.key, data=data)
    assert_round_trip(instance)
    task = open_task(instance, "verificar")
    with pytest.raises(access.NotVisible):
        work.task_complete(user=director_b, task_pk=task.pk, data=verification(instance))


@pytest.mark.django_db
def test_a_ugel_specialist_cannot_verify_a_director_request_of_another_ugels_ie(cuentas, person):
    ugel03 = person("especialista_siagie_ugel", "UGEL-03")
    ugel04 = person("especialista_siagie_ugel", "UGEL-04")
    subject = _subject("Eva")
    data = request_data(ALTA_DIRECTOR, ugel03, subject=subject, signatory_dni=subject["dni"])
    instance = work.process_start(user=ugel03, key=ALTA_DIRECTOR.key, data=data)
    assert_round_trip(instance)
    task = open_task(instance, "verificar")
    assert (task.role, task.unit) == ("especialista_siagie_ugel", "UGEL-03")
    with pytest.raises(access.NotVisible):
        work.task_complete(user=ugel04, task_pk=task.pk, data=verification(instance))
    # Nor can UGEL 04 register a Director for an IE of UGEL 03.
    data = request_data(ALTA_DIRECTOR, ugel04, subject=_subject("Iris"), signatory_dni=subject["dni"])
    with pytest.raises(work.FormInvalid) as refused:
        work.process_start(user=ugel04, key=ALTA_DIRECTOR.key, data=data)
    assert "UGEL" in str(refused.value.errors)


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["nadie", "estadistico_ugel", "director_ugel_de_otra_ugel"])
def test_section_vi_an_oficio_signed_without_authority_is_flagged(cuentas, person, who):
    alta_ugel = next(p for p in PROCEDURES if p.key == "alta_dre_ugel" and p.rol == "estadistico_ugel")
    requester = person("director_ugel", "UGEL-03")
    signatory = {"nadie": lambda: new_dni(),
                 "estadistico_ugel": lambda: person("estadistico_ugel", "UGEL-03").dni,
                 "director_ugel_de_otra_ugel": lambda: person("director_ugel", "UGEL-04").dni}[who]()
    data = request_data(alta_ugel, requester, subject=_subject("Ana"), signatory_dni=signatory)
    instance = work.process_start(user=requester, key=alta_ugel.key, data=data)
    assert_round_trip(instance)
    checks = {c["codigo"]: c for c in prechecks.live_checks(instance)["verificaciones"]}
    assert checks["firmante_autorizado"]["ok"] is False
    assert checks["firmante_autorizado"]["detalle"]
    # The same request signed by the UGEL's Director passes.
    data["oficio"]["firmante_dni"] = requester.dni
    signed = work.process_start(user=requester, key=alta_ugel.key, data=data)
    assert_round_trip(signed)
    checks = {c["codigo"]: c for c in prechecks.live_checks(signed)["verificaciones"]}
    assert checks["firmante_autorizado"]["ok"] is True
