"""Uploads for `format: document` fields, checked by their real content.

The browser's content type and the file's extension are both chosen by the sender, so
neither is trusted: the first bytes are sniffed with `filetype`, and only the types the
field accepts (`x-file.accept`, default PDF, JPEG, PNG) are stored. The stored name is
random; the sender's name is kept only as `original_name` for display.
"""

from __future__ import annotations

import math
import os
import unicodedata
import uuid
from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext as _

from portal.shared.ids import parse_uuid

from .schema import is_document_field, is_object_field, object_fields

MB = 1024 * 1024
ACCEPT_LABELS = {"application/pdf": "PDF", "image/jpeg": "JPG", "image/png": "PNG"}
DEFAULT_ACCEPT = tuple(ACCEPT_LABELS)
DEFAULT_MAX_BYTES = 10 * MB
ABSOLUTE_MAX_BYTES = 40 * MB
SNIFF_BYTES = 8192  # filetype never looks further than this


class UploadRejected(Exception):
    """The upload was refused; `message` is Spanish and names the file and the reason."""

    def __init__(self, message: str):
        self.message = message
        super().__init__(message)


def file_options(field_schema: Mapping[str, Any]) -> tuple[tuple[str, ...], int]:
    """(accepted MIME types, maximum bytes) for a document field, defaults applied."""
    options = field_schema.get("x-file") or {}
    accept = tuple(options.get("accept") or DEFAULT_ACCEPT)
    max_bytes = min(int(options.get("maxBytes") or DEFAULT_MAX_BYTES), ABSOLUTE_MAX_BYTES)
    return accept, max_bytes


def document_fields(node: dict[str, Any], root: dict[str, Any], prefix: str, depth: int = 0):
    for name, child in object_fields(node, root).items():
        if is_document_field(child):
            yield f"{prefix}{name}", child
        elif is_object_field(child) and depth < 5:
            yield from document_fields(child, root, f"{prefix}{name}.", depth + 1)


def document_values(schema: dict[str, Any], data: Mapping[str, Any]) -> list[tuple[str, uuid.UUID]]:
    """(field path, document id) for every document field of the form `schema` that holds
    a document id in `data`. Only document fields count: a UUID typed into any other
    field (observaciones) attaches nothing."""
    found: list[tuple[str, uuid.UUID]] = []
    for path, _field in document_fields(schema, schema, ""):
        value: Any = data
        for part in path.split("."):
            value = value.get(part) if isinstance(value, Mapping) else None
        pk = parse_uuid(value)
        if pk is not None:
            found.append((path, pk))
    return found


def set_data_path(data: dict[str, Any], path: str, value: str | None) -> None:
    *parents, leaf = path.split(".")
    node = data
    for part in parents:
        child = node.get(part)
        if not isinstance(child, dict):
            if value is None:
                return
            child = node[part] = {}
        node = child
    if value is None:
        node.pop(leaf, None)
    else:
        node[leaf] = value


def clean_filename(raw: str) -> str:
    """The file's own name (no folders), printable, at most 255 characters."""
    base = os.path.basename(raw.replace("\\", "/"))
    base = "".join(ch for ch in base if unicodedata.category(ch)[0] != "C").strip()
    return base[:255] or _("archivo")


def accepted_types_label(accept: tuple[str, ...] | list[str]) -> str:
    """"un PDF, JPG o PNG" for the message that names what was expected."""
    labels = [ACCEPT_LABELS.get(mime, mime) for mime in accept]
    if len(labels) == 1:
        return _("un %(type)s") % {"type": labels[0]}
    return _("un %(types)s o %(last)s") % {"types": ", ".join(labels[:-1]), "last": labels[-1]}


def human_size(size: int, *, decimals: int = 1) -> str:
    """Bytes as a clerk reads them: "12,4 MB", "10 MB", "350 KB" (Peruvian decimal comma)."""
    if size >= MB:
        text = f"{size / MB:.{decimals}f}"
        if "." in text:
            text = text.rstrip("0").rstrip(".")
        return f"{text.replace('.', ',')} MB"
    return f"{max(1, math.ceil(size / 1024))} KB"


def too_large_message(name: str, size: int, max_bytes: int) -> str:
    limit = human_size(max_bytes)
    actual = human_size(size)
    decimals = 1
    while actual == limit and decimals < 4:  # never "pesa 10 MB; el máximo es 10 MB"
        decimals += 1
        actual = human_size(size, decimals=decimals)
    return _("«%(name)s» pesa %(size)s; el máximo es %(max)s.") % {"name": name, "size": actual, "max": limit}
