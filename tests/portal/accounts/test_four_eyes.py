"""Four eyes (issue 11 §2): whoever files an account request never verifies it, on the
pages, through the API or in the engine; when they are the only verifier of their unit
the verification goes up to the supervising role, visibly. The IE's staff are the
exception: their Director files on their behalf and checks it (seed rows 17-18)."""

from __future__ import annotations

import dataclasses

import pytest

from engine import services as engine
from engine.errors import ConflictError
from engine.models import AuditAction, AuditEvent, HumanTaskState, TaskRouting
from portal.accounts import prechecks
from portal.orgs import services as orgs
from portal.orgs.models import Position, Role
from portal.work import selectors
from portal.work import services as work
from portal.work.timeline import build
from tests.portal.conftest import Api
from tests.roundtrip import assert_round_trip

from .conftest import PROCEDURES, new_dni, open_task, request_data, verification

pytestmark = pytest.mark.django_db

FOUR_EYES = "Usted presentó esta solicitud: otra persona debe verificarla (control de cuatro ojos)."
IE_04 = "0301234-0"  # IE 3045, UGEL-04
ALTA_DIRECTOR_04 = dataclasses.replace(
    next(p for p in PROCEDURES if p.key == "alta_director_ie"),
    requester=("especialista_siagie_ugel", "UGEL-04"), verifier=("director_ugel", "UGEL-04"), unit=IE_04)
ALTA_MINEDU = next(p for p in PROCEDURES if p.key == "alta_minedu")
ALTA_PERSONAL = next(p for p in PROCEDURES if p.key == "alta_personal_ie")


def _subject() -> dict[str, str]:
    dni = new_dni()
    return {"nombres": "Julio", "apellidos": "Cuatro Ojos", "dni": dni, "correo": f"j{dni}@example.pe"}


@pytest.fixture
def director_alta(cuentas, person):
    """The reproduction: UGEL 04's only Especialista SIAGIE files a Director alta for IE
    3045, whose Director sits; the UGEL has a Director."""
    specialist = person("especialista_siagie_ugel", "UGEL-04")
    director_ugel = person("director_ugel", "UGEL-04")
    sitting = person("director_ie", IE_04)
    subject = _subject()
    instance = work.process_start(user=specialist, key=ALTA_DIRECTOR_04.key, data=request_data(
        ALTA_DIRECTOR_04, specialist, subject=subject, signatory_dni=subject["dni"]))
    assert_round_trip(instance)
    return instance, specialist, director_ugel, sitting


def test_the_only_specialist_files_a_director_alta_and_its_verification_goes_up_flagged(director_alta):
    instance, specialist, _director_ugel, _sitting = director_alta
    task = open_task(instance, "verificar")

    assert (task.role, task.unit) == ("director_ugel", "UGEL-04")
    assert task.barred_user_id == specialist.pk and task.routed == TaskRouting.FOUR_EYES
    assert (task.home_role, task.home_unit) == ("especialista_siagie_ugel", "UGEL-04")
    assert task.escalated_at is not None
    assert task.escalation_note == (
        "Derivada a Director(a) de la UGEL (UGEL 04 Comas): quien presentó la solicitud es el único "
        "Especialista SIAGIE UGEL de la unidad (control de cuatro ojos).")
    event = AuditEvent.objects.get(instance=instance, action=AuditAction.ROUTE)
    assert event.data["from_role"] == "especialista_siagie_ugel" and event.data["reason"] == "four_eyes"
    lines = [e.text for e in build(instance, staff=False)]
    assert any("pasó a Director(a) de la UGEL (UGEL 04 Comas)" in line and "cuatro ojos" in line for line in lines)


def test_the_filer_can_neither_claim_nor_complete_it_on_the_pages_the_api_or_the_engine(director_alta, client):
    instance, specialist, _director_ugel, sitting = director_alta
    task = open_task(instance, "verificar")
    version = instance.lock_version
    answer = verification(instance, titular_visto=prechecks.live_checks(instance)["titular_visto"])

    client.force_login(specialist)
    claim = client.post(f"/tareas/{task.pk}/tomar/")
    complete = client.post(f"/tareas/{task.pk}/", {"cumple_requisitos": "si", "_version": version})
    assert claim.status_code == 403 and FOUR_EYES in claim.content.decode()
    assert complete.status_code == 403 and FOUR_EYES in complete.content.decode()

    api = Api(client, specialist)
    for response in (api.post(f"tasks/{task.pk}/claim/"),
                     api.post(f"tasks/{task.pk}/complete/", {"data": answer, "expected_version": version})):
        assert response.status_code == 403 and response.json()["detail"] == FOUR_EYES

    # Even given the Director's role meanwhile, the engine refuses under the row lock.
    with pytest.raises(ConflictError, match="cuatro ojos"):
        engine.claim(task_id=task.pk, user=specialist)
    with pytest.raises(ConflictError, match="cuatro ojos"):
        engine.complete(task_id=task.pk, user=specialist, data=answer)
    with pytest.raises(ConflictError, match="cuatro ojos"):
        engine.reassign(task_id=task.pk, to_user=specialist, by=None)

    task.refresh_from_db()
    instance.refresh_from_db()
    assert task.state == HumanTaskState.OPEN and task.claimed_by_id is None
    assert instance.lock_version == version
    assert Position.objects.filter(user=sitting, role_id="director_ie", until__isnull=True).exists()


