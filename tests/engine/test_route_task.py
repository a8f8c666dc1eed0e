"""engine.route_task: an open, unclaimed task moves to another (role, unit), flagged,
keeping the (role, unit) it first came from; routed home again, the flag goes."""

from __future__ import annotations

import pytest

from engine import services
from engine.errors import ConflictError
from engine.models import AuditAction, AuditEvent

from .conftest import open_task
from .test_four_eyes import BPMN


@pytest.mark.django_db
def test_a_task_goes_up_and_comes_back_audited(engine_registry, user):
    services.deploy(content=BPMN, source="cuatro_ojos.bpmn")
    inst = services.start(key="cuatro_ojos", org_unit="IE-1", started_by=user)
    row = open_task(inst, "verificar")

    services.route_task(task_id=row.pk, role="supervisor", unit="UGEL-1", note="Sin titular")
    services.route_task(task_id=row.pk, role="jefe", unit="DRE-1", note="Tampoco")
    row.refresh_from_db()
    assert (row.role, row.unit, row.home_role, row.home_unit) == ("jefe", "DRE-1", "revisor", "IE-1")
    assert row.escalated_at is not None and row.escalation_note == "Tampoco" and row.routed == "unheld"

    services.route_task(task_id=row.pk, role="revisor", unit="IE-1", note="Hay titular")
    row.refresh_from_db()
    assert (row.role, row.unit, row.home_role, row.routed, row.escalated_at) == ("revisor", "IE-1", "", "", None)
    moves = AuditEvent.objects.filter(instance=inst, action=AuditAction.ROUTE).order_by("pk")
    assert [(e.data["from_unit"], e.unit, e.data["back"]) for e in moves] == [
        ("IE-1", "UGEL-1", False), ("UGEL-1", "DRE-1", False), ("DRE-1", "IE-1", True)]


@pytest.mark.django_db
def test_a_claimed_task_is_not_moved(engine_registry, user, other_user):
    services.deploy(content=BPMN, source="cuatro_ojos.bpmn")
    inst = services.start(key="cuatro_ojos", org_unit="IE-1", started_by=user)
    row = open_task(inst, "verificar")
    services.claim(task_id=row.pk, user=other_user)
    with pytest.raises(ConflictError):
        services.route_task(task_id=row.pk, role="supervisor", unit="UGEL-1", note="x")
    row.refresh_from_db()
    assert (row.role, row.unit) == ("revisor", "IE-1")
