"""Every object a PDF file holds, not only those its current catalog or xref reaches.

A viewer shows the latest revision, but a file can carry more: objects of earlier
revisions (an incremental update appends a new xref section; the old object, and an old
/JS action, stay in the bytes), objects with a generation number other than 0, objects
no xref lists at all (a viewer that rebuilds a damaged xref finds them), and objects
packed inside object streams (/ObjStm), including streams only an old revision lists.
pypdf's reader keeps one offset per object number and generation, the newest, so asking
it for "every object" sees none of the older ones.

`file_objects` therefore yields, each once:

1. the trailer pypdf read, and every other `trailer << ... >>` in the bytes;
2. every object pypdf's xref tables list, of every generation, parsed at its offset;
3. every `N G obj` header a scan of the raw bytes finds at another offset;
4. every object inside every object stream among 2. and 3., and inside the object
   streams packed in those (pypdf resolves a reference through such a chain).

A stream is opened as an object stream when a viewer may read it as one
(`is_object_stream`): when pypdf's cross-reference names it as the container of a
compressed (type-2) entry, whatever its dictionary says, since viewers find object
streams through the xref stream and need not look at /Type; when it says /Type /ObjStm;
or when it has /N and /First, each a number or an indirect reference. A reference is
resolved when the stream is opened, and must give a non-negative integer.

An object the xref lists that cannot be parsed is corrupt (`CorruptObject`): a viewer
may still recover something from it that the check cannot see, so the caller refuses
the file. So is an object stream that cannot be opened (a count that is not one, an
offset outside it, a codec the check does not decode), and a container the xref names
that the scan did not open (not in the file, or not a stream). A header the raw scan
finds but that does not parse is skipped: the bytes of images and fonts match `N G obj`
by chance. The scan reads a header as pypdf does, numbers and `obj` separated by
whitespace only: pypdf parses no comment there (`12 0 %c` then `obj` on the next line),
neither where its xref points nor when it looks for an object the xref does not list.

Streams are inflated only where the check must read or measure them (`decoded`): object
streams are decoded and parsed; page contents, fonts and the other non-image streams are
only measured, their Flate data inflated a MiB at a time and thrown away, so a
decompression bomb costs one MiB of memory. Image data (/Subtype /Image, or an image
codec such as DCT, JPX, JBIG2 or CCITT in its filters) is never decoded: it carries no
dictionaries, and decoding it would be most of the work on a scanned document. What is
inflated, by the check or by pypdf resolving a reference into an object stream, counts
against one `Budget`, which the caller turns into a refusal.
"""

from __future__ import annotations

import io
import itertools
import re
import time
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from pypdf import PdfReader, apply_configuration
from pypdf.errors import LimitReachedError
from pypdf.filters import decode_stream_data
from pypdf.generic import (
    ArrayObject,
    EncodedStreamObject,
    FloatObject,
    IndirectObject,
    NumberObject,
    PdfObject,
    StreamObject,
    read_object,
)

# "12 0 obj": found from its keyword (a literal, so the scan runs at memory speed over
# image data), then the two numbers just before it, not preceded by a digit or sign, so
# "112 0 obj" is not read as "12 0 obj".
OBJ_KEYWORD = re.compile(rb"obj(?![A-Za-z0-9])")
NUMBERS_BEFORE = re.compile(rb"(?<![0-9+.-])([0-9]{1,10})[\x00\t\n\f\r ]+([0-9]{1,5})[\x00\t\n\f\r ]+\Z")
TRAILER = re.compile(rb"trailer[\x00\t\n\f\r ]*(?=<<)")
WHITESPACE = b"\x00\t\n\f\r "
PIECE = 1 << 20  # bytes inflated at a time when a stream is only measured
# Filters that turn bytes into bytes; anything else is an image codec we leave alone.
GENERAL_FILTERS = frozenset({
    "/FlateDecode", "/Fl", "/LZWDecode", "/LZW", "/RunLengthDecode", "/RL",
    "/ASCIIHexDecode", "/AHx", "/ASCII85Decode", "/A85",
})


class TooComplex(Exception):
    """The file exceeds a bound of the scan (objects, nesting, decoded bytes, time)."""


class CorruptObject(Exception):
    """An object the file's xref lists cannot be parsed, or an object stream opened."""


