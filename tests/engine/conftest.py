"""Fixtures for engine tests: tiny diagrams in tests/engine/diagrams, no product code."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine import services
from engine.models import HumanTask, HumanTaskState, ProcessInstance
from engine.registry import DefaultLaneResolver, DirectoryFormCatalogue, registry
from tests.roundtrip import assert_round_trip  # noqa: F401 - the engine tests import it from here

HERE = Path(__file__).parent
DIAGRAMS = HERE / "diagrams"


@pytest.fixture(autouse=True)
def engine_registry():
    """Each test starts with a clean registry: no services, any role, test forms."""
    saved = (dict(registry.services), dict(registry.script_functions),
             registry.lane_resolver, registry.forms)
    registry.services.clear()
    registry.script_functions.clear()
    registry.lane_resolver = DefaultLaneResolver()
    registry.forms = DirectoryFormCatalogue(HERE / "forms")
    yield registry
    registry.services.clear()
    registry.services.update(saved[0])
    registry.script_functions.clear()
    registry.script_functions.update(saved[1])
    registry.lane_resolver, registry.forms = saved[2], saved[3]


@pytest.fixture
def user(django_user_model):
    return django_user_model.objects.create_user(username="oficial", password="x" * 12)


@pytest.fixture
def other_user(django_user_model):
    return django_user_model.objects.create_user(username="otra", password="x" * 12)


def deploy_diagram(name: str, **kwargs):
    """Deploy tests/engine/diagrams/<name>.bpmn and return the first DeployResult."""
    content = (DIAGRAMS / f"{name}.bpmn").read_bytes()
    return services.deploy(content=content, source=f"{name}.bpmn", **kwargs)[0]


def open_tasks(instance: ProcessInstance) -> list[HumanTask]:
    return list(HumanTask.objects.filter(instance=instance, state=HumanTaskState.OPEN).order_by("pk"))


def open_task(instance: ProcessInstance, element_id: str) -> HumanTask:
    return HumanTask.objects.get(instance=instance, state=HumanTaskState.OPEN, element_id=element_id)
