"""Uploading a document for a form field through the API."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from engine import services as engine
from portal.schemaforms.models import Document

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\nstartxref\n0\n%%EOF\n"


OFICIO_BPMN = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" id="d_oficio" targetNamespace="t">
  <bpmn:process id="oficio_prueba" name="Oficio de prueba" isExecutable="true">
    <bpmn:laneSet id="ls"><bpmn:lane id="l" name="director_ie">
      <bpmn:flowNodeRef>start</bpmn:flowNodeRef><bpmn:flowNodeRef>end</bpmn:flowNodeRef></bpmn:lane></bpmn:laneSet>
    <bpmn:startEvent id="start"><bpmn:extensionElements><spiffworkflow:properties>
      <spiffworkflow:property name="formKey" value="oficio_prueba"/>
    </spiffworkflow:properties></bpmn:extensionElements></bpmn:startEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="end"/>
    <bpmn:endEvent id="end"/>
  </bpmn:process>
</bpmn:definitions>"""


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)


@pytest.fixture(autouse=True)
def oficio_process(db):
    """Directors may start a process whose start form has the document field."""
    engine.deploy(content=OFICIO_BPMN, source="oficio_prueba.bpmn")


def upload(client, user, name, content, field="oficio"):
    client.force_login(user)
    return client.post("/api/v1/documents/", {"form": "oficio_prueba", "field": field,
                                              "file": SimpleUploadedFile(name, content)})


def test_a_pdf_is_stored_and_its_id_returned(client, officer):
    """A real PDF for a PDF-only field is stored; the answer carries the id to put in the data."""
    user = officer("director_ie", "0584714-0")
    response = upload(client, user, "oficio 012-2026.pdf", PDF)
    assert response.status_code == 201
    document = Document.objects.get(pk=response.json()["id"])
    assert document.uploaded_by == user and document.content_type == "application/pdf"
    assert response.json()["original_name"] == "oficio 012-2026.pdf"


def test_a_file_that_only_claims_to_be_a_pdf_is_refused(client, officer):
    """A Windows executable renamed .pdf is refused by its content, with a Spanish message."""
    response = upload(client, officer("director_ie", "0584714-0"), "oficio.pdf", b"MZ\x90\x00" + b"\x00" * 200)
    assert response.status_code == 400
    assert "oficio.pdf" in response.json()["errors"]["file"][0]
    assert not Document.objects.exists()


def test_a_field_that_is_not_a_document_is_refused(client, officer):
    """Uploading against a text field of the form is a field error, nothing stored."""
    response = upload(client, officer("director_ie", "0584714-0"), "a.pdf", PDF, field="asunto")
    assert response.status_code == 400 and "field" in response.json()["errors"]
    assert not Document.objects.exists()


def test_documents_only_for_forms_of_the_users_own_work(client, officer):
    """A user may upload only for the start form of a process they may start or the form of
    a task they may work; anything else is refused and nothing is stored."""
    response = upload(client, officer("personal_ie", "0584714-0"), "a.pdf", PDF)
    assert response.status_code == 403
    assert not Document.objects.exists()
