"""Refuse PDFs that carry active content: JavaScript, launch actions, automatic actions.

A PDF can run JavaScript when opened (/OpenAction → a /JavaScript action), when a page
or field is touched (/AA, "additional actions"), from the document's /JavaScript name
tree, or start a program (/Launch). An officer opens every uploaded PDF, so none of that
is accepted.

The file is parsed with pypdf rather than scanned for byte patterns: producers since PDF
1.5 put most dictionaries in compressed object streams, where a byte scan sees nothing,
names may be written with #-escapes (/J#61vaScript), and a byte scan of scanned-page
images (most of what is uploaded) would match those short names by chance. pypdf
decompresses object streams and decodes names, so every dictionary in the file is seen
as the viewer will see it. A PDF that cannot be read, or only with a password, cannot be
checked and is refused as well.
"""

from __future__ import annotations

import logging
from typing import Any

from django.utils.translation import gettext as _
from pypdf import PdfReader
from pypdf.generic import ArrayObject, DictionaryObject

logger = logging.getLogger(__name__)

# Keys whose mere presence means active content, and action types (/S) that run code.
ACTIVE_KEYS = frozenset({"/JS", "/JavaScript", "/AA"})
ACTIVE_ACTIONS = frozenset({"/JavaScript", "/Launch"})
MAX_OBJECTS = 200_000  # a 40 MB PDF of scanned pages has a few thousand
MAX_DEPTH = 50  # nesting of direct dictionaries and arrays inside one object


class UnreadablePdf(Exception):
    pass


def pdf_refusal(file: Any, name: str) -> str | None:
    """The Spanish reason to refuse the PDF in `file` (read from its start), or None if
    it carries no active content. Leaves the file at its start."""
    file.seek(0)
    try:
        found = _active_content(file)
    except UnreadablePdf:
        return _("«%(name)s» está protegido con contraseña o cifrado; envíe una copia sin protección.") % {
            "name": name}
    except Exception:  # pypdf raises many kinds on a damaged or hostile file
        logger.info("PDF upload %r could not be parsed", name, exc_info=True)
        return _("«%(name)s» no se pudo leer como PDF; vuelva a generarlo o escanearlo.") % {"name": name}
    finally:
        file.seek(0)
    if found:
        logger.info("PDF upload %r refused: it carries %s", name, found)
        return _("«%(name)s» contiene JavaScript o acciones automáticas, que el portal no acepta en un PDF; "
                 "imprímalo de nuevo como PDF o escanéelo.") % {"name": name}
    return None


def _active_content(file: Any) -> str | None:
    reader = PdfReader(file, strict=False)
    if reader.is_encrypted:
        try:
            decrypted = reader.decrypt("")
        except Exception as exc:  # DependencyError: AES needs a crypto library we do not ship
            raise UnreadablePdf from exc
        if not decrypted:
            raise UnreadablePdf
    numbers = {number for table in reader.xref.values() for number in table} | set(reader.xref_objStm)
    if len(numbers) > MAX_OBJECTS:
        raise ValueError(f"{len(numbers)} objects")
    found = _walk(reader.trailer, 0)
    for number in sorted(numbers):
        if found:
            break
        found = _walk(reader.get_object(number), 0)
    return found


def _walk(node: Any, depth: int) -> str | None:
    """The first active key or action in `node` and its direct children (indirect
    references are visited as objects of their own)."""
    if depth > MAX_DEPTH:
        raise ValueError("nesting too deep")
    if isinstance(node, DictionaryObject):
        for key, value in node.items():
            if key in ACTIVE_KEYS:
                return str(key)
            if key == "/S" and value in ACTIVE_ACTIONS:
                return str(value)
            found = _walk(value, depth + 1)
            if found:
                return found
    elif isinstance(node, ArrayObject):
        for value in node:
            found = _walk(value, depth + 1)
            if found:
                return found
    return None
