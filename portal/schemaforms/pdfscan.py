"""Refuse PDFs that carry active content, attachments, or actions that send data or
open other files.

A PDF can run JavaScript when opened (/OpenAction → a /JavaScript action), when a page
or field is touched (/AA, "additional actions"), from the document's /JavaScript name
tree, or start a program (/Launch). It can also carry files of its own (/EmbeddedFiles,
/EF file specifications, /FileAttachment annotations), send or load form data
(/SubmitForm, /ImportData, XFA forms), open other documents (/GoToR, /GoToE, a /URI link
to a file:, smb: or any other scheme but the web's), or play media (/RichMedia, /3D,
/Screen, /Movie and /Sound annotations; /Rendition, /Movie, /Sound and /GoTo3DView
actions). A javascript: link is a script. An officer opens every uploaded PDF, so none
of that is accepted.

/URI links to http, https and mailto addresses, relative ones (no scheme), and internal
/GoTo destinations are accepted: office suites and scanners put them in ordinary
documents (a table of contents, the web address in a letterhead), the viewer asks before
following a web link, and they neither run code nor bring content into the file. The
scheme of each address, and of the catalog's /URI /Base that relative links resolve
against, is read as a browser reads it: case ignored, leading controls and spaces
stripped, tabs and line breaks dropped.

Every object in the file is checked, not only what the current catalog reaches
(`pdfscan_objects`: earlier revisions, any generation, object streams). The file is
parsed with pypdf rather than scanned for byte patterns: names may be written with
#-escapes (/J#61vaScript), most dictionaries sit in compressed object streams, and a
byte scan of scanned-page images would match short names by chance.

A PDF that cannot be read, holds a corrupt object, or opens only with a password cannot
be checked and is refused. So is one past the scan's bounds (settings PDF_SCAN_*,
docs/forms.md): a small file whose streams inflate to gigabytes, or with too many
objects, too deep a nesting, or too long a scan.
"""

from __future__ import annotations

import io
import logging
import re
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _
from pypdf import PdfReader, apply_configuration
from pypdf.errors import DependencyError, LimitReachedError
from pypdf.generic import ArrayObject, ByteStringObject, DictionaryObject, IndirectObject, NameObject, TextStringObject

from .pdfscan_objects import Budget, TooComplex, file_objects

logger = logging.getLogger(__name__)

ACTIVE, ATTACHMENT, FORM_DATA, EXTERNAL = "active", "attachment", "form_data", "external"

# Keys whose mere presence is refused, and the values of /S (action type), /Subtype and
# /Type that are.
REFUSED_KEYS = {
    "/JS": ACTIVE, "/JavaScript": ACTIVE, "/AA": ACTIVE,
    "/EmbeddedFiles": ATTACHMENT, "/EF": ATTACHMENT,
    "/XFA": FORM_DATA,
    "/RichMediaContent": EXTERNAL, "/RichMediaSettings": EXTERNAL,
}
REFUSED_ACTIONS = {
    "/JavaScript": ACTIVE, "/Launch": ACTIVE,
    "/SubmitForm": FORM_DATA, "/ImportData": FORM_DATA,
    "/GoToR": EXTERNAL, "/GoToE": EXTERNAL, "/RichMediaExecute": EXTERNAL,
    "/Rendition": EXTERNAL, "/Movie": EXTERNAL, "/Sound": EXTERNAL, "/GoTo3DView": EXTERNAL,
}
REFUSED_SUBTYPES = {
    "/FileAttachment": ATTACHMENT,
    "/RichMedia": EXTERNAL, "/3D": EXTERNAL, "/Screen": EXTERNAL, "/Movie": EXTERNAL, "/Sound": EXTERNAL,
}
REFUSED_TYPES = {"/EmbeddedFile": ATTACHMENT}
TYPED_KEYS = {"/S": REFUSED_ACTIONS, "/Subtype": REFUSED_SUBTYPES, "/Type": REFUSED_TYPES}
# The schemes a link (/URI, or the /Base of relative links) may use; a script scheme is
# refused as active content, any other as a link to outside the web.
WEB_SCHEMES = frozenset({"http", "https", "mailto"})
SCRIPT_SCHEMES = frozenset({"javascript", "vbscript"})
URI_NOISE = re.compile(r"[\t\n\r]")  # dropped anywhere by browsers' URL parsers
SCHEME = re.compile(r"([^/?#]*):")  # what comes before a colon that precedes any path, query or fragment
CONTROLS_OR_SPACE = re.compile(r"[\x00-\x20\x7f]")
LEADING_CONTROLS = "".join(chr(code) for code in range(0x21))  # stripped by browsers: C0 controls and space


class UnreadablePdf(Exception):
    pass


def _messages() -> dict[str, str]:
    """One whole sentence per category, so each is translated as a unit."""
    return {
        ACTIVE: _("«%(name)s» contiene JavaScript o acciones automáticas, que el portal no acepta en un PDF; "
                  "imprímalo de nuevo como PDF o escanéelo."),
        ATTACHMENT: _("«%(name)s» contiene archivos adjuntos, que el portal no acepta en un PDF; "
                      "imprímalo de nuevo como PDF o escanéelo."),
        FORM_DATA: _("«%(name)s» contiene un formulario que envía o importa datos, que el portal no acepta "
                     "en un PDF; imprímalo de nuevo como PDF o escanéelo."),
        EXTERNAL: _("«%(name)s» contiene enlaces que abren otros archivos o contenido multimedia, que el "
                    "portal no acepta en un PDF; imprímalo de nuevo como PDF o escanéelo."),
    }


