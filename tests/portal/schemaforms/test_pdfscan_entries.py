"""Attachments, forms that send data and links that open other files are refused with a
message that says which; web links and links inside the document are accepted."""

from __future__ import annotations

import io
from collections.abc import Callable

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import QueryDict
from django.utils.datastructures import MultiValueDict
from PIL import Image
from pypdf import PdfWriter
from pypdf.generic import (
    ArrayObject,
    DecodedStreamObject,
    DictionaryObject,
    NameObject,
    NumberObject,
    TextStringObject,
)

import pdf
from portal.schemaforms.files import UploadRejected
from portal.schemaforms.loader import load_form
from portal.schemaforms.models import Document
from portal.schemaforms.services import document_store
from portal.schemaforms.validation import validate_post

from .pdfbuild import CATALOG, PAGE, PAGES, raw_pdf

pytestmark = pytest.mark.django_db

FIELD = {"format": "document", "x-file": {"accept": ["application/pdf"]}}
ATTACHMENT = "contiene archivos adjuntos"
FORM_DATA = "contiene un formulario que envía o importa datos"
EXTERNAL = "contiene enlaces que abren otros archivos o contenido multimedia"
ACTIVE = "contiene JavaScript o acciones automáticas"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)


def name(value: str) -> NameObject:
    return NameObject(value)


def written(writer: PdfWriter) -> bytes:
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def blank(pages: int = 1) -> PdfWriter:
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=595, height=842)
    return writer


def store(content: bytes, user, filename="rd.pdf") -> Document:
    return document_store(file=SimpleUploadedFile(filename, content, content_type="application/pdf"),
                          field_schema=FIELD, user=user)


def annotate(writer: PdfWriter, subtype: str, **entries) -> None:
    """Put an annotation of `subtype` with `entries` on the first page."""
    annotation = DictionaryObject({
        name("/Type"): name("/Annot"), name("/Subtype"): name(subtype),
        name("/Rect"): ArrayObject([NumberObject(0), NumberObject(0), NumberObject(100), NumberObject(20)]),
    })
    annotation.update({name(f"/{key}"): value for key, value in entries.items()})
    writer.pages[0][name("/Annots")] = ArrayObject([writer._add_object(annotation)])


def link_to(action: str, **entries) -> Callable[[PdfWriter], None]:
    def build(writer: PdfWriter) -> None:
        found = DictionaryObject({name("/Type"): name("/Action"), name("/S"): name(action)})
        found.update({name(f"/{key}"): value for key, value in entries.items()})
        annotate(writer, "/Link", A=found)
    return build


def attachments(writer: PdfWriter) -> None:
    writer.add_attachment("datos.xlsx", b"PK\x03\x04 hoja de calculo")


def file_specification_only(writer: PdfWriter) -> None:
    """A /Filespec with /EF, referenced by nothing: no /EmbeddedFiles tree."""
    embedded = DecodedStreamObject()
    embedded.set_data(b"MZ programa")
    spec = DictionaryObject({name("/Type"): name("/Filespec"), name("/F"): TextStringObject("a.exe"),
                             name("/EF"): DictionaryObject({name("/F"): writer._add_object(embedded)})})
    writer._add_object(spec)


def file_attachment_annotation(writer: PdfWriter) -> None:
    annotate(writer, "/FileAttachment", Contents=TextStringObject("anexo"))


def xfa_form(writer: PdfWriter) -> None:
    form = DecodedStreamObject()
    form.set_data(b"<xdp:xdp xmlns:xdp='http://ns.adobe.com/xdp/'/>")
    writer._root_object[name("/AcroForm")] = DictionaryObject(
        {name("/Fields"): ArrayObject(), name("/XFA"): writer._add_object(form)})


def rich_media(writer: PdfWriter) -> None:
    annotate(writer, "/RichMedia", RichMediaContent=DictionaryObject())


def annotation(subtype: str) -> Callable[[PdfWriter], None]:
    def build(writer: PdfWriter) -> None:
        annotate(writer, subtype)
    return build


def web_link(uri: str) -> Callable[[PdfWriter], None]:
    return link_to("/URI", URI=TextStringObject(uri))


