"""The permission matrix (tests/portal/matrix.py) answered through the pages.

For each role, one officer and three tasks (own unit, another unit of the same level, a
unit below); every page answer is compared with `matrix.expected`. Hidden records answer
404 exactly like missing ones; visible-but-not-yours answers 403.
"""

from __future__ import annotations

import pytest

from engine import services as engine
from engine.models import HumanTask, HumanTaskState
from portal.orgs.roles import catalogue

from .. import matrix

pytestmark = pytest.mark.django_db

ROLES = sorted(catalogue())
VALID = {"usuario_siagie": "usuario.prueba"}  # registrar_prueba, the form of every matrix task


def small_world(officer, role_code: str) -> tuple[object, dict[str, HumanTask]]:
    """The matrix world for one role: its officer and its own / other / below tasks."""
    role = catalogue()[role_code]
    below_role, below_unit = matrix.below_task_role(role)
    other_role, other_unit = matrix.other_task_role(role)
    for code in {role_code, below_role, other_role}:
        engine.deploy(content=matrix.process_xml(code), source=f"m_{code}.bpmn")
    user = officer(role_code, matrix.own_unit(role), username=f"m-{role_code}",
                   nivel="secundaria" if role.get("per_nivel") else "")
    if (below_role, below_unit) != (role_code, matrix.own_unit(role)):
        # The post below is held (as in the API's world): a vacant one would send its task
        # up the escalation chain, to the officer's own desk.
        officer(below_role, below_unit)

    def task(code: str, unit: str) -> HumanTask:
        inst = engine.start(key=f"m_{code}", data={"unidad_tarea": unit}, org_unit=unit)
        return HumanTask.objects.get(instance=inst)

    tasks = {
        "own": task(role_code, matrix.own_unit(role)),
        "other": task(other_role, other_unit),
        "below": task(below_role, below_unit),
    }
    return user, tasks


def denied(role: str, relation: str) -> int:
    """404 when the officer may not even see the task, else 403."""
    return 403 if matrix.expected(role, relation, "see") else 404


@pytest.mark.parametrize("role", ROLES)
def test_task_pages_follow_the_matrix(client, officer, role):
    """Task page, claim and complete answer as the matrix says for own, other and below tasks."""
    user, tasks = small_world(officer, role)
    client.force_login(user)
    for relation in matrix.RELATIONS:
        task = tasks[relation]
        page = client.get(f"/tareas/{task.pk}/")
        assert page.status_code == (200 if matrix.expected(role, relation, "see") else 404), (role, relation)

        claim = client.post(f"/tareas/{task.pk}/tomar/")
        if matrix.expected(role, relation, "claim"):
            assert claim.status_code == 302, (role, relation)
            task.refresh_from_db()
            assert task.claimed_by == user
        else:
            assert claim.status_code == denied(role, relation), (role, relation)
            task.refresh_from_db()
            assert task.claimed_by is None

        version = task.instance.lock_version
        complete = client.post(f"/tareas/{task.pk}/", {**VALID, "_version": version})
        task.refresh_from_db()
        if matrix.expected(role, relation, "complete"):
            assert complete.status_code == 302 and complete["Location"] == "/bandeja/", (role, relation)
            assert task.state == HumanTaskState.COMPLETED
        else:
            assert complete.status_code == denied(role, relation), (role, relation)
            assert task.state == HumanTaskState.OPEN


@pytest.mark.parametrize("role", ROLES)
def test_start_and_administration_pages_follow_the_matrix(client, officer, role):
    """The start page of the role's own process opens (another role's answers 403), and
    the administration pages open only for administrators."""
    other_role = "usau_otic" if role != "usau_otic" else "oficial_oaciged"
    for code in (role, other_role):
        engine.deploy(content=matrix.process_xml(code), source=f"m_{code}.bpmn")
    entry = catalogue()[role]
    user = officer(role, matrix.own_unit(entry), nivel="secundaria" if entry.get("per_nivel") else "")
    client.force_login(user)

    own = client.get(f"/iniciar/m_{role}/")
    assert own.status_code == (200 if matrix.expected(role, "own", "start") else 403)
    assert client.get(f"/iniciar/m_{other_role}/").status_code == 403
    listed = client.get("/iniciar/").content.decode()
    assert (f"/iniciar/m_{role}/" in listed) == matrix.expected(role, "own", "start")
    assert f"/iniciar/m_{other_role}/" not in listed

    admin_status = 200 if matrix.expected(role, "own", "administer") else 403
    for url in ("/administracion/unidades/", "/administracion/unidades/UGEL-03/",
                "/administracion/unidades/nueva/", "/administracion/expedientes/"):
        assert client.get(url).status_code == admin_status, url


def test_forbidden_page_explains_in_spanish(client, officer):
    """A 403 answer is a page that says, in Spanish, why the action is not allowed."""
    client.force_login(officer("personal_ie", "0584714-0"))

    response = client.get("/administracion/unidades/")

    assert response.status_code == 403
    assert "Esta acción es solo para administradores." in response.content.decode()
    assert "Acción no permitida" in response.content.decode()