@dataclass
class Budget:
    """What one scan may spend. `decompressed` is the total of all streams it decodes."""

    max_objects: int
    max_decompressed: int
    max_depth: int
    max_seconds: float
    started: float = field(default_factory=time.monotonic)
    objects: int = 0
    decompressed: int = 0
    held: int = 0  # object streams pypdf decoded and keeps (to resolve a /Length 7 0 R)
    seen: int = 0  # entries of pypdf's object cache already counted

    def count_object(self) -> None:
        self.objects += 1
        if self.objects > self.max_objects:
            raise TooComplex(f"more than {self.max_objects} objects")
        self.check_time()

    def check_time(self) -> None:
        if time.monotonic() - self.started > self.max_seconds:
            raise TooComplex(f"scan took more than {self.max_seconds} s")

    def pypdf_limits(self) -> dict[str, Any]:
        """pypdf.Configuration values that stop any one decode at what is left."""
        left = max(self.max_decompressed - self.decompressed - self.held, 1)
        return {
            "zlib_maximum_output_length": left, "lzw_maximum_output_length": left,
            "run_length_maximum_output_length": left, "brotli_maximum_output_length": left,
            "array_based_stream_maximum_output_length": left,
            "stream_decoding_work_maximum_length": 4 * left,
            "jbig2dec_binary": None,  # never start an external program on an upload
        }

    def add_decompressed(self, size: int) -> None:
        self.decompressed += size
        if self.decompressed + self.held > self.max_decompressed:
            raise TooComplex(f"streams inflate to more than {self.max_decompressed} bytes")

    def count_held(self, reader: PdfReader) -> None:
        """Count what pypdf decoded on its own and caches: resolving an indirect /Length
        or /S inside an object stream decodes the whole stream and keeps it. Only the
        entries added since the last call are looked at (the cache keeps insertion order)."""
        cache = reader.resolved_objects
        added = len(cache) - self.seen
        if added <= 0:
            return
        for found in itertools.islice(reversed(cache.values()), added):
            if isinstance(found, EncodedStreamObject) and found.decoded_self is not None:
                self.held += len(found.decoded_self.get_data())
        self.seen = len(cache)
        self.add_decompressed(0)


@dataclass
class Containers:
    """The object numbers pypdf's cross-reference names as containers of compressed
    (type-2) objects, and those of the object streams the scan has opened so far."""

    named: frozenset[int]
    opened: set[int] = field(default_factory=set)


def file_objects(reader: PdfReader, data: bytes, budget: Budget) -> Iterator[PdfObject]:
    """Every trailer and object in `data` (the bytes `reader` was opened on), and every
    object inside its object streams. Raises TooComplex or CorruptObject."""
    yield reader.trailer
    for match in TRAILER.finditer(data):
        trailer = _parse_quietly(reader, data, match.end())
        if trailer is not None:
            budget.count_object()
            yield trailer

    listed: dict[int, tuple[int, int]] = {}  # offset of "N G obj" → (number, generation)
    for generation, table in reader.xref.items():
        for number, offset in table.items():
            if reader.xref_free_entry.get(generation, {}).get(number):
                continue
            listed[_skip_whitespace(data, offset)] = (number, generation)
    found = {match.start(): (int(match[1]), int(match[2])) for match in _headers(data, budget)}
    if len(listed.keys() | found.keys()) > budget.max_objects:
        raise TooComplex(f"more than {budget.max_objects} objects")

    containers = Containers(named=frozenset(int(container) for container, _ in reader.xref_objStm.values()))
    unparsed: set[tuple[int, int]] = set()  # listed, but not parsed at the listed offset
    for offset, (number, generation) in sorted(listed.items()):
        budget.count_object()
        parsed = _parse_object(reader, data, offset, number, generation)
        budget.count_held(reader)
        if parsed is None:
            unparsed.add((number, generation))
        else:
            yield from _with_packed(reader, parsed, number, generation, budget, containers)
    for offset, (number, generation) in sorted(found.items()):
        if offset in listed:
            continue
        budget.count_object()
        parsed = _parse_object(reader, data, offset, number, generation)
        budget.count_held(reader)
        if parsed is not None:
            unparsed.discard((number, generation))  # an xref off by some bytes: the object is here
            yield from _with_packed(reader, parsed, number, generation, budget, containers)
    if unparsed:
        raise CorruptObject(f"objects {sorted(unparsed)[:5]} cannot be parsed")
    unopened = containers.named - containers.opened
    if unopened:
        raise CorruptObject(f"object streams {sorted(unopened)[:5]} the xref names cannot be opened")


