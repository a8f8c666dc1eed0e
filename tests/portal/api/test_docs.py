import re

import pytest
from django.contrib.auth import get_user_model
from django.contrib.staticfiles import finders

pytestmark = pytest.mark.django_db


def test_schema_is_an_openapi_3_document(client):
    """/api/schema/ serves the OpenAPI 3 description of the REST API."""
    response = client.get("/api/schema/", {"format": "json"})

    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    assert schema["info"]["title"] == "SIAGIE Flujos API"
    assert "/api/token/" in schema["paths"]


def test_swagger_ui_loads_only_local_static_assets(client):
    """/api/docs/ works offline: every script and stylesheet is one of our static files."""
    response = client.get("/api/docs/")
    html = response.content.decode()
    urls = re.findall(r'<script[^>]*\ssrc="([^"]+)"', html)
    urls += re.findall(r'<link[^>]*\shref="([^"]+)"', html)

    assert response.status_code == 200
    assert any("swagger-ui" in url for url in urls)
    for url in urls:
        assert not re.match(r"(?:https?:)?//", url), url
        assert url.startswith("/static/"), url
        assert finders.find(url.removeprefix("/static/")), f"missing static file {url}"
    assert not re.search(r'src="(?:https?:)?//', html)


def test_token_endpoint_issues_a_token_for_valid_credentials(client):
    """POST /api/token/ with a username and password returns an API token."""
    get_user_model().objects.create_user(username="integrador", password="clave-api-2026-x")

    response = client.post(
        "/api/token/", {"username": "integrador", "password": "clave-api-2026-x"}
    )

    assert response.status_code == 200
    token = response.json()["token"]
    assert len(token) == 40
    assert client.get("/api/schema/", HTTP_AUTHORIZATION=f"Token {token}").status_code == 200
