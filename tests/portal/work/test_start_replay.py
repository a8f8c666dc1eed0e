"""A start sent again under the same token (the API's Idempotency-Key, the page's `_envio`):
the token and its case are stored together, so a crash leaves neither; the same request
again gets the first case; the same token with other data is refused."""

from __future__ import annotations

import re
import threading
import uuid
from pathlib import Path

import pytest
from django.db import connection
from django.test import Client

from engine import services as engine_services
from engine import step as engine_step
from engine.models import Incident, InstanceStatus, ProcessInstance
from engine.runtime import EngineFailure
from portal.work.models import StartSubmission
from tests.threads import in_threads

from ..conftest import SOLICITUD, html

pytestmark = pytest.mark.django_db

IE = "0584714-0"
KEY = "0b6f1d9e-4c7a-4f0e-9d51-2f3b8a1c6e70"


class Crash(BaseException):
    """The process dying (kill -9) after the case was written and before the commit: no
    `except Exception` runs, only the transaction's rollback."""


@pytest.fixture
def crash_after_start(monkeypatch):
    """The next start writes its case, then the process 'dies' before answering."""
    real = engine_services.start

    def start_then_die(**kwargs):
        real(**kwargs)
        raise Crash

    monkeypatch.setattr(engine_services, "start", start_then_die)
    return lambda: monkeypatch.setattr(engine_services, "start", real)


def test_an_api_start_that_crashed_leaves_no_key_and_can_be_sent_again(api, officer, tramite, crash_after_start):
    """kill -9 during a start, then the same Idempotency-Key again: the case is created
    (201), not refused with "ya se había enviado" while no case exists."""
    client = api(officer("personal_ie", IE))
    with pytest.raises(Crash):
        client.post("processes/tramite_prueba/start/", {"data": SOLICITUD}, HTTP_IDEMPOTENCY_KEY=KEY)
    assert not ProcessInstance.objects.exists() and not StartSubmission.objects.exists()
    crash_after_start()  # the server restarted

    again = client.post("processes/tramite_prueba/start/", {"data": SOLICITUD}, HTTP_IDEMPOTENCY_KEY=KEY)

    assert again.status_code == 201, again.json()
    assert ProcessInstance.objects.get().pk == again.json()["id"]
    assert StartSubmission.objects.get().instance_id == again.json()["id"]


def test_a_page_start_that_crashed_leaves_no_token_and_can_be_sent_again(client, tramite, docente,
                                                                         crash_after_start):
    """The same with the page form's `_envio`: the resent form starts the case."""
    client.force_login(docente)
    token = re.search(r'name="_envio" value="([0-9a-f-]{36})"',
                      html(client.get("/iniciar/tramite_prueba/"))).group(1)
    with pytest.raises(Crash):
        client.post("/iniciar/tramite_prueba/", {**SOLICITUD, "_envio": token})
    assert not ProcessInstance.objects.exists() and not StartSubmission.objects.exists()
    crash_after_start()

    response = client.post("/iniciar/tramite_prueba/", {**SOLICITUD, "_envio": token}, follow=True)

    inst = ProcessInstance.objects.get()
    assert response.redirect_chain == [(f"/expedientes/{inst.pk}/", 302)]
    assert f"Trámite iniciado: expediente N.º {inst.pk}." in html(response)


def test_the_same_key_with_a_different_body_is_refused_with_422(api, officer, tramite):
    """A replay carrying other data is refused (422, in Spanish) instead of silently
    answering with the first case and dropping the new data; the first case is unchanged."""
    client = api(officer("personal_ie", IE))
    first = client.post("processes/tramite_prueba/start/", {"data": SOLICITUD}, HTTP_IDEMPOTENCY_KEY=KEY)
    other = client.post("processes/tramite_prueba/start/", {"data": {**SOLICITUD, "nombres": "Ana"}},
                        HTTP_IDEMPOTENCY_KEY=KEY)

    assert first.status_code == 201
    assert other.status_code == 422
    assert "ya se había enviado con otros datos" in other.json()["detail"]
    inst = ProcessInstance.objects.get()
    assert inst.pk == first.json()["id"]
    assert "Ana" not in str(inst.state)


def test_the_same_key_with_its_keys_in_another_order_is_the_same_request(api, officer, tramite):
    """The body is compared in canonical form: the same fields in another order are a replay (200)."""
    client = api(officer("personal_ie", IE))
    reordered = dict(reversed(list(SOLICITUD.items())))
    first = client.post("processes/tramite_prueba/start/", {"data": SOLICITUD}, HTTP_IDEMPOTENCY_KEY=KEY)
    again = client.post("processes/tramite_prueba/start/", {"data": reordered}, HTTP_IDEMPOTENCY_KEY=KEY)

    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"]