def pdf_refusal(file: Any, name: str) -> str | None:
    """The Spanish reason to refuse the PDF in `file` (read from its start), or None if
    it carries nothing refused. Leaves the file at its start."""
    file.seek(0)
    try:
        found = _refused_content(file.read())
    except UnreadablePdf:
        return _("«%(name)s» está protegido con contraseña o cifrado; envíe una copia sin protección.") % {
            "name": name}
    except (TooComplex, LimitReachedError, RecursionError, MemoryError) as exc:
        logger.info("PDF upload %r refused: too complex to check (%s)", name, exc)
        return _("«%(name)s» es demasiado complejo para revisarlo; vuelva a generarlo o escanearlo.") % {
            "name": name}
    except Exception:  # pypdf raises many kinds on a damaged or hostile file (and CorruptObject)
        logger.info("PDF upload %r could not be parsed", name, exc_info=True)
        return _("«%(name)s» no se pudo leer como PDF; vuelva a generarlo o escanearlo.") % {"name": name}
    finally:
        file.seek(0)
    if found is None:
        return None
    category, what = found
    logger.info("PDF upload %r refused: it carries %s", name, what)
    return _messages()[category] % {"name": name}


def _refused_content(data: bytes) -> tuple[str, str] | None:
    """(category, what) of the first refused entry in the file's objects, or None."""
    budget = Budget(
        max_objects=settings.PDF_SCAN_MAX_OBJECTS,
        max_decompressed=settings.PDF_SCAN_MAX_DECOMPRESSED_BYTES,
        max_depth=settings.PDF_SCAN_MAX_DEPTH,
        max_seconds=settings.PDF_SCAN_MAX_SECONDS,
    )
    # pypdf decodes on its own when it opens the file (cross-reference streams) and when
    # it resolves a reference into an object stream: no single decode may pass the budget.
    with apply_configuration(**budget.pypdf_limits()):
        try:
            reader = PdfReader(io.BytesIO(data), strict=False, xref_stream_maximum_entries=budget.max_objects)
        except DependencyError as exc:  # the reader tries the empty password; AES needs a library we do not ship
            raise UnreadablePdf from exc
        if reader.is_encrypted:
            try:
                decrypted = reader.decrypt("")
            except Exception as exc:  # DependencyError: AES needs a crypto library we do not ship
                raise UnreadablePdf from exc
            if not decrypted:
                raise UnreadablePdf
        for node in file_objects(reader, data, budget):
            found = _walk(node, 0, budget)
            if found:
                return found
    return None


def _walk(node: Any, depth: int, budget: Budget) -> tuple[str, str] | None:
    """The first refused entry in `node` and its direct children (indirect references
    are visited as objects of their own)."""
    if depth > budget.max_depth:
        raise TooComplex(f"nesting deeper than {budget.max_depth}")
    if isinstance(node, DictionaryObject):
        for key, value in node.items():
            if key in REFUSED_KEYS:
                return REFUSED_KEYS[key], str(key)
            if key == "/URI":
                found = _uri_refusal(value)
                if found:
                    return found
            if key in TYPED_KEYS:
                if isinstance(value, IndirectObject):  # /S 7 0 R naming /JavaScript
                    value = value.get_object()
                category = TYPED_KEYS[key].get(str(value)) if isinstance(value, NameObject) else None
                if category:
                    return category, f"{key} {value}"
            found = _walk(value, depth + 1, budget)
            if found:
                return found
    elif isinstance(node, ArrayObject):
        for value in node:
            found = _walk(value, depth + 1, budget)
            if found:
                return found
    return None


def _uri_refusal(value: Any) -> tuple[str, str] | None:
    """The refusal of a /URI entry: a link action's address, or the catalog's URI
    dictionary, whose /Base relative links are resolved against. Either may be given by
    reference. Only http, https and mailto pass, and an address without a scheme."""
    if isinstance(value, IndirectObject):
        value = value.get_object()
    if isinstance(value, DictionaryObject):
        value = value.get("/Base")
        if isinstance(value, IndirectObject):
            value = value.get_object()
    if isinstance(value, TextStringObject):
        text = str(value)
    elif isinstance(value, ByteStringObject):
        text = bytes(value).decode("latin-1")
    elif isinstance(value, NameObject):  # not a string, but some viewers take it as the address
        text = str(value)[1:]
    else:
        return None
    # As a browser reads it: tabs and line breaks dropped, leading controls and spaces
    # stripped, the scheme compared without case ("\x01 JavaScript:" is "javascript:").
    match = SCHEME.match(URI_NOISE.sub("", text).lstrip(LEADING_CONTROLS))
    if match is None:
        return None  # relative: a path or a fragment
    scheme = match[1].lower()
    if scheme in WEB_SCHEMES:
        return None
    if CONTROLS_OR_SPACE.sub("", scheme) in SCRIPT_SCHEMES:  # "java\x00script:" may still be one
        return ACTIVE, f"/URI {scheme}:"
    return EXTERNAL, f"/URI {scheme}:"
