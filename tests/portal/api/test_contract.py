"""Answers match the OpenAPI document (what schemathesis found against it): every 400
body fits the documented one, a root unit's null parent is documented, a page that does
not exist is a documented 404, empty filters are refused, /api/token/ documents its codes."""

from __future__ import annotations

import copy

import jsonschema
import pytest

pytestmark = pytest.mark.django_db


@pytest.fixture
def schema(client):
    return client.get("/api/schema/", {"format": "json"}).json()


def _nullable_to_json_schema(node):
    """OpenAPI 3.0's `nullable: true` as JSON Schema says it."""
    if isinstance(node, list):
        return [_nullable_to_json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    node = {key: _nullable_to_json_schema(value) for key, value in node.items()}
    if node.pop("nullable", False):
        return {"anyOf": [node, {"type": "null"}]}
    return node


def assert_matches(schema: dict, path: str, method: str, response) -> None:
    """The response's status is documented for the operation and its body fits."""
    documented = schema["paths"][path][method]["responses"]
    assert str(response.status_code) in documented, (response.status_code, sorted(documented))
    body_schema = documented[str(response.status_code)]["content"]["application/json"]["schema"]
    document = {"components": _nullable_to_json_schema(copy.deepcopy(schema["components"])),
                **_nullable_to_json_schema(body_schema)}
    jsonschema.validate(response.json(), document)


def test_a_400_without_field_errors_matches_the_documented_body(client, schema, admin_user):
    """A rule of the org tree (no field at fault) answers {"detail"} only: documented."""
    client.force_login(admin_user)
    response = client.post("/api/v1/units/", {"code": "UGEL-X", "name": "UGEL X", "kind": "ugel"},
                           content_type="application/json")

    assert response.status_code == 400
    assert_matches(schema, "/api/v1/units/", "post", response)


def test_malformed_json_matches_the_documented_400(client, schema, admin_user):
    client.force_login(admin_user)
    response = client.post("/api/v1/units/", "{no", content_type="application/json")

    assert response.status_code == 400
    assert_matches(schema, "/api/v1/units/", "post", response)


def test_the_root_unit_has_a_null_parent_as_documented(client, schema, org, officer):
    """MINEDU has no parent: `parent` is null, and the schema says it may be."""
    client.force_login(officer("director_ie", "0584714-0"))
    response = client.get("/api/v1/units/MINEDU/")

    assert response.status_code == 200
    assert response.json()["parent"] is None
    assert_matches(schema, "/api/v1/units/{code}/", "get", response)


@pytest.mark.parametrize("path", ["/api/v1/tasks/", "/api/v1/instances/mine/", "/api/v1/units/"])
def test_a_page_that_does_not_exist_is_a_documented_404(client, schema, org, officer, path):
    client.force_login(officer("director_ie", "0584714-0"))
    for page in ("0", "-1", "999"):
        response = client.get(path, {"page": page})

        assert response.status_code == 404
        assert_matches(schema, path, "get", response)


def test_an_empty_date_filter_is_refused(client, schema, org, admin_user):
    """`until=` is not a date: 400 naming the field, as for any other bad date."""
    client.force_login(admin_user)
    response = client.get("/api/v1/instances/", {"until": ""})

    assert response.status_code == 400
    assert "until" in response.json()["errors"]
    assert_matches(schema, "/api/v1/instances/", "get", response)


def test_an_empty_scope_is_refused_and_filters_that_may_be_empty_still_are(client, schema, org, officer):
    """`scope=` is none of claimable, mine, all: 400. `process=` and `due=`, which the
    schema allows empty, still answer 200."""
    client.force_login(officer("director_ie", "0584714-0"))
    refused = client.get("/api/v1/tasks/", {"scope": ""})
    accepted = client.get("/api/v1/tasks/", {"process": "", "due": "", "unit": ""})

    assert refused.status_code == 400
    assert "scope" in refused.json()["errors"]
    assert_matches(schema, "/api/v1/tasks/", "get", refused)
    assert accepted.status_code == 200
    assert_matches(schema, "/api/v1/tasks/", "get", accepted)


def test_the_token_endpoint_documents_its_answers(client, schema, django_user_model):
    """200 is {token} (not the request's username/password), 400 the field errors, and
    a lockout's 429; no credentials are needed to call it."""
    django_user_model.objects.create_user(username="integrador", password="clave-api-2026-x")
    operation = schema["paths"]["/api/token/"]["post"]

    assert {"200", "400", "429"} <= set(operation["responses"])
    assert operation.get("security") in (None, [], [{}])
    good = client.post("/api/token/", {"username": "integrador", "password": "clave-api-2026-x"})
    bad = client.post("/api/token/", {"username": "integrador", "password": "mala"})
    assert_matches(schema, "/api/token/", "post", good)
    assert_matches(schema, "/api/token/", "post", bad)
