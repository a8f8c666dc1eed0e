"""The PDF check reads every object in the file: earlier revisions, other generations,
object streams no xref lists, and objects it cannot parse."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from portal.schemaforms.files import UploadRejected
from portal.schemaforms.models import Document
from portal.schemaforms.services import document_store

from .pdfbuild import CATALOG, PAGE, PAGES, object_stream, raw_pdf

pytestmark = pytest.mark.django_db

FIELD = {"format": "document", "x-file": {"accept": ["application/pdf"]}}
REFUSED = "contiene JavaScript o acciones automáticas"
SCRIPT = b"<< /Type /Action /S /JavaScript /JS (app.alert('hola')) >>"
GO_TO_PAGE = b"<< /Type /Action /S /GoTo /D [3 0 R /Fit] >>"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)


def store(content: bytes, user, name="rd.pdf") -> Document:
    return document_store(file=SimpleUploadedFile(name, content, content_type="application/pdf"),
                          field_schema=FIELD, user=user)


def test_a_clean_raw_pdf_with_two_revisions_is_stored(user):
    """The builder's files are ordinary: an update that changes a harmless object passes."""
    catalog = (1, 0, b"<< /Type /Catalog /Pages 2 0 R /OpenAction 4 0 R >>")
    content = raw_pdf([catalog, PAGES, PAGE, (4, 0, GO_TO_PAGE)],
                      [(4, 0, b"<< /Type /Action /S /GoTo /D [3 0 R /FitH 800] >>")])
    assert store(content, user).size == len(content)


def test_a_script_left_in_an_earlier_revision_is_refused(user):
    """An incremental update replaces the /OpenAction script with a GoTo; the script is
    still in the file (a viewer rolling back the update, or a repair, runs it)."""
    catalog = (1, 0, b"<< /Type /Catalog /Pages 2 0 R /OpenAction 4 0 R >>")
    content = raw_pdf([catalog, PAGES, PAGE, (4, 0, SCRIPT)], [(4, 0, GO_TO_PAGE)])
    with pytest.raises(UploadRejected, match=REFUSED):
        store(content, user)
    assert not Document.objects.exists()


def test_a_script_with_generation_number_one_is_refused(user):
    """/OpenAction 4 1 R: the object's generation is 1, not 0."""
    catalog = (1, 0, b"<< /Type /Catalog /Pages 2 0 R /OpenAction 4 1 R >>")
    with pytest.raises(UploadRejected, match=REFUSED):
        store(raw_pdf([catalog, PAGES, PAGE, (4, 1, SCRIPT)]), user)


def test_a_script_in_an_object_stream_no_xref_lists_is_refused(user):
    """An object stream whose objects no cross-reference entry names is still read."""
    packed = (5, 0, object_stream([(4, SCRIPT)]))
    content = raw_pdf([CATALOG, PAGES, PAGE, packed])
    assert b"JavaScript" not in content
    with pytest.raises(UploadRejected, match=REFUSED):
        store(content, user)


def test_a_script_in_an_object_stream_of_an_earlier_revision_is_refused(user):
    """Revision 1 packs the script into an object stream; revision 2 replaces the stream
    object with a plain one."""
    catalog = (1, 0, b"<< /Type /Catalog /Pages 2 0 R /OpenAction 4 0 R >>")
    content = raw_pdf([catalog, PAGES, PAGE, (5, 0, object_stream([(4, SCRIPT)]))],
                      [(5, 0, b"<< /Producer (editor) >>"), (4, 0, GO_TO_PAGE)])
    with pytest.raises(UploadRejected, match=REFUSED):
        store(content, user)


def test_a_script_behind_an_indirect_action_type_is_refused(user):
    """/S 6 0 R, where object 6 is the name /JavaScript."""
    catalog = (1, 0, b"<< /Type /Catalog /Pages 2 0 R /OpenAction 4 0 R >>")
    content = raw_pdf([catalog, PAGES, PAGE, (4, 0, b"<< /S 6 0 R /Jx (x) >>"), (6, 0, b"/JavaScript")])
    with pytest.raises(UploadRejected, match=REFUSED):
        store(content, user)


def test_an_object_that_cannot_be_parsed_is_refused(user):
    """The file opens, but an object its xref lists is cut short: what a viewer makes of
    it cannot be known, so the file is refused as unreadable."""
    annotation = (4, 0, b"<< /Type /Annot /Subtype /Link /A << /S (cut short >>")
    content = raw_pdf([CATALOG, PAGES, (3, 0, b"<< /Type /Page /Parent 2 0 R /Annots [4 0 R] >>"), annotation])
    with pytest.raises(UploadRejected, match="«rd.pdf» no se pudo leer como PDF"):
        store(content, user)


def test_a_corrupt_object_stream_is_refused(user):
    """An object stream whose data is not valid Flate cannot be checked."""
    packed = (5, 0, object_stream([(4, SCRIPT)], compressed=b"not flate data at all"))
    with pytest.raises(UploadRejected, match="no se pudo leer como PDF"):
        store(raw_pdf([CATALOG, PAGES, PAGE, packed]), user)


def test_an_object_stream_dressed_as_an_image_is_still_read(user):
    """/Subtype /Image on an object stream does not exempt it from decoding."""
    packed = object_stream([(4, SCRIPT)]).replace(b"/Type /ObjStm", b"/Type /ObjStm /Subtype /Image")
    with pytest.raises(UploadRejected, match=REFUSED):
        store(raw_pdf([CATALOG, PAGES, PAGE, (5, 0, packed)]), user)


def test_an_object_stream_with_an_image_codec_is_refused(user):
    """An object stream the check would not decode (DCT) cannot be checked."""
    packed = object_stream([(4, SCRIPT)]).replace(b"/Filter /FlateDecode", b"/Filter [/FlateDecode /DCTDecode]")
    with pytest.raises(UploadRejected, match="no se pudo leer como PDF"):
        store(raw_pdf([CATALOG, PAGES, PAGE, (5, 0, packed)]), user)


def test_an_object_stream_without_its_type_is_still_read(user):
    """A viewer finds object streams through the xref and need not check /Type: a
    container with only /N and /First is read as one."""
    packed = object_stream([(4, SCRIPT)]).replace(b"/Type /ObjStm ", b"")
    with pytest.raises(UploadRejected, match=REFUSED):
        store(raw_pdf([CATALOG, PAGES, PAGE, (5, 0, packed)]), user)


def test_an_object_header_with_a_comment_before_obj_is_refused_where_the_xref_points(user):
    """`4 0 %c` then `obj`: pypdf parses no comment between the numbers and `obj`
    (neither at the xref's offset nor when it looks for an unlisted object), so the
    listed object does not parse, and a file whose object cannot be read is refused."""
    catalog = (1, 0, b"<< /Type /Catalog /Pages 2 0 R /OpenAction 4 0 R >>")
    content = raw_pdf([catalog, PAGES, PAGE, (4, 0, SCRIPT)], headers={4: b"4 0 %c\nobj"})
    with pytest.raises(UploadRejected, match="no se pudo leer como PDF"):
        store(content, user)
