"""Helpers for the REST API tests: JSON requests through Django's test client."""

from __future__ import annotations

import json
from typing import Any

import pytest

from engine.models import HumanTask
from portal.work import services
from tests.portal.conftest import SOLICITUD


class Api:
    """A logged-in (or anonymous) JSON client for /api/v1/."""

    def __init__(self, client, user=None):
        self.client = client
        if user is not None:
            client.force_login(user)

    def get(self, path: str, params: dict | None = None, **extra: Any):
        return self.client.get(f"/api/v1/{path}", params or {}, **extra)

    def post(self, path: str, body: Any = None, **extra: Any):
        return self.client.post(f"/api/v1/{path}", json.dumps(body if body is not None else {}),
                                content_type="application/json", **extra)

    def patch(self, path: str, body: Any, **extra: Any):
        return self.client.patch(f"/api/v1/{path}", json.dumps(body), content_type="application/json", **extra)


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """Argon2 costs ~0.3 s per user and the permission matrix creates sixteen; these tests
    exercise the API, not password storage."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def api(client):
    """api(user) → an Api logged in as `user` (each call logs the same client in again)."""

    def make(user=None) -> Api:
        client.logout()
        return Api(client, user)

    return make


@pytest.fixture
def case(org, officer, tramite):
    """A tramite_prueba instance started by Personal IE of AUGUSTO B. LEGUIA, waiting for
    its Director. Returns (instance, requester, director, task)."""
    requester = officer("personal_ie", "0584714-0")
    director = officer("director_ie", "0584714-0")
    instance = services.process_start(user=requester, key="tramite_prueba", data=SOLICITUD)
    return instance, requester, director, HumanTask.objects.get(instance=instance)
