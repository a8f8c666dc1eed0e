"""Fixtures for the forms package: test forms in ./forms, uploads in a temporary MEDIA_ROOT."""

from __future__ import annotations

from pathlib import Path

import pytest

from portal.schemaforms import loader

FORMS = Path(__file__).parent / "forms"


@pytest.fixture(autouse=True)
def test_forms(settings):
    """Point the loader at tests/portal/schemaforms/forms with an empty cache."""
    settings.ENGINE = {**settings.ENGINE, "FORMS_DIR": str(FORMS)}
    loader.clear_cache()
    yield FORMS
    loader.clear_cache()


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return tmp_path / "media"


@pytest.fixture
def user(django_user_model):
    return django_user_model.objects.create_user(username="director", password="x" * 12)


@pytest.fixture
def other_user(django_user_model):
    return django_user_model.objects.create_user(username="especialista", password="x" * 12)


@pytest.fixture
def solicitud():
    return loader.load_form("solicitud")


@pytest.fixture
def valid_solicitud() -> dict:
    return {"nombre": "Rosa Quispe Mamani", "dni": "45678912", "nivel": "primaria", "cumple_requisitos": True}
