"""A task whose (role, unit) nobody holds goes up (issue 11 §6): a baja that leaves the
post empty moves its open, unclaimed tasks to the supervising role (roles.json
`escalates_to`), flagged; designating someone to the post brings them back; a task born
while the post is vacant goes up at once. With nobody above, it stays, flagged, on the
administrators' list of tasks without a holder."""

from __future__ import annotations

import pytest

from engine import services as engine
from engine.models import AuditAction, AuditEvent, HumanTask, TaskRouting
from portal.orgs import services as orgs
from portal.orgs.access import scope_for
from portal.orgs.models import OrgUnit, Position, Role
from portal.work import selectors
from portal.work import services as work
from portal.work.timeline import build
from tests.portal.conftest import SOLICITUD

pytestmark = pytest.mark.django_db

IE = "0584714-0"  # AUGUSTO B. LEGUIA, UGEL-03


def _director_leaves(director) -> None:
    orgs.position_end(position=Position.objects.get(user=director, until__isnull=True), by=None,
                      reason="Baja por RD 0123-2026")


def test_a_directors_baja_sends_the_ies_open_task_to_the_ugel_specialist_flagged(case, officer):
    instance, _requester, director, task = case
    specialist = officer("especialista_siagie_ugel", "UGEL-03")
    engine.claim(task_id=task.pk, user=director)  # his claim goes back to the pool first

    _director_leaves(director)

    task.refresh_from_db()
    assert (task.role, task.unit) == ("especialista_siagie_ugel", "UGEL-03")
    assert (task.home_role, task.home_unit, task.routed) == ("director_ie", IE, TaskRouting.UNHELD)
    assert task.claimed_by_id is None and task.escalated_at is not None
    assert task.escalation_note == ("Derivada a Especialista SIAGIE UGEL (UGEL 03 Breña): nadie ocupa el puesto "
                                    "de Director IE en AUGUSTO B. LEGUIA.")
    assert AuditEvent.objects.filter(task_id=task.task_id, action=AuditAction.ROUTE).count() == 1
    assert [t.pk for t in selectors.inbox(scope_for(specialist))] == [task.pk]
    assert task.pk not in [t.pk for t in selectors.unheld_tasks()[0]]  # someone can work it
    assert any("pasó a Especialista SIAGIE UGEL (UGEL 03 Breña)" in e.text for e in build(instance, staff=True))


def test_designating_a_new_director_brings_the_task_back_and_clears_the_flag(case, officer, django_user_model):
    instance, _requester, director, task = case
    officer("especialista_siagie_ugel", "UGEL-03")
    _director_leaves(director)
    newcomer = django_user_model.objects.create_user(username="nueva.directora", password="x" * 12)

    orgs.position_assign(user=newcomer, role=Role.objects.get(code="director_ie"),
                         unit=OrgUnit.objects.get(code=IE), by=None, reason="RD 0456-2026")

    task.refresh_from_db()
    assert (task.role, task.unit) == ("director_ie", IE)
    assert task.escalated_at is None and task.escalation_note == "" and task.routed == ""
    assert task.home_role == "" and task.home_unit == ""
    back = AuditEvent.objects.filter(task_id=task.task_id, action=AuditAction.ROUTE).order_by("pk").last()
    assert back.data["back"] is True and back.role == "director_ie"
    work.task_complete(user=newcomer, task_pk=task.pk, data={"cumple_requisitos": "si"})
    assert any("volvió a Director IE (AUGUSTO B. LEGUIA)" in e.text for e in build(instance, staff=True))


def test_a_task_claimed_upstairs_stays_there_when_a_director_is_designated(case, officer, django_user_model):
    _instance, _requester, director, task = case
    specialist = officer("especialista_siagie_ugel", "UGEL-03")
    _director_leaves(director)
    engine.claim(task_id=task.pk, user=specialist)
    newcomer = django_user_model.objects.create_user(username="nueva.directora", password="x" * 12)

    orgs.position_assign(user=newcomer, role=Role.objects.get(code="director_ie"),
                         unit=OrgUnit.objects.get(code=IE), by=None, reason="RD 0456-2026")

    task.refresh_from_db()
    assert (task.role, task.unit, task.claimed_by_id) == ("especialista_siagie_ugel", "UGEL-03", specialist.pk)


def test_a_task_born_while_the_post_is_vacant_goes_up_at_once(org, officer, tramite):
    requester = officer("personal_ie", IE)
    specialist = officer("especialista_siagie_ugel", "UGEL-03")

    instance = work.process_start(user=requester, key="tramite_prueba", data=SOLICITUD)

    task = HumanTask.objects.get(instance=instance)
    assert (task.role, task.unit) == ("especialista_siagie_ugel", "UGEL-03")
    assert task.routed == TaskRouting.UNHELD and task.escalated_at is not None
    assert "nadie ocupa el puesto de Director IE en AUGUSTO B. LEGUIA" in task.escalation_note
    assert [t.pk for t in selectors.inbox(scope_for(specialist))] == [task.pk]


def test_with_nobody_up_the_chain_a_new_task_stays_flagged_and_is_listed_for_the_administrators(
        org, officer, tramite):
    """Neither a Director, nor a UGEL specialist, nor a UGEL Director: it stays with the IE."""
    requester = officer("personal_ie", IE)

    instance = work.process_start(user=requester, key="tramite_prueba", data=SOLICITUD)

    task = HumanTask.objects.get(instance=instance)
    assert (task.role, task.unit) == ("director_ie", IE) and task.escalated_at is not None
    assert "no hay a quién derivarla" in task.escalation_note
    assert task.pk in [t.pk for t in selectors.unheld_tasks()[0]]
    # Once a Director is designated, it is theirs and the flag goes.
    director = officer("director_ie", IE)
    task.refresh_from_db()
    assert task.escalated_at is None and [t.pk for t in selectors.inbox(scope_for(director))] == [task.pk]
    assert task.pk not in [t.pk for t in selectors.unheld_tasks()[0]]
