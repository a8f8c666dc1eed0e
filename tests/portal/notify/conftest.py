"""Fixtures for the notifications outbox: people to inform and a way to run the worker."""

from __future__ import annotations

import pytest
from django.core.management import call_command


@pytest.fixture
def rosa(django_user_model):
    return django_user_model.objects.create_user(
        username="rosa", email="rosa.quispe@example.pe", password="clave-segura-2026",
        first_name="Rosa", last_name="Quispe")


@pytest.fixture
def juan(django_user_model):
    return django_user_model.objects.create_user(
        username="juan", email="juan.perez@example.pe", password="clave-segura-2026",
        first_name="Juan", last_name="Pérez")


@pytest.fixture
def run_worker():
    """run_worker() → one pass of the real background worker: the periodic sweep, then
    every queued task."""

    def run() -> None:
        call_command("run_worker", batch=True, verbosity=0)

    return run


CONTEXT = {"nombre": "Rosa Quispe", "expediente": 12, "mensaje": "Su solicitud fue aprobada."}
