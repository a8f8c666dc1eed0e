"""PDFs with JavaScript or actions are refused on upload, wherever the file hides them."""

from __future__ import annotations

import io
import zlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from pypdf import PdfWriter
from pypdf.generic import ArrayObject, DictionaryObject, NameObject, NumberObject, TextStringObject

from portal.schemaforms.files import UploadRejected
from portal.schemaforms.models import Document
from portal.schemaforms.services import document_store

pytestmark = pytest.mark.django_db

FIELD = {"format": "document", "x-file": {"accept": ["application/pdf"]}}
REFUSED = "contiene JavaScript o acciones automáticas"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)


def written(writer: PdfWriter) -> bytes:
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def blank() -> PdfWriter:
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    return writer


def action(kind: str, **entries) -> DictionaryObject:
    found = DictionaryObject({NameObject("/Type"): NameObject("/Action"), NameObject("/S"): NameObject(kind)})
    found.update({NameObject(f"/{k}"): v for k, v in entries.items()})
    return found


def store(content: bytes, user, name="rd.pdf") -> Document:
    return document_store(file=SimpleUploadedFile(name, content, content_type="application/pdf"),
                          field_schema=FIELD, user=user)


def test_a_plain_pdf_and_one_that_opens_at_its_first_page_are_stored(user):
    """A PDF without actions, and one whose /OpenAction only goes to page 1, are accepted."""
    assert store(written(blank()), user).content_type == "application/pdf"
    writer = blank()
    page = writer.pages[0].indirect_reference
    writer._root_object[NameObject("/OpenAction")] = ArrayObject([page, NameObject("/Fit")])
    assert store(written(writer), user).size > 0


def test_javascript_run_on_open_is_refused(user):
    """/OpenAction → a JavaScript action: refused with a Spanish message, nothing stored."""
    writer = blank()
    writer._root_object[NameObject("/OpenAction")] = writer._add_object(
        action("/JavaScript", JS=TextStringObject("app.alert('hola')")))
    with pytest.raises(UploadRejected, match=f"«rd.pdf» {REFUSED}"):
        store(written(writer), user)
    assert not Document.objects.exists()


def test_document_level_javascript_is_refused(user):
    """A script in the document's /Names /JavaScript tree is refused."""
    writer = blank()
    script = writer._add_object(action("/JavaScript", JS=TextStringObject("app.alert('hola');")))
    tree = DictionaryObject({NameObject("/Names"): ArrayObject([TextStringObject("inicio"), script])})
    writer._root_object[NameObject("/Names")] = DictionaryObject({NameObject("/JavaScript"): tree})
    with pytest.raises(UploadRejected, match=REFUSED):
        store(written(writer), user)


def test_a_page_with_additional_actions_is_refused(user):
    """/AA on a page (run when the page opens or closes) is refused."""
    writer = blank()
    writer.pages[0][NameObject("/AA")] = DictionaryObject(
        {NameObject("/O"): action("/GoTo", D=ArrayObject([NumberObject(0), NameObject("/Fit")]))})
    with pytest.raises(UploadRejected, match=REFUSED):
        store(written(writer), user)


def test_a_link_that_launches_a_program_is_refused(user):
    """A link annotation with a /Launch action is refused."""
    writer = blank()
    annotation = DictionaryObject({
        NameObject("/Type"): NameObject("/Annot"), NameObject("/Subtype"): NameObject("/Link"),
        NameObject("/Rect"): ArrayObject([NumberObject(0), NumberObject(0), NumberObject(100), NumberObject(20)]),
        NameObject("/A"): action("/Launch", F=TextStringObject("cmd.exe")),
    })
    writer.pages[0][NameObject("/Annots")] = ArrayObject([writer._add_object(annotation)])
    with pytest.raises(UploadRejected, match=REFUSED):
        store(written(writer), user)


def test_a_hex_escaped_javascript_name_is_refused(user):
    """/J#61vaScript is /JavaScript to a viewer, and to the check."""
    content = (b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /OpenAction 2 0 R >>\nendobj\n"
               b"2 0 obj\n<< /S /J#61vaScript /J#53 (app.alert(1)) >>\nendobj\n"
               b"trailer\n<< /Root 1 0 R >>\nstartxref\n0\n%%EOF\n")
    assert b"JavaScript" not in content
    with pytest.raises(UploadRejected, match=REFUSED):
        store(content, user)


def test_javascript_inside_a_compressed_object_stream_is_refused(user):
    """An action inside a FlateDecode object stream (PDF 1.5), invisible to a byte scan."""
    header = b"2 0 "
    packed = zlib.compress(header + b"<< /S /JavaScript /JS (app.alert(1)) >>")
    stream = b"<< /Type /ObjStm /N 1 /First %d /Filter /FlateDecode /Length %d >>" % (len(header), len(packed))
    content = (b"%PDF-1.5\n1 0 obj\n<< /Type /Catalog /OpenAction 2 0 R >>\nendobj\n"
               b"3 0 obj\n" + stream + b"\nstream\n" + packed + b"\nendstream\nendobj\n"
               b"trailer\n<< /Root 1 0 R >>\nstartxref\n0\n%%EOF\n")
    assert b"JavaScript" not in content and b"/JS" not in content
    with pytest.raises(UploadRejected, match=REFUSED):
        store(content, user)


def test_a_password_protected_pdf_is_refused(user):
    """A PDF that opens only with a password cannot be checked (nor read by the officer)."""
    writer = blank()
    writer.encrypt(user_password="secreto", algorithm="RC4-128")
    with pytest.raises(UploadRejected, match="protegido con contraseña"):
        store(written(writer), user)


def test_a_pdf_that_cannot_be_parsed_is_refused(user):
    """Bytes that start like a PDF but cannot be read are refused: they cannot be checked."""
    with pytest.raises(UploadRejected, match="no se pudo leer como PDF"):
        store(b"%PDF-1.7\n" + bytes(range(256)) * 40, user)
