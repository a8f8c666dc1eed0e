"""The inbox, task detail, claim and complete through the API."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from engine import services as engine
from engine.models import HumanTask
from portal.work import services
from tests.portal.conftest import SOLICITUD
from tests.portal.matrix import process_xml

pytestmark = pytest.mark.django_db


def test_the_inbox_lists_my_workable_tasks_with_their_office(api, case):
    """A task row names the process, the role and the unit in words, and nobody holds it yet."""
    instance, _requester, director, task = case

    response = api(director).get("tasks/")

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1
    row = body["results"][0]
    assert row["id"] == task.pk
    assert row["title"] == "Verificar los requisitos"
    assert (row["process_key"], row["process_name"]) == ("tramite_prueba", "Trámite de prueba")
    assert row["instance"] == instance.pk
    assert (row["role"], row["role_name"]) == ("director_ie", "Director IE")
    assert (row["unit"], row["unit_name"]) == ("0584714-0", "AUGUSTO B. LEGUIA")
    assert row["claimed_by"] is None
    assert row["overdue"] is False
    assert row["due_at"] is not None


def test_the_instance_filter_keeps_one_cases_tasks(api, case, officer):
    """?instance=N lists only that case's tasks (it used to be ignored); a bad value is a 400."""
    instance, requester, director, task = case
    other = services.process_start(user=requester, key="tramite_prueba", data=SOLICITUD)

    everything = api(director).get("tasks/").json()
    only = api(director).get("tasks/", {"instance": instance.pk}).json()
    bad = api(director).get("tasks/", {"instance": "x"})

    assert {row["instance"] for row in everything["results"]} == {instance.pk, other.pk}
    assert [row["id"] for row in only["results"]] == [task.pk]
    assert bad.status_code == 400 and "instance" in bad.json()["errors"]


def test_scope_filters_split_claimable_from_mine(api, case):
    """?scope=claimable lists unclaimed tasks, ?scope=mine the ones I took."""
    _instance, _requester, director, task = case
    client = api(director)
    assert [r["id"] for r in client.get("tasks/", {"scope": "claimable"}).json()["results"]] == [task.pk]
    assert client.get("tasks/", {"scope": "mine"}).json()["results"] == []

    client.post(f"tasks/{task.pk}/claim/")

    assert client.get("tasks/", {"scope": "claimable"}).json()["results"] == []
    mine = client.get("tasks/", {"scope": "mine"}).json()["results"]
    assert [r["id"] for r in mine] == [task.pk]
    assert mine[0]["claimed_by"] == {"id": director.pk, "name": director.get_full_name()}


def test_the_inbox_pages_by_50(api, org, officer):
    """51 workable tasks: the first page has 50 and a link to the second, which has 1."""
    engine.deploy(content=process_xml("director_ie"), source="m_director_ie.bpmn")
    director = officer("director_ie", "0584714-0")
    for _ in range(51):
        engine.start(key="m_director_ie", data={"unidad_tarea": "0584714-0"}, org_unit="0584714-0")
    client = api(director)

    first = client.get("tasks/").json()
    second = client.get("tasks/", {"page": 2}).json()

    assert first["count"] == 51
    assert len(first["results"]) == 50
    assert first["next"].endswith("page=2")
    assert len(second["results"]) == 1
    assert client.get("tasks/", {"page": 3}).status_code == 404


def test_the_inbox_query_count_does_not_grow_with_its_rows(api, org, officer, django_assert_max_num_queries):
    """A page of 20 tasks costs the same queries as a page of one (no query per row)."""
    engine.deploy(content=process_xml("director_ie"), source="m_director_ie.bpmn")
    director = officer("director_ie", "0584714-0")
    client = api(director)
    engine.start(key="m_director_ie", data={"unidad_tarea": "0584714-0"}, org_unit="0584714-0")
    with CaptureQueriesContext(connection) as one:
        client.get("tasks/")
    for _ in range(19):
        engine.start(key="m_director_ie", data={"unidad_tarea": "0584714-0"}, org_unit="0584714-0")

    with django_assert_max_num_queries(len(one.captured_queries)):
        assert client.get("tasks/").json()["count"] == 20


def test_counts_give_open_tasks_per_process_and_the_total(api, case, tramite):
    """/tasks/counts/ counts my workable tasks by process, with their names."""
    _instance, requester, director, _task = case
    services.process_start(user=requester, key="tramite_prueba", data=SOLICITUD)

    response = api(director).get("tasks/counts/")

    assert response.json() == {"total": 2, "processes": [
        {"process_key": "tramite_prueba", "process_name": "Trámite de prueba", "count": 2}]}


def test_task_detail_carries_the_form_the_version_and_the_request(api, case):
    """The detail has the form's JSON schema and UI hints, the instance's lock_version and
    the request being verified."""
    instance, _requester, director, task = case

    body = api(director).get(f"tasks/{task.pk}/").json()

    assert body["form_key"] == "verificar_prueba"
    assert body["form"]["schema"]["required"] == ["cumple_requisitos"]
    assert body["form"]["ui"]["fields"]["cumple_requisitos"]["widget"] == "radio"
    assert body["lock_version"] == instance.lock_version
    assert body["can_work"] is True
    assert body["request_data"] == SOLICITUD
    assert body["data"] == {}