def _headers(data: bytes, budget: Budget) -> Iterator[re.Match[bytes]]:
    """Each `N G obj` header in `data`, as a match whose start is the header's offset."""
    count = 0
    for keyword in OBJ_KEYWORD.finditer(data):
        header = NUMBERS_BEFORE.search(data, max(0, keyword.start() - 40), keyword.start())
        if header is None:
            continue
        count += 1
        if count > budget.max_objects:
            raise TooComplex(f"more than {budget.max_objects} object headers")
        yield header


def _skip_whitespace(data: bytes, offset: int) -> int:
    while offset < len(data) and data[offset] in WHITESPACE:
        offset += 1
    return offset


def _parse_quietly(reader: PdfReader, data: bytes, offset: int) -> PdfObject | None:
    stream = io.BytesIO(data)
    stream.seek(offset)
    try:
        return read_object(stream, reader)
    except Exception:  # a match inside binary data; pypdf raises many kinds
        return None


def _parse_object(reader: PdfReader, data: bytes, offset: int, number: int, generation: int) -> PdfObject | None:
    """The object whose `N G obj` header starts at `offset`, decrypted if the file is,
    or None if it does not parse as that object."""
    stream = io.BytesIO(data)
    stream.seek(offset)
    try:
        if reader.read_object_header(stream) != (number, generation):
            return None
        parsed = read_object(stream, reader)
        # The reader keeps its decryption state private; objects we parse ourselves
        # need it just as the ones it parses (an owner-password-only file).
        encryption = getattr(reader, "_encryption", None)
        if encryption is not None:
            parsed = encryption.decrypt_object(parsed, number, generation)
        return parsed
    except LimitReachedError:  # a pypdf bound (set from the budget), not a parse error
        raise
    except Exception:
        return None


def _with_packed(reader: PdfReader, parsed: PdfObject, number: int, generation: int, budget: Budget,
                 containers: Containers, nesting: int = 0) -> Iterator[PdfObject]:
    """`parsed`, and if it is an object stream, every object inside it, and inside the
    object streams packed in it (pypdf resolves a reference through such a chain)."""
    yield parsed
    if not isinstance(parsed, StreamObject):
        return
    if nesting > budget.max_depth:
        raise TooComplex(f"object streams nested deeper than {budget.max_depth}")
    # By number alone: some viewers keep no generation for an object stream's container.
    named = number in containers.named
    content = decoded(parsed, budget, named)
    if content is None or not is_object_stream(parsed, named):
        return
    for packed_number, packed in _packed_objects(reader, parsed, content, number, budget):
        yield from _with_packed(reader, packed, packed_number, 0, budget, containers, nesting + 1)
    containers.opened.add(number)


def is_object_stream(stream: StreamObject, named: bool = False) -> bool:
    """Whether a viewer may read `stream` as an object stream: one the cross-reference
    names as a container (`named`), whatever its dictionary says, since viewers find
    object streams through the xref stream and need not look at /Type; one with /Type
    /ObjStm; or one with /N and /First, each a number or a reference (resolved, and
    checked to be a count, when the stream is opened). A real number counts: pdf.js
    takes 1.0 as the integer 1, other viewers truncate 1.5."""
    if named:
        return True
    kind = stream.get("/Type")
    if isinstance(kind, IndirectObject):
        kind = kind.get_object()
    return kind == "/ObjStm" or all(isinstance(stream.get(key), (NumberObject, FloatObject, IndirectObject))
                                    for key in ("/N", "/First"))


