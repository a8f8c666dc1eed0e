"""Refuse PDFs that carry active content, attachments, or actions that send data or
open other files.

A PDF can run JavaScript when opened (/OpenAction → a /JavaScript action), when a page
or field is touched (/AA, "additional actions"), from the document's /JavaScript name
tree, or start a program (/Launch). It can also carry files of its own (/EmbeddedFiles,
/EF file specifications, /FileAttachment annotations), send or load form data
(/SubmitForm, /ImportData, XFA forms), and open other documents or media (/GoToR, /GoToE,
/RichMedia). An officer opens every uploaded PDF, so none of that is accepted.

Plain /URI links and internal /GoTo destinations are accepted: office suites and
scanners put them in ordinary documents (a table of contents, the web address in a
letterhead), the viewer asks before following a web link, and they neither run code
nor bring content into the file.

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
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _
from pypdf import PdfReader, apply_configuration
from pypdf.errors import DependencyError, LimitReachedError
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, NameObject

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
}
REFUSED_SUBTYPES = {"/FileAttachment": ATTACHMENT, "/RichMedia": EXTERNAL}
REFUSED_TYPES = {"/EmbeddedFile": ATTACHMENT}
TYPED_KEYS = {"/S": REFUSED_ACTIONS, "/Subtype": REFUSED_SUBTYPES, "/Type": REFUSED_TYPES}


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
