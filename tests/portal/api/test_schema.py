"""The OpenAPI description of the REST API."""

from __future__ import annotations

import pytest
from django.core.management import call_command

pytestmark = pytest.mark.django_db

ENDPOINTS = [
    "/api/v1/processes/", "/api/v1/processes/{key}/start/", "/api/v1/tasks/", "/api/v1/tasks/counts/",
    "/api/v1/tasks/{id}/", "/api/v1/tasks/{id}/claim/", "/api/v1/tasks/{id}/unclaim/",
    "/api/v1/tasks/{id}/complete/", "/api/v1/instances/", "/api/v1/instances/mine/", "/api/v1/instances/{id}/",
    "/api/v1/instances/{id}/retry/", "/api/v1/instances/{id}/suspend/", "/api/v1/instances/{id}/resume/",
    "/api/v1/instances/{id}/cancel/", "/api/v1/units/", "/api/v1/units/{code}/", "/api/v1/positions/",
    "/api/v1/positions/{id}/end/", "/api/v1/positions/replace/",
]


def test_the_schema_validates_without_warnings(tmp_path):
    """`manage.py spectacular --validate --fail-on-warn` passes: every view documents its bodies."""
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml"))


def test_the_schema_documents_every_endpoint_and_its_error_bodies(client):
    """Each v1 endpoint is described; completing a task documents 400, 403, 404 and 409."""
    schema = client.get("/api/schema/", {"format": "json"}).json()

    assert set(ENDPOINTS) <= set(schema["paths"])
    complete = schema["paths"]["/api/v1/tasks/{id}/complete/"]["post"]
    assert {"200", "400", "403", "404", "409"} <= set(complete["responses"])
    assert complete["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith("/CompleteRequest")


def test_the_schema_links_an_answer_to_the_requests_it_enables(client):
    """OpenAPI links: the inbox leads to claiming its first task, a started case to its
    detail; every link names an operation of the document and a parameter it takes."""
    schema = client.get("/api/schema/", {"format": "json"}).json()
    operations = {op["operationId"]: op for item in schema["paths"].values() for op in item.values()}

    inbox = schema["paths"]["/api/v1/tasks/"]["get"]["responses"]["200"]["links"]
    assert inbox["ClaimFirstTask"] == {"operationId": "v1_tasks_claim_create",
                                       "parameters": {"id": "$response.body#/results/0/id"}}
    started = schema["paths"]["/api/v1/processes/{key}/start/"]["post"]["responses"]["201"]["links"]
    assert started["GetInstance"]["operationId"] == "v1_instances_retrieve"
    links = [link for op in operations.values() for response in op["responses"].values()
             for link in response.get("links", {}).values()]
    assert len(links) >= 20
    for link in links:
        target = operations[link["operationId"]]
        assert set(link["parameters"]) <= {p["name"] for p in target.get("parameters", [])}
