"""The step's lean writes behave like the ORM's, errors included."""

from __future__ import annotations

import uuid

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from engine import fastsql, services
from engine.models import HumanTask, HumanTaskState

from .conftest import deploy_diagram, open_tasks

pytestmark = pytest.mark.django_db


def _fields():
    return tuple(f.name for f in HumanTask._meta.concrete_fields if not f.primary_key)


def test_rows_written_in_a_pipeline_read_back_identically(user):
    """Dates, UUIDs and text written by fastsql come back as the ORM would give them."""
    deploy_diagram("user_tasks")
    inst = services.start(key="user_tasks", data={"ugel": "UGEL03"}, org_unit="IE01", started_by=user)
    due = timezone.now().replace(microsecond=123456)
    row = HumanTask(instance=inst, task_id=uuid.uuid4(), element_id="x", title="Título «ñ»",
                    role="director_ie", unit="IE01", due_at=due, created_at=due)
    with transaction.atomic(), fastsql.pipeline():
        fastsql.insert_rows(HumanTask, [row], _fields())
    stored = HumanTask.objects.get(task_id=row.task_id)
    assert (stored.title, stored.due_at, stored.state) == ("Título «ñ»", due, HumanTaskState.OPEN)


def test_a_failing_write_in_a_pipeline_raises_djangos_error_and_rolls_back(user):
    """A constraint violation surfaces as IntegrityError and leaves nothing half-written."""
    deploy_diagram("user_tasks")
    inst = services.start(key="user_tasks", data={"ugel": "UGEL03"}, org_unit="IE01", started_by=user)
    existing = open_tasks(inst)[0]
    duplicate = HumanTask(instance=inst, task_id=existing.task_id, element_id="dup", title="dup",
                          role="director_ie", unit="IE01")
    fresh = HumanTask(instance=inst, task_id=uuid.uuid4(), element_id="new", title="new",
                      role="director_ie", unit="IE01")
    with pytest.raises(IntegrityError), transaction.atomic(), fastsql.pipeline():
        fastsql.insert_rows(HumanTask, [fresh], _fields())
        fastsql.insert_rows(HumanTask, [duplicate], _fields())
    assert not HumanTask.objects.filter(task_id=fresh.task_id).exists()
    assert HumanTask.objects.filter(instance=inst).count() == 1
