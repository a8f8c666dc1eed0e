"""Object streams are opened as a viewer opens them: the cross-reference stream names
the container, and its /N and /First may be given by reference. A container the check
cannot open is not passed over."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from portal.schemaforms.files import UploadRejected
from portal.schemaforms.models import Document
from portal.schemaforms.services import document_store

from .pdfbuild import CATALOG, PAGE, PAGES, object_stream, raw_pdf, stream, xref_stream_pdf

pytestmark = pytest.mark.django_db

FIELD = {"format": "document", "x-file": {"accept": ["application/pdf"]}}
REFUSED = "contiene JavaScript o acciones automáticas"
UNREADABLE = "«rd.pdf» no se pudo leer como PDF"
SCRIPT = b"<< /Type /Action /S /JavaScript /JS (app.alert('hola')) >>"
OPENS_4 = b"<< /Type /Catalog /Pages 2 0 R /OpenAction 4 0 R >>"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)


def store(content: bytes, user, name="rd.pdf") -> Document:
    return document_store(file=SimpleUploadedFile(name, content, content_type="application/pdf"),
                          field_schema=FIELD, user=user)


def untyped(container: bytes, count: bytes = b"9 0 R") -> bytes:
    """An object stream of one object without /Type /ObjStm, its /N given as `count`."""
    return container.replace(b"/Type /ObjStm /N 1 ", b"/N " + count + b" ")


def packed_script(container: bytes, extra: list[tuple[int, bytes]] | None = None) -> bytes:
    """A PDF 1.5 file whose xref stream puts object 4 (the /OpenAction) at index 0 of
    object stream 5, whose body is `container`."""
    objects = [(1, OPENS_4), (2, PAGES[2]), (3, PAGE[2]), (5, container), *(extra or [])]
    return xref_stream_pdf(objects, packed={4: (5, 0)})


def test_a_packed_clean_action_in_an_untyped_container_with_an_indirect_count_is_stored(user):
    """The container rules below accept what they open when it is harmless."""
    content = packed_script(untyped(object_stream([(4, b"<< /S /GoTo /D [3 0 R /Fit] >>")])), extra=[(9, b"1")])
    assert store(content, user).size == len(content)


def test_a_script_in_a_container_the_xref_names_with_an_indirect_count_is_refused(user):
    """No /Type /ObjStm and /N 9 0 R: a viewer reading the xref stream opens object 5
    because type-2 entries name it, and resolves /N; the check does the same."""
    content = packed_script(untyped(object_stream([(4, SCRIPT)])), extra=[(9, b"1")])
    assert b"JavaScript" not in content and b"/ObjStm" not in content
    with pytest.raises(UploadRejected, match=REFUSED):
        store(content, user)


def test_a_script_in_an_untyped_container_no_xref_names_with_an_indirect_first_is_refused(user):
    """A classic xref table names no container, but a stream with /N and /First, one of
    them by reference, is an object stream all the same."""
    container = object_stream([(4, SCRIPT)])
    first = container.split(b"/First ")[1].split(b" ")[0]
    container = container.replace(b"/Type /ObjStm ", b"").replace(b"/First " + first + b" ", b"/First 9 0 R ")
    content = raw_pdf([CATALOG, PAGES, PAGE, (5, 0, container), (9, 0, first)])
    with pytest.raises(UploadRejected, match=REFUSED):
        store(content, user)


def test_a_script_in_an_untyped_container_with_a_real_count_is_refused(user):
    """/N 1.0 is a count to pdf.js (an integral number), so the stream is opened."""
    content = raw_pdf([CATALOG, PAGES, PAGE, (5, 0, untyped(object_stream([(4, SCRIPT)]), count=b"1.0"))])
    with pytest.raises(UploadRejected, match=REFUSED):
        store(content, user)


@pytest.mark.parametrize("count", [
    pytest.param(b"-1", id="negative"),
    pytest.param(b"/Uno", id="a-name"),
    pytest.param(b"(1)", id="a-string"),
    pytest.param(b"1.5", id="fractional"),
])
def test_an_indirect_count_that_is_not_a_count_is_refused(user, count):
    """/N 9 0 R where object 9 is not a non-negative integer: the container cannot be
    read as the viewer reads it, so the file is refused as unreadable."""
    content = raw_pdf([CATALOG, PAGES, PAGE, (5, 0, untyped(object_stream([(4, SCRIPT)]))), (9, 0, count)])
    with pytest.raises(UploadRejected, match=UNREADABLE):
        store(content, user)


def test_an_indirect_count_that_resolves_nowhere_is_refused(user):
    """/N 9 0 R and no object 9 in the file."""
    content = raw_pdf([CATALOG, PAGES, PAGE, (5, 0, untyped(object_stream([(4, SCRIPT)])))])
    with pytest.raises(UploadRejected, match=UNREADABLE):
        store(content, user)


def test_an_indirect_count_packed_in_its_own_container_is_refused(user):
    """/N 9 0 R where the xref puts object 9 inside the very container it counts."""
    container = untyped(object_stream([(4, SCRIPT), (9, b"2")]).replace(b"/N 2 ", b"/N 1 "))
    content = xref_stream_pdf([(1, OPENS_4), (2, PAGES[2]), (3, PAGE[2]), (5, container)],
                              packed={4: (5, 0), 9: (5, 1)})
    with pytest.raises(UploadRejected, match=UNREADABLE):
        store(content, user)


@pytest.mark.parametrize("container", [
    pytest.param(stream(b"4 0 " + SCRIPT, b""), id="no-count"),
    pytest.param(stream(b"4 0 " + SCRIPT, b"/N (uno) /First 4"), id="count-a-string"),
    pytest.param(b"<< /N 1 /First 4 >>", id="not-a-stream"),
])
def test_a_container_the_xref_names_that_cannot_be_opened_is_refused(user, container):
    """Type-2 entries name object 5 as a container, but it cannot be read as an object
    stream: what a viewer makes of it cannot be known, so the file is refused."""
    with pytest.raises(UploadRejected, match=UNREADABLE):
        store(packed_script(container), user)


def test_a_container_the_xref_names_that_is_not_in_the_file_is_refused(user):
    """Type-2 entries name object 7 as the container of object 4, and there is no object 7."""
    content = xref_stream_pdf([(1, OPENS_4), (2, PAGES[2]), (3, PAGE[2])], packed={4: (7, 0)})
    with pytest.raises(UploadRejected, match=UNREADABLE):
        store(content, user)


def test_a_script_in_a_container_packed_in_another_container_is_refused(user):
    """Object stream 6 sits inside object stream 7, and object 4 inside 6: pypdf
    resolves 4 through both, and so does the check."""
    inner = object_stream([(4, SCRIPT)])
    outer = object_stream([(6, inner)])
    content = xref_stream_pdf([(1, OPENS_4), (2, PAGES[2]), (3, PAGE[2]), (7, outer)],
                              packed={4: (6, 0), 6: (7, 0)})
    with pytest.raises(UploadRejected, match=REFUSED):
        store(content, user)


def test_a_clean_object_stream_of_generation_one_that_the_repaired_xref_names_is_stored(user):
    """A damaged xref pointer makes pypdf rebuild the xref; it names object stream 5
    (written `5 1 obj`) as the container of object 4. The container is matched by number,
    as viewers that keep no generation for it do, so the file is opened and accepted,
    not refused as a container the check never opened."""
    catalog = (1, 0, OPENS_4)
    content = raw_pdf([catalog, PAGES, PAGE, (5, 1, object_stream([(4, b"<< /S /GoTo /D [3 0 R /Fit] >>")]))])
    content = content.replace(b"startxref\n", b"startxref\n9")
    assert store(content, user).size == len(content)
