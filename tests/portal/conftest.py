"""Portal fixtures: a small org tree, officers holding positions, the test process.

Tree (codes):
MINEDU ─ MINEDU-UE, MINEDU-OTIC, MINEDU-OACIGED
       ─ DRE-LIMA-METROPOLITANA ─ UGEL-03 ─ 0584714-0 (AUGUSTO B. LEGUIA, active)
                                          ─ 1598333-0 (ANTONIO RAIMONDI, inactive)
                                ─ UGEL-04 ─ 0301234-0 (IE 3045, active)
       ─ DRE-CUSCO ─ UGEL-CUSCO ─ 0207001-0 (IE 50001, active)
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from engine import services as engine
from engine.models import HumanTask
from engine.registry import registry
from portal.orgs import services as orgs
from portal.orgs.models import OrgUnit, Role, UnitKind
from portal.schemaforms.loader import SchemaFormCatalogue

HERE = Path(__file__).parent


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """Argon2 costs ~100 ms per user on purpose; portal tests create hundreds of users.
    tests/test_passwords.py checks that the real settings hash with Argon2."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def portal_forms(settings):
    """Portal tests use the forms in tests/portal/forms."""
    settings.ENGINE = {**settings.ENGINE, "FORMS_DIR": str(HERE / "forms")}
    saved = registry.forms
    registry.forms = SchemaFormCatalogue()  # reads FORMS_DIR from settings
    yield
    registry.forms = saved


def _unit(code, name, kind, parent=None, **extra):
    unit = OrgUnit(code=code, name=name, kind=kind, parent=parent, **extra)
    return orgs.unit_save(unit=unit, by=None)


def _ie(codigo, name, ugel, *, active=True, nivel="secundaria", modalidad="EBR", gestion="publica"):
    return _unit("", name, UnitKind.IE, ugel, codigo_modular=codigo[:7], anexo=codigo[-1], nivel=nivel,
                 modalidad=modalidad, gestion=gestion, active=active)


@pytest.fixture
def org(db):
    minedu = _unit("MINEDU", "Ministerio de Educación", UnitKind.MINEDU)
    units = {"MINEDU": minedu}
    for code, name in [("MINEDU-UE", "Unidad de Estadística"), ("MINEDU-OTIC", "OTIC – USAU"),
                       ("MINEDU-OACIGED", "OACIGED")]:
        units[code] = _unit(code, name, UnitKind.MINEDU_OFFICE, minedu)
    lima = units["DRE-LIMA-METROPOLITANA"] = _unit(
        "DRE-LIMA-METROPOLITANA", "DRE Lima Metropolitana", UnitKind.DRE, minedu)
    cusco = units["DRE-CUSCO"] = _unit("DRE-CUSCO", "DRE Cusco", UnitKind.DRE, minedu)
    u03 = units["UGEL-03"] = _unit("UGEL-03", "UGEL 03 Breña", UnitKind.UGEL, lima)
    u04 = units["UGEL-04"] = _unit("UGEL-04", "UGEL 04 Comas", UnitKind.UGEL, lima)
    ucus = units["UGEL-CUSCO"] = _unit("UGEL-CUSCO", "UGEL Cusco", UnitKind.UGEL, cusco)
    units["0584714-0"] = _ie("0584714-0", "AUGUSTO B. LEGUIA", u03)
    units["1598333-0"] = _ie("1598333-0", "ANTONIO RAIMONDI", u03, active=False)
    units["0301234-0"] = _ie("0301234-0", "IE 3045", u04, nivel="primaria")
    units["0207001-0"] = _ie("0207001-0", "IE 50001", ucus, nivel="primaria")
    return units


@pytest.fixture
def officer(org, django_user_model):
    """officer("director_ie", "0584714-0") → a user holding that position."""
    counter = {"n": 0}

    def make(role: str, unit: str, *, username: str | None = None, nivel: str = ""):
        counter["n"] += 1
        user = django_user_model.objects.create_user(
            username=username or f"{role}-{unit}-{counter['n']}".lower(), password="clave-segura-2026",
            first_name="Persona", last_name=f"Prueba {counter['n']}")
        orgs.position_assign(user=user, role=Role.objects.get(code=role), unit=org[unit], by=None, nivel=nivel)
        return user

    return make


@pytest.fixture
def admin_user(django_user_model):
    return django_user_model.objects.create_superuser(username="admin", password="clave-segura-2026")


@pytest.fixture
def tramite(db):
    """The test process deployed: personal_ie requests, director_ie verifies, the UGEL registers."""
    content = (HERE / "processes" / "tramite_prueba.bpmn").read_bytes()
    return engine.deploy(content=content, source="tramite_prueba.bpmn")[0].definition


SOLICITUD = {"nombres": "Rosa", "apellidos": "Quispe Mamani", "dni": "45871236",
             "correo": "rosa.quispe@example.pe", "cargo": "docente"}


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
    from portal.work import services

    requester = officer("personal_ie", "0584714-0")
    director = officer("director_ie", "0584714-0")
    instance = services.process_start(user=requester, key="tramite_prueba", data=SOLICITUD)
    return instance, requester, director, HumanTask.objects.get(instance=instance)


def html(response) -> str:
    return response.content.decode()
