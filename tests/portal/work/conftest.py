"""Fixtures for the work pages and API: the test process started by a teacher of an IE of
UGEL 03, and the people who work it (see tests/portal/conftest.py for the org tree)."""

from __future__ import annotations

import pytest

from engine.models import HumanTask, HumanTaskState
from portal.work import services

from ..conftest import SOLICITUD

IE = "0584714-0"  # AUGUSTO B. LEGUIA, UGEL-03


@pytest.fixture
def docente(officer):
    return officer("personal_ie", IE, username="docente")


@pytest.fixture
def director(officer):
    return officer("director_ie", IE, username="director")


@pytest.fixture
def start_case(tramite, docente):
    """start_case() → a new instance of the test process, requested by the teacher."""

    def start(**overrides):
        return services.process_start(user=docente, key="tramite_prueba", data={**SOLICITUD, **overrides})

    return start


def open_task(instance, element_id: str) -> HumanTask:
    return HumanTask.objects.get(instance=instance, element_id=element_id, state=HumanTaskState.OPEN)
