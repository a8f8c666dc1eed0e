"""Uploads are checked by content, size and owner; documents are attached by UUID."""

from __future__ import annotations

import hashlib
import io
import uuid
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import QueryDict
from django.utils.datastructures import MultiValueDict
from PIL import Image

from portal.schemaforms.files import UploadRejected
from portal.schemaforms.loader import load_form
from portal.schemaforms.models import Document
from portal.schemaforms.services import document_store
from portal.schemaforms.validation import validate, validate_post

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\nstartxref\n0\n%%EOF\n"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 64 + b"This program cannot be run"


def png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), color=(200, 30, 30)).save(buffer, format="PNG")
    return buffer.getvalue()


def field(name: str) -> dict:
    return load_form("adjuntos").schema["properties"][name]


def test_real_pdf_is_stored_with_its_hash_and_uploader(media, user):
    """A PDF is stored under a random name with its type, size, SHA-256 and uploader."""
    upload = SimpleUploadedFile("Oficio N° 123.pdf", PDF, content_type="application/pdf")

    document = document_store(file=upload, field_schema=field("oficio"), user=user)

    document.refresh_from_db()
    assert document.content_type == "application/pdf"
    assert document.size == len(PDF)
    assert document.sha256 == hashlib.sha256(PDF).hexdigest()
    assert document.original_name == "Oficio N° 123.pdf"
    assert document.uploaded_by == user
    assert document.file.name.startswith("documents/")
    assert "Oficio" not in document.file.name
    assert (Path(media) / document.file.name).read_bytes() == PDF


def test_png_generated_with_pillow_is_accepted(media, user):
    """A real PNG is accepted by an image field and recorded as image/png."""
    upload = SimpleUploadedFile("foto.png", png_bytes(), content_type="image/png")

    document = document_store(file=upload, field_schema=field("foto"), user=user)

    assert document.content_type == "image/png"
    assert document.file.name.endswith(".png")


def test_executable_renamed_pdf_is_refused_by_content(media, user):
    """An .exe named .pdf and sent as application/pdf is refused: the bytes decide."""
    upload = SimpleUploadedFile("oficio.pdf", EXE, content_type="application/pdf")

    with pytest.raises(UploadRejected) as excinfo:
        document_store(file=upload, field_schema=field("acta"), user=user)

    assert excinfo.value.message == "«oficio.pdf» no es un PDF, JPG o PNG."
    assert Document.objects.count() == 0


def test_text_file_renamed_pdf_is_refused(media, user):
    """A plain-text file with a .pdf name is not a PDF."""
    upload = SimpleUploadedFile("acta.pdf", b"Esto es texto, no un PDF.\n", content_type="application/pdf")

    with pytest.raises(UploadRejected, match="«acta.pdf» no es un PDF."):
        document_store(file=upload, field_schema=field("oficio"), user=user)


def test_exe_is_refused_naming_the_file(media, user):
    """An .exe gets a message naming the file and the accepted types."""
    upload = SimpleUploadedFile("oficio.exe", EXE, content_type="application/octet-stream")

    with pytest.raises(UploadRejected) as excinfo:
        document_store(file=upload, field_schema=field("acta"), user=user)

    assert excinfo.value.message == "«oficio.exe» no es un PDF, JPG o PNG."


def test_png_is_refused_by_a_pdf_only_field(media, user):
    """A valid image is still refused where the field accepts only PDF."""
    upload = SimpleUploadedFile("oficio.png", png_bytes(), content_type="image/png")

    with pytest.raises(UploadRejected, match="no es un PDF"):
        document_store(file=upload, field_schema=field("oficio"), user=user)


def test_oversize_file_is_refused_with_sizes_in_megabytes(media, user):
    """A 12.4 MB PDF exceeds the default 10 MB and the message gives both sizes."""
    content = PDF + b"0" * (int(12.4 * 1024 * 1024) - len(PDF))
    upload = SimpleUploadedFile("acta.pdf", content, content_type="application/pdf")

    with pytest.raises(UploadRejected) as excinfo:
        document_store(file=upload, field_schema=field("acta"), user=user)

    assert excinfo.value.message == "«acta.pdf» pesa 12,4 MB; el máximo es 10 MB."


def test_field_max_bytes_is_enforced(media, user):
    """x-file.maxBytes (1 MB for oficio) is enforced."""
    content = PDF + b"0" * (1024 * 1024)
    upload = SimpleUploadedFile("oficio.pdf", content, content_type="application/pdf")

    with pytest.raises(UploadRejected, match="el máximo es 1 MB"):
        document_store(file=upload, field_schema=field("oficio"), user=user)


def test_empty_file_is_refused(media, user):
    """A zero-byte upload is refused as empty."""
    upload = SimpleUploadedFile("oficio.pdf", b"", content_type="application/pdf")

    with pytest.raises(UploadRejected, match="«oficio.pdf» está vacío."):
        document_store(file=upload, field_schema=field("oficio"), user=user)


def test_folders_in_the_sent_name_are_dropped(media, user):
    """A name like C:\\fakepath\\oficio.pdf is recorded as oficio.pdf."""
    upload = SimpleUploadedFile("oficio.pdf", PDF, content_type="application/pdf")
    upload.name = "C:\\fakepath\\..\\oficio.pdf"

    document = document_store(file=upload, field_schema=field("oficio"), user=user)

    assert document.original_name == "oficio.pdf"