def indirect_web_link(writer: PdfWriter) -> None:
    """/URI 7 0 R: the address is an object of its own."""
    link_to("/URI", URI=writer._add_object(TextStringObject("smb://servidor/compartido/informe.pdf")))(writer)


def base_of_relative_links(writer: PdfWriter) -> None:
    """A relative link resolved against the catalog's /URI /Base, a local folder."""
    writer._root_object[name("/URI")] = DictionaryObject({name("/Base"): TextStringObject("file:///C:/Windows/")})
    web_link("system32/calc.exe")(writer)


REFUSED = [
    pytest.param(attachments, ATTACHMENT, id="EmbeddedFiles"),
    pytest.param(file_specification_only, ATTACHMENT, id="EF"),
    pytest.param(file_attachment_annotation, ATTACHMENT, id="FileAttachment"),
    pytest.param(link_to("/SubmitForm", F=TextStringObject("https://example.pe/recibe")), FORM_DATA,
                 id="SubmitForm"),
    pytest.param(link_to("/ImportData", F=TextStringObject("datos.fdf")), FORM_DATA, id="ImportData"),
    pytest.param(xfa_form, FORM_DATA, id="XFA"),
    pytest.param(link_to("/GoToR", F=TextStringObject("otro.pdf"), D=ArrayObject([NumberObject(0), name("/Fit")])),
                 EXTERNAL, id="GoToR"),
    pytest.param(link_to("/GoToE", T=DictionaryObject({name("/R"): name("/C")})), EXTERNAL, id="GoToE"),
    pytest.param(rich_media, EXTERNAL, id="RichMedia"),
    *(pytest.param(annotation(subtype), EXTERNAL, id=f"annotation-{subtype[1:]}")
      for subtype in ("/3D", "/Screen", "/Movie", "/Sound")),
    *(pytest.param(link_to(action), EXTERNAL, id=f"action-{action[1:]}")
      for action in ("/Rendition", "/Movie", "/Sound", "/GoTo3DView")),
    pytest.param(web_link("file:///C:/Windows/system32/cmd.exe"), EXTERNAL, id="URI-file"),
    pytest.param(web_link("smb://servidor/compartido"), EXTERNAL, id="URI-smb"),
    pytest.param(web_link("data:text/html;base64,PHNjcmlwdD4="), EXTERNAL, id="URI-data"),
    pytest.param(web_link("C:\\Windows\\System32\\cmd.exe"), EXTERNAL, id="URI-windows-path"),
    pytest.param(web_link("javascript:app.alert(1)"), ACTIVE, id="URI-javascript"),
    pytest.param(web_link("\x01\x1f \tJaVaScRiPt:app.alert(1)"), ACTIVE, id="URI-javascript-padded"),
    pytest.param(web_link("java\tscr\nipt:app.alert(1)"), ACTIVE, id="URI-javascript-split"),
    pytest.param(indirect_web_link, EXTERNAL, id="URI-indirect"),
    pytest.param(base_of_relative_links, EXTERNAL, id="URI-Base"),
]


@pytest.mark.parametrize(("build", "message"), REFUSED)
def test_each_entry_that_reaches_outside_the_file_is_refused_naming_it(user, build, message):
    """Each entry is refused on its own, with the sentence for its kind; nothing stored."""
    writer = blank()
    build(writer)
    with pytest.raises(UploadRejected) as excinfo:
        store(written(writer), user)
    assert excinfo.value.message == (
        f"«rd.pdf» {message}, que el portal no acepta en un PDF; imprímalo de nuevo como PDF o escanéelo.")
    assert not Document.objects.exists()


def test_web_links_and_links_to_pages_of_the_document_are_accepted(user):
    """A /URI link (a letterhead's web address) and a /GoTo link (a table of contents)
    are ordinary in office and scanner PDFs, and are accepted."""
    writer = blank(pages=3)
    link_to("/URI", URI=TextStringObject("https://www.gob.pe/minedu"))(writer)
    page = writer.pages[2].indirect_reference
    writer.pages[1][name("/Annots")] = ArrayObject([writer._add_object(DictionaryObject({
        name("/Type"): name("/Annot"), name("/Subtype"): name("/Link"),
        name("/Rect"): ArrayObject([NumberObject(0), NumberObject(0), NumberObject(100), NumberObject(20)]),
        name("/A"): DictionaryObject({name("/S"): name("/GoTo"), name("/D"): ArrayObject([page, name("/Fit")])}),
    }))])
    assert store(written(writer), user).content_type == "application/pdf"