def test_the_page_form_sent_again_with_other_data_shows_why_nothing_was_saved(client, tramite, docente):
    """The page form's `_envio` with other data: the form is shown again (422) with the
    Spanish message and a fresh token, and no second case is created."""
    client.force_login(docente)
    token = str(uuid.uuid4())
    client.post("/iniciar/tramite_prueba/", {**SOLICITUD, "_envio": token})

    response = client.post("/iniciar/tramite_prueba/", {**SOLICITUD, "nombres": "Ana", "_envio": token})

    assert response.status_code == 422
    page = html(response)
    assert "ya se había enviado con otros datos" in page
    assert f'name="_envio" value="{token}"' not in page
    assert ProcessInstance.objects.count() == 1


def test_a_start_whose_step_failed_keeps_its_case_and_the_key_names_it(api, officer, tramite, monkeypatch):
    """A start whose engine step fails keeps the case with an incident (202); the key is
    stored with that case, so the same request again answers with it instead of filing another."""
    def failing_engine(ctx, act):
        raise EngineFailure(RuntimeError("falla de prueba"), "")

    monkeypatch.setattr(engine_step, "run_engine", failing_engine)
    client = api(officer("personal_ie", IE))
    first = client.post("processes/tramite_prueba/start/", {"data": SOLICITUD}, HTTP_IDEMPOTENCY_KEY=KEY)
    again = client.post("processes/tramite_prueba/start/", {"data": SOLICITUD}, HTTP_IDEMPOTENCY_KEY=KEY)

    assert first.status_code == 202
    inst = ProcessInstance.objects.get()
    assert inst.status == InstanceStatus.INCIDENT and Incident.objects.get().instance_id == inst.pk
    assert StartSubmission.objects.get().instance_id == inst.pk
    assert again.status_code == 200 and again.json()["id"] == inst.pk


def test_another_users_request_with_the_same_key_is_a_request_of_its_own(api, officer, tramite):
    """Two officers whose clients happen to send the same Idempotency-Key: each gets their
    own case (201), neither is told "ya se había enviado" nor learns of the other's case."""
    first = api(officer("personal_ie", IE)).post("processes/tramite_prueba/start/", {"data": SOLICITUD},
                                                 HTTP_IDEMPOTENCY_KEY=KEY)
    second = api(officer("personal_ie", IE)).post("processes/tramite_prueba/start/", {"data": SOLICITUD},
                                                  HTTP_IDEMPOTENCY_KEY=KEY)

    assert (first.status_code, second.status_code) == (201, 201), second.json()
    assert first.json()["id"] != second.json()["id"]
    assert ProcessInstance.objects.count() == 2


def test_the_same_key_for_another_process_starts_that_process(api, officer, tramite):
    """A client that reuses one key for requests to two processes: the second process
    starts too (the key is scoped to the process, like an Idempotency-Key to its endpoint)."""
    content = (Path(__file__).parents[1] / "processes" / "tramite_prueba.bpmn").read_text()
    engine_services.deploy(content=content.replace("tramite_prueba", "tramite_otro").encode(),
                           source="tramite_otro.bpmn")
    client = api(officer("personal_ie", IE))
    first = client.post("processes/tramite_prueba/start/", {"data": SOLICITUD}, HTTP_IDEMPOTENCY_KEY=KEY)
    other = client.post("processes/tramite_otro/start/", {"data": SOLICITUD}, HTTP_IDEMPOTENCY_KEY=KEY)

    assert (first.status_code, other.status_code) == (201, 201), other.json()
    assert ProcessInstance.objects.get(pk=other.json()["id"]).definition.key == "tramite_otro"


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_three_simultaneous_sends_of_one_key_get_the_one_case(officer, tramite):
    """Three sends of the same start at once (a client retrying on a slow network): one
    case; the first answer is 201, the other two 200 with that case."""
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: concurrent writers wait on the key's unique index, "
                    "SQLite has one database-wide write lock")
    requester = officer("personal_ie", IE)
    barrier = threading.Barrier(3)

    def send() -> tuple[int, int]:
        client = Client()
        client.force_login(requester)
        barrier.wait(timeout=10)
        response = client.post("/api/v1/processes/tramite_prueba/start/", {"data": SOLICITUD},
                               content_type="application/json", HTTP_IDEMPOTENCY_KEY=KEY)
        return response.status_code, response.json().get("id")

    results = in_threads({f"send{i}": send for i in range(3)})

    inst = ProcessInstance.objects.get()
    assert sorted(results.values()) == [(200, inst.pk), (200, inst.pk), (201, inst.pk)], results
    assert StartSubmission.objects.get().instance_id == inst.pk