def test_a_supervisor_sees_a_task_read_only(api, case, officer):
    """The UGEL's Especialista SIAGIE supervises the IE: the task is visible with can_work false."""
    _instance, _requester, _director, task = case

    response = api(officer("especialista_siagie_ugel", "UGEL-03")).get(f"tasks/{task.pk}/")

    assert response.status_code == 200
    assert response.json()["can_work"] is False


def test_claim_returns_the_task_held_by_me(api, case):
    """Claiming answers 200 with the task, now held by the caller."""
    _instance, _requester, director, task = case

    response = api(director).post(f"tasks/{task.pk}/claim/")

    assert response.status_code == 200
    assert response.json()["claimed_by"]["id"] == director.pk


def test_unclaim_puts_the_task_back_in_the_pool(api, case):
    """Releasing a claimed task answers 200 with nobody holding it."""
    _instance, _requester, director, task = case
    client = api(director)
    client.post(f"tasks/{task.pk}/claim/")

    response = client.post(f"tasks/{task.pk}/unclaim/")

    assert response.status_code == 200
    assert response.json()["claimed_by"] is None


def test_form_errors_come_back_per_field_in_spanish(api, case):
    """"no" without the observation, and an unknown field: 400 with a Spanish message per
    field, and the task stays open."""
    _instance, _requester, director, task = case

    response = api(director).post(f"tasks/{task.pk}/complete/",
                                  {"data": {"cumple_requisitos": "no", "intruso": "x"}})

    assert response.status_code == 400
    body = response.json()
    assert body["detail"] == "Revise los campos marcados."
    assert set(body["errors"]) >= {"observacion"}
    assert all(isinstance(m, str) and m for msgs in body["errors"].values() for m in msgs)
    assert "obligatorio" in " ".join(body["errors"]["observacion"]).lower()
    task.refresh_from_db()
    assert task.state == "open"


def test_a_second_claim_by_another_holder_is_a_409(api, org, officer):
    """Two personal of the same IE race for a task: the second claim gets 409 in Spanish."""
    engine.deploy(content=process_xml("personal_ie"), source="m_personal_ie.bpmn")
    inst = engine.start(key="m_personal_ie", data={"unidad_tarea": "0584714-0"}, org_unit="0584714-0")
    task = HumanTask.objects.get(instance=inst)
    ana, beto = officer("personal_ie", "0584714-0"), officer("personal_ie", "0584714-0")

    assert api(ana).post(f"tasks/{task.pk}/claim/").status_code == 200
    second = api(beto).post(f"tasks/{task.pk}/claim/")

    assert second.status_code == 409
    assert second.json() == {"detail": "Otra persona ya tomó esta tarea."}


def test_completing_with_a_stale_version_is_a_409(api, case):
    """expected_version older than the instance's lock_version: 409, nothing completed."""
    instance, _requester, director, task = case
    client = api(director)
    version = client.get(f"tasks/{task.pk}/").json()["lock_version"]
    client.post(f"tasks/{task.pk}/claim/")  # claiming does not move the instance on
    instance.refresh_from_db()
    assert instance.lock_version == version

    response = client.post(f"tasks/{task.pk}/complete/",
                           {"data": {"cumple_requisitos": "si"}, "expected_version": version - 1})

    assert response.status_code == 409
    assert "cambió" in response.json()["detail"]
    task.refresh_from_db()
    assert task.state == "open"


def test_completing_a_task_completed_meanwhile_is_a_409(api, case):
    """The director completes in one window, then again in another: the second is a 409."""
    _instance, _requester, director, task = case
    client = api(director)
    assert client.post(f"tasks/{task.pk}/complete/", {"data": {"cumple_requisitos": "si"}}).status_code == 200

    again = client.post(f"tasks/{task.pk}/complete/", {"data": {"cumple_requisitos": "si"}})

    assert again.status_code == 409


def test_hostile_values_are_stored_inert(api, org, officer, tramite):
    """Markup and SQL in the request come back as the very same strings in JSON."""
    requester = officer("personal_ie", "0584714-0")
    director = officer("director_ie", "0584714-0")
    hostile = {**SOLICITUD, "nombres": "<script>alert('x')</script>", "apellidos": "'; DROP TABLE engine_humantask; --"}

    started = api(requester).post("processes/tramite_prueba/start/", {"data": hostile})
    assert started.status_code == 201
    task = HumanTask.objects.get(instance_id=started.json()["id"])
    response = api(director).get(f"tasks/{task.pk}/")

    assert response["Content-Type"] == "application/json"
    assert response.json()["request_data"]["nombres"] == hostile["nombres"]
    assert response.json()["request_data"]["apellidos"] == hostile["apellidos"]
    assert HumanTask.objects.count() == 1
