"""The audit trail cannot be rewritten, not even with plain SQL."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction

from engine import services
from engine.models import AuditEvent

from .conftest import deploy_diagram

pytestmark = pytest.mark.django_db


def _one_event(user) -> AuditEvent:
    deploy_diagram("user_tasks")
    inst = services.start(key="user_tasks", data={"ugel": "UGEL03"}, org_unit="IE01", started_by=user)
    return AuditEvent.objects.filter(instance=inst).first()


def test_an_audit_event_cannot_be_changed_through_the_model(user):
    """Saving an existing audit event raises instead of rewriting history."""
    event = _one_event(user)
    event.action = "cancel"
    with pytest.raises(ValueError, match="append-only"):
        event.save()
    with pytest.raises(ValueError, match="append-only"):
        event.delete()


def test_the_database_refuses_to_update_an_audit_row(user):
    """Even a raw UPDATE is refused by the database, so a script cannot falsify the trail."""
    event = _one_event(user)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("UPDATE engine_auditevent SET action = 'cancel' WHERE id = %s", [event.pk])
    assert AuditEvent.objects.get(pk=event.pk).action == "start"


def test_postgresql_refuses_to_delete_an_audit_row(user):
    """On PostgreSQL a raw DELETE of an audit row is refused as well."""
    if connection.vendor != "postgresql":
        pytest.skip("SQLite keeps DELETE for Django's flush; only PostgreSQL refuses it")
    event = _one_event(user)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM engine_auditevent WHERE id = %s", [event.pk])
    assert AuditEvent.objects.filter(pk=event.pk).exists()