def test_the_ugel_director_verifies_it(director_alta, client):
    instance, _specialist, director_ugel, sitting = director_alta
    task = open_task(instance, "verificar")
    assert [t.pk for t in selectors.inbox(work.scope_for(director_ugel))] == [task.pk]

    work.task_complete(user=director_ugel, task_pk=task.pk,
                       data=verification(instance, titular_visto=prechecks.live_checks(instance)["titular_visto"]))

    task.refresh_from_db()
    assert task.state == HumanTaskState.COMPLETED and task.completed_by == director_ugel


def test_with_a_second_verifier_the_task_stays_and_only_the_other_works_it(cuentas, person, client):
    """A Coordinador who is also Administrador SIAGIE files a MINEDU alta: the other
    administrator verifies it in the office; the filer does not even see it in the pool."""
    filer = person("coordinador_siagie_minedu", "MINEDU-UE")
    orgs.position_assign(user=filer, role=Role.objects.get(code="administrador_siagie"),
                         unit=Position.objects.get(user=filer).unit, by=None)
    other = person("administrador_siagie", "MINEDU-UE")
    instance = work.process_start(user=filer, key=ALTA_MINEDU.key, data=request_data(
        ALTA_MINEDU, filer, subject=_subject(), signatory_dni=""))
    task = open_task(instance, "verificar")

    assert (task.role, task.unit) == ("administrador_siagie", "MINEDU-UE")
    assert task.escalated_at is None and task.routed == "" and task.barred_user_id == filer.pk
    assert task.pk not in [t.pk for t in selectors.inbox(work.scope_for(filer))]
    assert [t.pk for t in selectors.inbox(work.scope_for(other))] == [task.pk]

    client.force_login(filer)
    refused = client.post(f"/tareas/{task.pk}/tomar/")
    assert refused.status_code == 403 and FOUR_EYES in refused.content.decode()
    page = client.get(f"/tareas/{task.pk}/").content.decode()  # he administers: he still sees it
    assert "/tomar/" not in page

    engine.claim(task_id=task.pk, user=other)
    work.task_complete(user=other, task_pk=task.pk, data=verification(instance))
    task.refresh_from_db()
    assert task.state == HumanTaskState.COMPLETED and task.completed_by == other


def test_the_ie_director_still_verifies_the_staff_request_he_filed(cuentas, person):
    """Seed rows 17-18: the Director records the staff member's own request and checks it."""
    director = person("director_ie", "0584714-0")
    instance = work.process_start(user=director, key=ALTA_PERSONAL.key, data=request_data(
        ALTA_PERSONAL, director, subject=_subject(), signatory_dni=director.dni))
    task = open_task(instance, "verificar")
    assert task.barred_user_id is None and task.escalated_at is None

    work.task_complete(user=director, task_pk=task.pk, data=verification(instance))

    task.refresh_from_db()
    assert task.state == HumanTaskState.COMPLETED and task.completed_by == director


def test_a_task_sent_up_by_four_eyes_never_comes_back(director_alta, django_user_model):
    """A new specialist designated to the UGEL does not pull it back: it stays with the
    UGEL's Director, who already has it."""
    instance, specialist, _director_ugel, _sitting = director_alta
    successor = django_user_model.objects.create_user(username="nuevo.especialista", password="x" * 12)
    orgs.position_replace(unit=Position.objects.get(user=specialist).unit, role=Role.objects.get(
        code="especialista_siagie_ugel"), user=successor, by=None, reason="RD 0789-2026")

    task = open_task(instance, "verificar")
    assert (task.role, task.unit, task.routed) == ("director_ugel", "UGEL-04", TaskRouting.FOUR_EYES)


def test_with_nobody_above_the_only_specialist_the_task_stays_flagged_on_the_unheld_list(cuentas, person):
    """No Director at the UGEL: nobody can verify it, so the administrators see it."""
    specialist = person("especialista_siagie_ugel", "UGEL-04")
    subject = _subject()
    instance = work.process_start(user=specialist, key=ALTA_DIRECTOR_04.key, data=request_data(
        ALTA_DIRECTOR_04, specialist, subject=subject, signatory_dni=subject["dni"]))

    task = open_task(instance, "verificar")
    assert (task.role, task.unit) == ("especialista_siagie_ugel", "UGEL-04") and task.escalated_at is not None
    assert "no hay a quién derivarla (control de cuatro ojos)" in task.escalation_note
    assert task.pk in [t.pk for t in selectors.unheld_tasks()[0]]
