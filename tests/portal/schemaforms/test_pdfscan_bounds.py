"""The PDF check is bounded: a small file that inflates to gigabytes, or with too many
objects, too deep a nesting or too long a scan, is refused as too complex to check, and
checking it costs little memory and time."""

from __future__ import annotations

import time
import tracemalloc
import zlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from portal.schemaforms.files import UploadRejected
from portal.schemaforms.models import Document
from portal.schemaforms.services import document_store

from .pdfbuild import CATALOG, PAGE, PAGES, inflating_to, object_stream, raw_pdf, stream, xref_stream_pdf

pytestmark = pytest.mark.django_db

FIELD = {"format": "document", "x-file": {"accept": ["application/pdf"]}}
TOO_COMPLEX = "«rd.pdf» es demasiado complejo para revisarlo; vuelva a generarlo o escanearlo."
GIB = 1 << 30
MIB = 1 << 20


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)


def store(content: bytes, user) -> Document:
    return document_store(file=SimpleUploadedFile("rd.pdf", content, content_type="application/pdf"),
                          field_schema=FIELD, user=user)


def page_with(contents: bytes) -> tuple[int, int, bytes]:
    return (3, 0, b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] " + contents + b" >>")


def refusal_cost(content: bytes, user) -> tuple[str, int, float]:
    """The refusal message, the peak of traced memory and the seconds of the check."""
    tracemalloc.start()
    started = time.monotonic()
    try:
        with pytest.raises(UploadRejected) as excinfo:
            store(content, user)
        seconds = time.monotonic() - started
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return excinfo.value.message, peak, seconds


def test_an_object_stream_that_inflates_to_a_gigabyte_is_refused_within_bounds(user, settings):
    """1 MB of Flate data inflating to 1 GiB, in the object stream the check must read:
    refused; memory stays under three times PDF_SCAN_MAX_DECOMPRESSED_BYTES (64 MiB) and
    the check ends well within PDF_SCAN_MAX_SECONDS."""
    bomb = raw_pdf([CATALOG, PAGES, page_with(b""), (5, 0, object_stream([(4, b"<< >>")], inflating_to(GIB)))])
    assert len(bomb) < 2 * MIB

    message, peak, seconds = refusal_cost(bomb, user)

    assert message == TOO_COMPLEX
    assert peak < 3 * settings.PDF_SCAN_MAX_DECOMPRESSED_BYTES
    assert seconds < settings.PDF_SCAN_MAX_SECONDS
    assert not Document.objects.exists()


def test_a_page_content_stream_that_inflates_to_a_gigabyte_is_refused(user, settings):
    """The bomb in the page's own drawing instructions, which an officer's viewer would inflate."""
    settings.PDF_SCAN_MAX_DECOMPRESSED_BYTES = 8 * MIB
    bomb = raw_pdf([CATALOG, PAGES, page_with(b"/Contents 4 0 R"), (4, 0, stream(inflating_to(GIB)))])

    message, peak, seconds = refusal_cost(bomb, user)

    assert message == TOO_COMPLEX
    assert peak < 3 * 8 * MIB
    assert seconds < settings.PDF_SCAN_MAX_SECONDS


def test_streams_each_under_the_limit_that_together_exceed_it_are_refused(user, settings):
    """The limit is on all the check inflates: three 4 MiB streams against 8 MiB."""
    settings.PDF_SCAN_MAX_DECOMPRESSED_BYTES = 8 * MIB
    parts = [(number, 0, stream(inflating_to(4 * MIB))) for number in (4, 5, 6)]
    content = raw_pdf([CATALOG, PAGES, page_with(b"/Contents [4 0 R 5 0 R 6 0 R]"), *parts])
    assert refusal_cost(content, user)[0] == TOO_COMPLEX

    settings.PDF_SCAN_MAX_DECOMPRESSED_BYTES = 16 * MIB
    assert store(content, user).size == len(content)


