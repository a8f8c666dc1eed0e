"""Tasks of a nivel (issue 11 §4): a user task's `nivelFrom` / `nivel` gives it the
nivel educativo, and of the UGEL's Especialistas del nivel educativo only that nivel's
works it (inbox, counts, task page, API, engine); the other sees it read-only, as a
supervisor of the UGEL. The properties only make sense on a role held per nivel."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine import services as engine
from engine.errors import ConflictError, DeploymentError
from engine.models import HumanTask, HumanTaskState
from portal.orgs.access import scope_for
from portal.work import selectors
from portal.work import services as work
from tests.portal.conftest import Api

pytestmark = pytest.mark.django_db

BPMN = (Path(__file__).parent.parent / "processes" / "nivel_prueba.bpmn").read_text(encoding="utf-8")


@pytest.fixture
def nivel_case(org, officer):
    """Two nivel specialists of UGEL 03 and a consulta for secundaria."""
    engine.deploy(content=BPMN, source="nivel_prueba.bpmn")
    primaria = officer("especialista_nivel_educativo", "UGEL-03", nivel="primaria")
    secundaria = officer("especialista_nivel_educativo", "UGEL-03", nivel="secundaria")
    instance = engine.start(key="nivel_prueba", data={"consulta": {"nivel": "secundaria"}}, org_unit="UGEL-03")
    return HumanTask.objects.get(instance=instance), primaria, secundaria


def test_the_task_carries_its_nivel_and_only_that_specialist_has_it_in_the_pool(nivel_case):
    task, primaria, secundaria = nivel_case
    assert (task.role, task.unit, task.nivel) == ("especialista_nivel_educativo", "UGEL-03", "secundaria")
    assert task.escalated_at is None

    assert [t.pk for t in selectors.inbox(scope_for(secundaria))] == [task.pk]
    assert list(selectors.inbox(scope_for(primaria))) == []
    assert [row["n"] for row in selectors.inbox_counts(scope_for(secundaria))] == [1]
    assert selectors.inbox_counts(scope_for(primaria)) == []
    # The other nivel's specialist supervises the UGEL: he sees it, read-only.
    assert [t.pk for t in selectors.supervision(scope_for(primaria))] == [task.pk]


def test_the_other_nivel_cannot_claim_or_complete_it_anywhere(nivel_case, client):
    task, primaria, _secundaria = nivel_case
    client.force_login(primaria)
    page = client.get(f"/tareas/{task.pk}/")
    assert page.status_code == 200 and "/tomar/" not in page.content.decode()
    assert client.post(f"/tareas/{task.pk}/tomar/").status_code == 403
    api = Api(client, primaria)
    assert api.post(f"tasks/{task.pk}/claim/").status_code == 403
    assert api.post(f"tasks/{task.pk}/complete/", {"data": {}}).status_code == 403
    with pytest.raises(ConflictError, match="nivel secundaria"):
        engine.claim(task_id=task.pk, user=primaria)
    with pytest.raises(ConflictError, match="nivel secundaria"):
        engine.complete(task_id=task.pk, user=primaria, data={})
    task.refresh_from_db()
    assert task.state == HumanTaskState.OPEN and task.claimed_by_id is None


def test_the_nivels_specialist_claims_and_completes_it(nivel_case, client):
    task, _primaria, secundaria = nivel_case
    api = Api(client, secundaria)
    assert api.post(f"tasks/{task.pk}/claim/").status_code == 200
    work.task_complete(user=secundaria, task_pk=task.pk, data={})
    task.refresh_from_db()
    assert task.state == HumanTaskState.COMPLETED and task.completed_by == secundaria


def test_a_fixed_nivel_property_works_the_same(org, officer):
    engine.deploy(content=BPMN.replace('name="nivelFrom" value="consulta.nivel"', 'name="nivel" value="primaria"'),
                  source="nivel_prueba.bpmn")
    primaria = officer("especialista_nivel_educativo", "UGEL-03", nivel="primaria")
    officer("especialista_nivel_educativo", "UGEL-03", nivel="secundaria")
    instance = engine.start(key="nivel_prueba", data={}, org_unit="UGEL-03")
    task = HumanTask.objects.get(instance=instance)
    assert task.nivel == "primaria" and [t.pk for t in selectors.inbox(scope_for(primaria))] == [task.pk]


def test_with_no_specialist_of_that_nivel_the_task_is_flagged_where_it_is(org, officer):
    """The nivel specialists have nobody above them (no escalates_to): flagged, listed."""
    engine.deploy(content=BPMN, source="nivel_prueba.bpmn")
    officer("especialista_nivel_educativo", "UGEL-03", nivel="primaria")
    instance = engine.start(key="nivel_prueba", data={"consulta": {"nivel": "secundaria"}}, org_unit="UGEL-03")
    task = HumanTask.objects.get(instance=instance)
    assert task.escalated_at is not None and "(secundaria)" in task.escalation_note
    assert task.pk in [t.pk for t in selectors.unheld_tasks()[0]]


@pytest.mark.parametrize("prop", ["nivel", "nivelFrom"])
def test_a_nivel_on_a_role_not_held_by_nivel_is_refused_at_deploy_naming_the_element(org, prop):
    xml = BPMN.replace('name="especialista_nivel_educativo"', 'name="director_ugel"').replace(
        'name="nivelFrom" value="consulta.nivel"', f'name="{prop}" value="secundaria"')
    with pytest.raises(DeploymentError) as refused:
        engine.deploy(content=xml, source="nivel_prueba.bpmn")
    assert any("revisar" in p and f"'{prop}'" in p and "director_ugel" in p for p in refused.value.problems)