def test_own_document_can_be_attached(media, user):
    """The uploader's own document UUID validates in a document field."""
    document = document_store(file=SimpleUploadedFile("o.pdf", PDF), field_schema=field("oficio"), user=user)

    assert validate(load_form("adjuntos"), {"oficio": str(document.id)}, context={"user": user}) == {}


def test_another_users_document_cannot_be_attached(media, user, other_user):
    """Guessing or copying someone else's document UUID is refused like a missing one."""
    theirs = document_store(file=SimpleUploadedFile("o.pdf", PDF), field_schema=field("oficio"), user=other_user)
    form = load_form("adjuntos")

    errors = validate(form, {"oficio": str(theirs.id)}, context={"user": user})
    missing = validate(form, {"oficio": str(uuid.uuid4())}, context={"user": user})

    expected = {"oficio": ["El documento adjunto no existe o no le pertenece. Vuelva a adjuntarlo."]}
    assert errors == expected
    assert missing == expected


def test_a_document_id_is_accepted_only_as_the_server_wrote_it(media, user):
    """The case data keeps the id as sent, so only the canonical form (lower case, with
    hyphens) is accepted: the same document in upper case or without hyphens is refused."""
    document = document_store(file=SimpleUploadedFile("o.pdf", PDF), field_schema=field("oficio"), user=user)
    form = load_form("adjuntos")
    refused = {"oficio": ["El documento adjunto no existe o no le pertenece. Vuelva a adjuntarlo."]}

    assert validate(form, {"oficio": str(document.pk)}, context={"user": user}) == {}
    assert validate(form, {"oficio": str(document.pk).upper()}, context={"user": user}) == refused
    assert validate(form, {"oficio": document.pk.hex}, context={"user": user}) == refused


def test_document_value_must_be_a_uuid(user):
    """A path or any other text in a document field is refused."""
    errors = validate(load_form("adjuntos"), {"oficio": "../../etc/passwd"}, context={"user": user})

    assert errors == {"oficio": ["El documento adjunto no existe o no le pertenece. Vuelva a adjuntarlo."]}


def test_validate_post_stores_uploads_and_puts_their_uuid_in_the_data(media, user):
    """The HTML path stores the upload and the data holds the new Document's UUID."""
    files = MultiValueDict({"oficio": [SimpleUploadedFile("oficio.pdf", PDF, content_type="application/pdf")]})

    data, errors = validate_post(load_form("adjuntos"), QueryDict(), files, user=user)

    assert errors == {}
    assert Document.objects.get(pk=data["oficio"]).uploaded_by == user


def test_validate_post_reports_a_rejected_upload_on_its_field(media, user):
    """A refused upload is the field's only message (not also "obligatorio")."""
    files = MultiValueDict({"oficio": [SimpleUploadedFile("oficio.exe", EXE)]})

    data, errors = validate_post(load_form("adjuntos"), QueryDict(), files, user=user)

    assert errors == {"oficio": ["«oficio.exe» no es un PDF."]}
    assert "oficio" not in data


def test_validate_post_keeps_a_previously_attached_document(media, user):
    """After a failed submit, the hidden UUID keeps the earlier upload without sending it again."""
    document = document_store(file=SimpleUploadedFile("o.pdf", PDF), field_schema=field("oficio"), user=user)
    post = QueryDict(mutable=True)
    post["oficio"] = str(document.id)

    data, errors = validate_post(load_form("adjuntos"), post, MultiValueDict(), user=user)

    assert errors == {}
    assert data == {"oficio": str(document.id)}


def test_an_empty_file_input_beside_the_hidden_uuid_keeps_the_document(media, user):
    """A browser posts the empty file input too (Django keeps it as ""): the attached
    document must survive it, as a real Chromium showed."""
    document = document_store(file=SimpleUploadedFile("o.pdf", PDF), field_schema=field("oficio"), user=user)
    post = QueryDict(mutable=True)
    post.setlist("oficio", [str(document.id), ""])

    data, errors = validate_post(load_form("adjuntos"), post, MultiValueDict(), user=user)

    assert errors == {}
    assert data == {"oficio": str(document.id)}


def test_anonymous_user_cannot_attach_any_document(media, user):
    """An anonymous visitor owns no documents, so none can be attached."""
    from django.contrib.auth.models import AnonymousUser

    document = document_store(file=SimpleUploadedFile("o.pdf", PDF), field_schema=field("oficio"), user=user)

    errors = validate(load_form("adjuntos"), {"oficio": str(document.id)}, context={"user": AnonymousUser()})

    assert "oficio" in errors


def test_without_a_user_in_context_any_existing_document_is_accepted(media, user):
    """Internal callers (no user in the context) only need the document to exist."""
    document = document_store(file=SimpleUploadedFile("o.pdf", PDF), field_schema=field("oficio"), user=user)
    form = load_form("adjuntos")

    assert validate(form, {"oficio": str(document.id)}) == {}
    assert "oficio" in validate(form, {"oficio": str(uuid.uuid4())})