def decoded(stream: StreamObject, budget: Budget, named: bool = False) -> bytes | None:
    """The decoded content of `stream`, counted against the budget: b"" for a plain
    Flate stream that is not an object stream (measured, not kept), None for image data,
    which the scan never decodes. `named`: the xref names it as an object stream. Raises
    TooComplex past the budget; a stream that cannot be decoded raises CorruptObject."""
    filters: Any = stream.get("/Filter", ArrayObject())
    if isinstance(filters, IndirectObject):
        filters = filters.get_object()
    names = [str(name) for name in (filters if isinstance(filters, ArrayObject) else [filters])]
    codec = any(name not in GENERAL_FILTERS for name in names)
    container = is_object_stream(stream, named)
    if container:
        # A viewer reads an object stream whatever else its dictionary says (/Subtype
        # /Image); one the check cannot decode could hide anything.
        if codec:
            raise CorruptObject(f"object stream with filters {names}")
    elif codec or stream.get("/Subtype") == "/Image":
        return None
    flate_first = bool(names) and names[0] in ("/FlateDecode", "/Fl")
    if not names:
        content: bytes = stream._data
    elif flate_first and len(names) == 1 and not container:
        budget.add_decompressed(_inflated_size(stream._data, budget))
        return b""  # measured, not kept: the check reads no content but that of object streams
    else:
        if flate_first:  # measure before pypdf holds it all in memory
            _inflated_size(stream._data, budget)
        budget.check_time()
        with apply_configuration(**budget.pypdf_limits()):
            try:
                content = decode_stream_data(stream)
            except LimitReachedError as exc:
                raise TooComplex(f"a stream inflates past the budget: {exc}") from exc
            except Exception as exc:
                raise CorruptObject(f"a stream cannot be decoded: {exc}") from exc
    budget.add_decompressed(len(content))
    return content


def _inflated_size(data: bytes, budget: Budget) -> int:
    """How many bytes Flate `data` inflates to, inflated a piece at a time and thrown
    away, so a bomb costs one piece of memory; TooComplex past what the budget has left.
    Data that is not valid Flate counts what inflated before the error (pypdf, decoding
    it afterwards, recovers what it can, bounded by the same budget)."""
    left = budget.max_decompressed - budget.decompressed - budget.held
    inflater = zlib.decompressobj()
    size, pending = 0, data
    try:
        while True:
            piece = inflater.decompress(pending, PIECE)
            pending = inflater.unconsumed_tail
            size += len(piece)
            if size > left:
                raise TooComplex(f"streams inflate to more than {budget.max_decompressed} bytes")
            budget.check_time()
            if inflater.eof or not (piece or pending):
                break
    except zlib.error:
        pass
    return size


def _packed_objects(reader: PdfReader, container: StreamObject, content: bytes, number: int,
                    budget: Budget) -> Iterator[tuple[int, PdfObject]]:
    """The objects of an object stream, as (number, object): /N pairs "number offset"
    then the objects, whose offsets count from /First. The header is read as the spec
    writes it, not trusted."""
    count = _count(reader, container, "/N", number, budget)
    first = _count(reader, container, "/First", number, budget)
    header = content[:first].split()
    if len(header) < 2 * count or first > len(content):
        raise CorruptObject(f"object stream {number} with a bad header")
    stream = io.BytesIO(content)
    for index in range(count):
        budget.count_object()
        try:
            packed_number, offset = int(header[2 * index]), int(header[2 * index + 1])
            stream.seek(first + offset)
            yield packed_number, read_object(stream, reader)
        except (TooComplex, CorruptObject):
            raise
        except Exception as exc:
            raise CorruptObject(f"object {index} of object stream {number}") from exc


def _count(reader: PdfReader, container: StreamObject, key: str, number: int, budget: Budget) -> int:
    """The object stream's /N or /First, resolved if given by reference (as a viewer
    resolves it): a non-negative integer, or CorruptObject."""
    value = container.get(key)
    if isinstance(value, IndirectObject):
        budget.check_time()
        with apply_configuration(**budget.pypdf_limits()):
            try:
                value = value.get_object()  # may decode another object stream, or loop back to this one
            except LimitReachedError as exc:
                raise TooComplex(f"resolving {key} of object stream {number}: {exc}") from exc
            except Exception as exc:
                raise CorruptObject(f"{key} of object stream {number} does not resolve") from exc
        budget.count_held(reader)
    if isinstance(value, FloatObject) and value.is_integer():  # neither 1.5 nor an infinity
        value = NumberObject(int(value))  # 1.0, read as 1 by viewers; 1.5 they read differently
    if not isinstance(value, NumberObject) or value < 0:
        raise CorruptObject(f"object stream {number} with a {key} that is no count ({type(value).__name__})")
    return int(value)
