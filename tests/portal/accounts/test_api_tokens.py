"""The alta/baja procedures and API tokens: a baja kills the person's tokens."""

from __future__ import annotations

import pytest
from django.test import Client

from portal.accounts import services as accounts
from portal.core.models import ApiToken
from portal.core.services import api_token_issue
from portal.orgs.models import Role

pytestmark = pytest.mark.django_db


def test_a_baja_through_the_procedure_service_kills_the_persons_api_tokens(cuentas, person, org):
    """account_baja ends the position and closes the account: the token answers 401."""
    docente = person("personal_ie", "0584714-0")
    admin = person("administrador_siagie", "MINEDU-UE")
    key = api_token_issue(user=docente).key
    assert Client().get("/api/v1/tasks/", HTTP_AUTHORIZATION=f"Token {key}").status_code == 200

    result = accounts.account_baja(document_number=docente.dni, role=Role.objects.get(code="personal_ie"),
                                   unit=org["0584714-0"], by=admin, reason="Cese por rotación.")

    assert result.deactivated
    assert ApiToken.objects.get(user=docente).revoked_reason == "baja"
    assert Client().get("/api/v1/tasks/", HTTP_AUTHORIZATION=f"Token {key}").status_code == 401
