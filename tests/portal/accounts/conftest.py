"""Fixtures for the account layer: the Especialista SIAGIE of UGEL-03 who processes altas
of Directors, and an `alta` helper with a complete, valid request."""

from __future__ import annotations

import pytest

from portal.accounts import services
from portal.orgs.models import Role

IE = "0584714-0"  # AUGUSTO B. LEGUIA, UGEL-03


def role(code: str) -> Role:
    return Role.objects.get(code=code)


@pytest.fixture
def verifier(officer):
    return officer("especialista_siagie_ugel", "UGEL-03")


@pytest.fixture
def alta(org, verifier):
    """alta(**overrides) → AltaResult: Rosa Elena Quispe Mamani as Director of IE 0584714-0."""

    def do(**overrides):
        params = {"nombres": "Rosa Elena", "apellidos": "Quispe Mamani", "document_number": "45871236",
                  "email": "rosa.quispe@example.pe", "role": role("director_ie"), "unit": org[IE],
                  "by": verifier, "reason": "Oficio 123-2026 y RD 0456-2026", "replace_holder": False}
        params.update(overrides)
        return services.account_alta(**params)

    return do


@pytest.fixture
def baja(org, verifier):
    def do(**overrides):
        params = {"document_number": "45871236", "role": role("director_ie"), "unit": org[IE],
                  "by": verifier, "reason": "Oficio 200-2026: cese"}
        params.update(overrides)
        return services.account_baja(**params)

    return do


# The real account procedures and people with a DNI, shared with tests/portal/cuentas.
from tests.portal.cuentas.conftest import cuentas, person  # noqa: E402, F401