@pytest.mark.parametrize("uri", ["http://www.minedu.gob.pe", "HTTPS://www.gob.pe/minedu", " https://www.gob.pe",
                                 "mailto:mesadepartes@minedu.gob.pe", "anexos/anexo-1.pdf", "#pagina=2"])
def test_web_mail_and_relative_links_are_accepted(user, uri):
    """http, https and mailto in any case, and a relative address (no scheme), pass."""
    writer = blank()
    web_link(uri)(writer)
    assert store(written(writer), user).size > 0


@pytest.mark.parametrize("pdf_a", [False, True])
def test_the_portals_own_rendered_documents_are_accepted(user, pdf_a):
    """PDFs WeasyPrint renders (fonts, compressed streams, PDF/A metadata) are accepted."""
    content = pdf.render_pdf("documento_demo.html", {"titulo": "Resolución Directoral N° 0123-2026"}, pdf_a=pdf_a)
    assert store(content, user).size == len(content)


def test_a_scanned_document_of_jpeg_pages_is_accepted(user):
    """What most uploads are: one JPEG image per page (here written by Pillow)."""
    pages = [Image.new("RGB", (620, 877), (250, 248, 240 - 20 * number)) for number in range(3)]
    buffer = io.BytesIO()
    pages[0].save(buffer, format="PDF", save_all=True, append_images=pages[1:], resolution=75)
    assert store(buffer.getvalue(), user).size == len(buffer.getvalue())


def test_a_pdf_with_only_an_owner_password_is_checked_and_accepted(user):
    """A PDF "protected" against editing opens without a password: it is decrypted,
    checked and accepted."""
    writer = blank()
    writer.encrypt(user_password="", owner_password="dueño", algorithm="RC4-128")
    assert store(written(writer), user).size > 0


def test_a_script_in_a_pdf_with_only_an_owner_password_is_refused(user):
    """The owner password does not hide a script from the check."""
    writer = blank()
    writer._root_object[name("/OpenAction")] = writer._add_object(DictionaryObject({
        name("/S"): name("/JavaScript"), name("/JS"): TextStringObject("app.alert(1)")}))
    writer.encrypt(user_password="", owner_password="dueño", algorithm="RC4-128")
    with pytest.raises(UploadRejected, match="contiene JavaScript"):
        store(written(writer), user)


def test_an_aes_encrypted_pdf_is_refused_as_protected(user):
    """AES-256 (revision 6) needs a crypto library the portal does not ship: even without
    a user password the file cannot be checked, and is refused as protected."""
    encrypt = (9, 0, b"<< /Filter /Standard /V 5 /R 6 /Length 256 /P -4 /O <%s> /U <%s> /OE <%s> /UE <%s> "
                     b"/Perms <%s> /CF << /StdCF << /CFM /AESV3 /Length 32 >> >> /StmF /StdCF /StrF /StdCF >>"
               % (b"00" * 48, b"00" * 48, b"00" * 32, b"00" * 32, b"00" * 16))
    content = raw_pdf([CATALOG, PAGES, PAGE, encrypt], trailer=b"/Encrypt 9 0 R /ID [<00> <00>]")
    with pytest.raises(UploadRejected, match="protegido con contraseña o cifrado"):
        store(content, user)


def test_an_attachment_uploaded_through_the_form_is_reported_on_its_field(user):
    """The HTML path: the refusal is the field's message and no Document is stored."""
    writer = blank()
    attachments(writer)
    files = MultiValueDict({"oficio": [SimpleUploadedFile("oficio.pdf", written(writer),
                                                          content_type="application/pdf")]})
    data, errors = validate_post(load_form("adjuntos"), QueryDict(), files, user=user)
    assert errors == {"oficio": [
        f"«oficio.pdf» {ATTACHMENT}, que el portal no acepta en un PDF; imprímalo de nuevo como PDF o escanéelo."]}
    assert "oficio" not in data
    assert not Document.objects.exists()