def test_a_cross_reference_stream_that_inflates_to_a_gigabyte_is_refused(user, settings):
    """pypdf inflates the cross-reference stream when it opens the file: the same bound holds."""
    settings.PDF_SCAN_MAX_DECOMPRESSED_BYTES = 8 * MIB
    head = raw_pdf([CATALOG, PAGES, page_with(b"")])
    head = head[:head.rindex(b"xref\n")]
    data = inflating_to(GIB)
    offset = len(head)
    bomb = (head + b"4 0 obj\n<< /Type /XRef /Size 5 /W [1 4 1] /Root 1 0 R /Filter /FlateDecode /Length %d >>\n"
            b"stream\n" % len(data) + data + b"\nendstream\nendobj\nstartxref\n%d\n%%%%EOF\n" % offset)

    message, peak, seconds = refusal_cost(bomb, user)

    assert message == TOO_COMPLEX
    assert peak < 3 * 8 * MIB
    assert seconds < settings.PDF_SCAN_MAX_SECONDS


def test_object_streams_pypdf_decodes_to_resolve_lengths_count_against_the_limit(user, settings):
    """Twenty streams whose /Length is a reference into its own 4 MiB object stream:
    pypdf decodes and keeps each object stream to resolve the reference. What it keeps
    counts against PDF_SCAN_MAX_DECOMPRESSED_BYTES (8 MiB), so memory stays bounded."""
    settings.PDF_SCAN_MAX_DECOMPRESSED_BYTES = 8 * MIB
    contents, containers, packed = [], [], {}
    for index in range(20):
        header = b"%d 0\n" % (200 + index)
        data = zlib.compress(header + b"12" + b" " * (4 * MIB))
        containers.append((100 + index, b"<< /Type /ObjStm /N 1 /First %d /Filter /FlateDecode /Length %d >>\n"
                           b"stream\n" % (len(header), len(data)) + data + b"\nendstream"))
        contents.append((400 + index, b"<< /Length %d 0 R >>\nstream\n0123456789AB\nendstream" % (200 + index)))
        packed[200 + index] = (100 + index, 0)
    top = [(number, body) for number, _, body in (CATALOG, PAGES, PAGE)]
    content = xref_stream_pdf(top + contents + containers, packed)

    message, peak, seconds = refusal_cost(content, user)

    assert message == TOO_COMPLEX
    assert peak < 3 * 8 * MIB


def test_image_data_is_not_inflated_by_the_check(user, settings):
    """A page image is never decoded (it holds pixels, no dictionaries): even a 1 GiB one
    costs the check neither memory nor time, and the file is accepted. Bounding image
    decoding is the viewer's part (docs/forms.md)."""
    settings.PDF_SCAN_MAX_DECOMPRESSED_BYTES = 8 * MIB
    image = stream(inflating_to(GIB), b"/Type /XObject /Subtype /Image /Width 32768 /Height 32768 "
                                       b"/ColorSpace /DeviceGray /BitsPerComponent 8 /Filter /FlateDecode")
    content = raw_pdf([CATALOG, PAGES, page_with(b"/Resources << /XObject << /Im0 4 0 R >> >>"), (4, 0, image)])
    tracemalloc.start()
    try:
        assert store(content, user).size == len(content)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 8 * MIB


def test_more_objects_than_the_limit_is_refused(user, settings):
    """PDF_SCAN_MAX_OBJECTS counts every object, listed or found in the bytes."""
    settings.PDF_SCAN_MAX_OBJECTS = 20
    extra = [(number, 0, b"<< /N %d >>" % number) for number in range(4, 34)]
    content = raw_pdf([CATALOG, PAGES, page_with(b""), *extra])
    assert refusal_cost(content, user)[0] == TOO_COMPLEX

    settings.PDF_SCAN_MAX_OBJECTS = 200
    assert store(content, user).size == len(content)


def test_nesting_deeper_than_the_limit_is_refused(user, settings):
    """Sixty arrays one inside the other, against PDF_SCAN_MAX_DEPTH = 50."""
    deep = (4, 0, b"<< /Deep " + b"[" * 60 + b"1" + b"]" * 60 + b" >>")
    assert refusal_cost(raw_pdf([CATALOG, PAGES, page_with(b""), deep]), user)[0] == TOO_COMPLEX


def test_a_check_that_runs_past_the_time_limit_is_refused(user, settings):
    """PDF_SCAN_MAX_SECONDS: an ordinary file with no time left to check it."""
    settings.PDF_SCAN_MAX_SECONDS = 0
    assert refusal_cost(raw_pdf([CATALOG, PAGES, page_with(b"")]), user)[0] == TOO_COMPLEX
