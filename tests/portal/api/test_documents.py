"""Uploading a document for a form field through the API."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from portal.schemaforms.models import Document

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)


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
