"""Authentication and the JSON error answers every endpoint shares."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from portal.core.services import api_token_issue

pytestmark = pytest.mark.django_db


def test_a_request_without_credentials_gets_401_in_spanish(client):
    """No session and no token: 401 with a Spanish message and a WWW-Authenticate header."""
    response = client.get("/api/v1/tasks/")

    assert response.status_code == 401
    assert response.json() == {"detail": "Las credenciales de autenticación no se proveyeron."}
    assert response.headers["WWW-Authenticate"].startswith("Token")


def test_a_token_authenticates_api_requests(client, org, officer, case):
    """Authorization: Token <key> reaches the inbox of the token's owner."""
    _instance, _requester, director, task = case
    token = api_token_issue(user=director)

    response = client.get("/api/v1/tasks/", HTTP_AUTHORIZATION=f"Token {token.key}")

    assert response.status_code == 200
    assert [row["id"] for row in response.json()["results"]] == [task.pk]


def test_a_session_write_without_the_csrf_token_is_a_403_in_spanish(case):
    """With session authentication a POST must carry the CSRF token; without it, 403 in Spanish."""
    _instance, _requester, director, task = case
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(director)

    response = browser.post(f"/api/v1/tasks/{task.pk}/claim/", "{}", content_type="application/json")

    assert response.status_code == 403
    assert response.json()["detail"].startswith("Falta el token CSRF")
    task.refresh_from_db()
    assert task.claimed_by is None


def test_an_invalid_token_gets_401(client):
    """A wrong token is refused with 401, not treated as anonymous."""
    response = client.get("/api/v1/tasks/", HTTP_AUTHORIZATION="Token " + "0" * 40)

    assert response.status_code == 401
    assert response.json()["detail"] == "Token inválido."


def test_not_yours_and_does_not_exist_answer_the_same_404(api, case, officer):
    """Another UGEL's task and a task id that does not exist get byte-identical 404s."""
    _instance, _requester, _director, task = case
    client = api(officer("especialista_siagie_ugel", "UGEL-04"))

    foreign = client.get(f"tasks/{task.pk}/")
    missing = client.get(f"tasks/{task.pk + 10_000}/")

    assert foreign.status_code == missing.status_code == 404
    assert foreign.content == missing.content
    assert foreign.json() == {"detail": "No encontrado."}


def test_a_non_numeric_id_is_a_json_404(api, officer, org):
    """/tasks/abc/ is not found, answered as JSON like every other 404."""
    response = api(officer("director_ie", "0584714-0")).get("tasks/abc/")

    assert response.status_code == 404
    assert response.json() == {"detail": "No encontrado."}


def test_an_unknown_api_path_is_a_json_404(api, officer, org):
    """A path under /api/v1/ that no endpoint serves answers JSON, not an HTML page."""
    response = api(officer("director_ie", "0584714-0")).get("no-existe/")

    assert response.status_code == 404
    assert response.json() == {"detail": "No encontrado."}


def test_malformed_json_is_a_400_in_spanish(client, case):
    """A body that is not JSON gets 400 with a Spanish message, not the parser's English."""
    _instance, _requester, director, task = case
    client.force_login(director)

    response = client.post(f"/api/v1/tasks/{task.pk}/complete/", "{no es json", content_type="application/json")

    assert response.status_code == 400
    assert response.json() == {"detail": "El contenido enviado no es JSON válido."}


def test_a_10_mb_body_is_refused_with_413_in_spanish(client, case):
    """A 10 MB JSON body is refused before parsing with a clean JSON 413, never a 500."""
    _instance, _requester, director, task = case
    client.force_login(director)
    body = json.dumps({"data": {"usuario_siagie": "x" * (10 * 1024 * 1024)}})

    response = client.post(f"/api/v1/tasks/{task.pk}/complete/", body, content_type="application/json")

    assert response.status_code == 413
    assert response.json() == {"detail": "El contenido enviado es demasiado grande."}
    task.refresh_from_db()
    assert task.state == "open"


def test_a_form_encoded_body_is_refused_with_415(client, case):
    """The API reads JSON only; a form-encoded body gets 415 in Spanish."""
    _instance, _requester, director, task = case
    client.force_login(director)

    response = client.post(f"/api/v1/tasks/{task.pk}/complete/", {"cumple_requisitos": "si"})

    assert response.status_code == 415
    assert "incompatible" in response.json()["detail"]


def test_data_that_is_not_an_object_is_a_field_error(api, case):
    """"data" must be a JSON object; anything else is a 400 naming the field."""
    _instance, _requester, director, task = case

    response = api(director).post(f"tasks/{task.pk}/complete/", {"data": ["si"]})

    assert response.status_code == 400
    body = response.json()
    assert body["detail"] == "Revise los campos marcados."
    assert list(body["errors"]) == ["data"]


def test_a_bad_filter_value_is_a_field_error(api, officer, org):
    """?due=pronto is not one of the due filters: 400 naming `due`."""
    response = api(officer("director_ie", "0584714-0")).get("tasks/", {"due": "pronto"})

    assert response.status_code == 400
    assert "due" in response.json()["errors"]
