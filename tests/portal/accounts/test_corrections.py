"""Correcting a rejected request: once only (also when two are sent at the same moment),
with a message that points to the correction already filed, and the case number shown as
a number whatever JSON an API client sent."""

from __future__ import annotations

import importlib
import re
import threading
import uuid

import pytest
from django.apps import apps
from django.db import connection

from engine.models import ProcessInstance
from portal.work import services as work
from portal.work.models import CaseCorrection
from tests.portal.conftest import Api
from tests.threads import in_threads

from .conftest import PROCEDURES, new_dni, open_task, request_data, verification

ALTA_UGEL = next(p for p in PROCEDURES if p.key == "alta_dre_ugel" and p.rol == "estadistico_ugel")


def _rejected(person):
    requester = person("director_ugel", "UGEL-03")
    dni = new_dni()
    data = request_data(ALTA_UGEL, requester, subject={
        "nombres": "Rosa", "apellidos": "Quispe Mamani", "dni": dni, "correo": f"q{dni}@example.pe"},
        signatory_dni=requester.dni)
    rejected = work.process_start(user=requester, key=ALTA_UGEL.key, data=data)
    admin = person("administrador_siagie", "MINEDU-UE")
    work.task_complete(user=admin, task_pk=open_task(rejected, "verificar").pk, data=verification(
        rejected, fail="req_rd", observation="RD ilegible."))
    return requester, data, rejected


@pytest.mark.django_db
def test_a_rejected_case_is_corrected_once_and_a_second_try_points_to_the_correction(cuentas, person, client):
    requester, data, rejected = _rejected(person)
    corrected = work.process_start(user=requester, key=ALTA_UGEL.key, data={**data, "corrige_a": rejected.pk})
    assert CaseCorrection.objects.get(corrected=rejected).correction_id == corrected.pk

    with pytest.raises(work.FormInvalid) as refused:
        work.process_start(user=requester, key=ALTA_UGEL.key, data={**data, "corrige_a": rejected.pk})
    assert f"La solicitud N.º {rejected.pk} ya se corrigió con la N.º {corrected.pk}" in refused.value.errors[
        "corrige_a"][0]
    assert ProcessInstance.objects.filter(definition__key=ALTA_UGEL.key).count() == 2
    # The page's "correct" link of the old case says the same instead of a blank form.
    client.force_login(requester)
    page = client.get(f"/iniciar/{ALTA_UGEL.key}/?corrige={rejected.pk}", follow=True).content.decode()
    assert f"La solicitud N.º {rejected.pk} ya se corrigió con la N.º {corrected.pk}" in page
    assert data["dni"] not in page  # not filled in again


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_two_corrections_sent_at_once_make_one_case(cuentas, person):
    """Two tabs sending the correction at the same moment: both pass the form's check, the
    unique row lets one case through and the other gets the Spanish message naming it."""
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: two writers racing on the correction's unique index; "
                    "SQLite serialises whole transactions")
    requester, data, rejected = _rejected(person)
    barrier = threading.Barrier(2)

    def send():
        barrier.wait(timeout=10)
        return work.process_start(user=requester, key=ALTA_UGEL.key, data={**data, "corrige_a": rejected.pk})

    results = in_threads({"a": send, "b": send})
    cases = [r for r in results.values() if isinstance(r, ProcessInstance)]
    refusals = [r for r in results.values() if isinstance(r, work.FormInvalid)]
    assert len(cases) == 1 and len(refusals) == 1, results
    assert f"ya se corrigió con la N.º {cases[0].pk}" in refusals[0].errors["corrige_a"][0]
    assert ProcessInstance.objects.filter(definition__key=ALTA_UGEL.key).count() == 2
    assert CaseCorrection.objects.get(corrected=rejected).correction_id == cases[0].pk


@pytest.mark.django_db
def test_a_case_number_sent_as_5_0_by_an_api_client_is_the_case_number(cuentas, person, client):
    """JSON's 5.0 is an integer to JSON Schema: the correction goes through, links both
    cases and every message says «N.º 5», never «N.º 5.0»."""
    requester, data, rejected = _rejected(person)
    api = Api(client, requester)
    response = api.post(f"processes/{ALTA_UGEL.key}/start/", {"data": {**data, "corrige_a": float(rejected.pk)}},
                        HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()))
    assert response.status_code == 201, response.content
    corrected = response.json()["id"]
    assert api.get(f"instances/{corrected}/").json()["corrects"] == rejected.pk
    page = client.get(f"/expedientes/{corrected}/").content.decode()
    assert "Corrige la solicitud" in page and f"/expedientes/{rejected.pk}/" in page
    # The number alone, not a clock's seconds («08:40:21.098910» holds "1.0").
    as_float = re.compile(rf"(?<![\d.]){rejected.pk}\.0(?!\d)")
    assert not as_float.search(page)
    again = api.post(f"processes/{ALTA_UGEL.key}/start/", {"data": {**data, "corrige_a": float(rejected.pk)}},
                     HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()))
    assert again.status_code == 400
    message = str(again.json())
    assert f"La solicitud N.º {rejected.pk} ya se corrigió con la N.º {corrected}" in message
    assert not as_float.search(message)


@pytest.mark.django_db
def test_the_migration_records_the_corrections_filed_before_oldest_first(cuentas, person):
    """Corrections filed before the row existed come from the cases' start data; where a
    case was corrected twice back then, the older correction is the one recorded."""
    requester, data, rejected = _rejected(person)
    first = work.process_start(user=requester, key=ALTA_UGEL.key, data={**data, "corrige_a": rejected.pk})
    CaseCorrection.objects.all().delete()  # as before the table: nothing stopped a second one
    second = work.process_start(user=requester, key=ALTA_UGEL.key, data={**data, "corrige_a": rejected.pk})
    admin = person("administrador_siagie", "MINEDU-UE")
    work.task_complete(user=admin, task_pk=open_task(first, "verificar").pk, data=verification(
        first, fail="req_rd", observation="Otra vez ilegible."))
    third = work.process_start(user=requester, key=ALTA_UGEL.key, data={**data, "corrige_a": first.pk})
    CaseCorrection.objects.all().delete()

    migration = importlib.import_module("portal.work.migrations.0005_case_correction")
    migration.existing_corrections(apps, None)
    assert set(CaseCorrection.objects.values_list("corrected_id", "correction_id")) == {
        (rejected.pk, first.pk), (first.pk, third.pk)}
    assert second.pk not in CaseCorrection.objects.values_list("correction_id", flat=True)
