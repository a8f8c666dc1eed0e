"""Hostile PDFs written byte by byte, with real cross-reference tables, so pypdf reads
them as a viewer would (no xref rebuilding)."""

from __future__ import annotations

import zlib

Revision = list[tuple[int, int, bytes]]  # (number, generation, body between "obj" and "endobj")


def raw_pdf(*revisions: Revision, root: bytes = b"1 0 R", version: bytes = b"1.5", trailer: bytes = b"",
            headers: dict[int, bytes] | None = None) -> bytes:
    """A PDF whose first revision is followed by incremental updates, one xref section
    and trailer each (/Prev chains them), as an editor that saves incrementally writes.
    `headers` replaces the `N G obj` line of some objects (by number)."""
    out = bytearray(b"%PDF-" + version + b"\n%\xe2\xe3\xcf\xd3\n")
    previous: int | None = None
    size = 1 + max(number for revision in revisions for number, _, _ in revision)
    for revision in revisions:
        offsets = []
        for number, generation, body in revision:
            offsets.append((number, generation, len(out)))
            out += (headers or {}).get(number, b"%d %d obj" % (number, generation)) + b"\n" + body + b"\nendobj\n"
        xref = len(out)
        out += b"xref\n0 1\n0000000000 65535 f \n"
        for number, generation, offset in sorted(offsets):
            out += b"%d 1\n%010d %05d n \n" % (number, offset, generation)
        prev = b" /Prev %d" % previous if previous is not None else b""
        out += b"trailer\n<< /Size %d /Root %s%s %s >>\nstartxref\n%d\n%%%%EOF\n" % (size, root, prev, trailer, xref)
        previous = xref
    return bytes(out)


def object_stream(objects: list[tuple[int, bytes]], compressed: bytes | None = None) -> bytes:
    """The body of an /ObjStm holding `objects` (number, body); `compressed` replaces
    its Flate data (a bomb)."""
    header = b" ".join(b"%d %d" % (number, 0) for number, _ in objects)  # offsets patched below
    bodies, offsets, position = [], [], 0
    for number, body in objects:
        offsets.append(b"%d %d" % (number, position))
        bodies.append(body)
        position += len(body) + 1
    header = b" ".join(offsets) + b"\n"
    data = compressed if compressed is not None else zlib.compress(header + b"\n".join(bodies) + b"\n")
    return (b"<< /Type /ObjStm /N %d /First %d /Filter /FlateDecode /Length %d >>\nstream\n"
            % (len(objects), len(header), len(data)) + data + b"\nendstream")


def stream(data: bytes, entries: bytes = b"/Filter /FlateDecode") -> bytes:
    return b"<< %s /Length %d >>\nstream\n" % (entries, len(data)) + data + b"\nendstream"


def inflating_to(size: int) -> bytes:
    """Valid zlib data of `size` zero bytes (a multiple of 1 MiB), built in milliseconds:
    after a full flush the compressor's output for another MiB of zeros is always the same
    block, so the block is repeated, and the checksum of all zeros is written by hand."""
    chunk = bytes(1 << 20)
    compressor = zlib.compressobj(9)
    head = compressor.compress(chunk) + compressor.flush(zlib.Z_FULL_FLUSH)
    block = compressor.compress(chunk) + compressor.flush(zlib.Z_FULL_FLUSH)
    end = compressor.flush()[:-4]  # the last (empty) block, without the checksum of 2 MiB
    checksum = ((size % 65521) << 16) | 1  # Adler-32 of `size` zeros
    return head + block * (size // len(chunk) - 1) + end + checksum.to_bytes(4, "big")


CATALOG = (1, 0, b"<< /Type /Catalog /Pages 2 0 R >>")
PAGES = (2, 0, b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>")
PAGE = (3, 0, b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>")


def xref_stream_pdf(objects: list[tuple[int, bytes]], packed: dict[int, tuple[int, int]]) -> bytes:
    """A PDF 1.5 file with a cross-reference stream: `objects` (number, body) written in
    the file, `packed` number → (object stream number, index) for objects inside object
    streams, so pypdf resolves a reference to them by decoding the object stream."""
    out = bytearray(b"%PDF-1.5\n%\xe2\xe3\xcf\xd3\n")
    entries: dict[int, bytes] = {0: b"\x00" + (0).to_bytes(4, "big") + b"\xff\xff"}
    for number, body in objects:
        entries[number] = b"\x01" + len(out).to_bytes(4, "big") + b"\x00\x00"
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    for number, (container, index) in packed.items():
        entries[number] = b"\x02" + container.to_bytes(4, "big") + index.to_bytes(2, "big")
    own = 1 + max(entries)
    entries[own] = b"\x01" + len(out).to_bytes(4, "big") + b"\x00\x00"
    table = b"".join(entries.get(number, b"\x00" * 7) for number in range(own + 1))
    start = len(out)
    out += (b"%d 0 obj\n<< /Type /XRef /Size %d /W [1 4 2] /Root 1 0 R /Length %d >>\nstream\n"
            % (own, own + 1, len(table)) + table + b"\nendstream\nendobj\nstartxref\n%d\n%%%%EOF\n" % start)
    return bytes(out)
