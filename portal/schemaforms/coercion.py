"""Typed data from an HTML form POST: the browser sends text, the schema wants types.

`coerce_post` reads a Django QueryDict the way `render_form` wrote the form ("parent.child"
names, checkboxes, multiple choices, hidden document ids) and returns the dict that
`validate` checks, as the API path receives it in JSON.
"""

from __future__ import annotations

import contextlib
import re
from decimal import Decimal, InvalidOperation
from typing import Any

from .loader import FormDefinition
from .schema import (
    choice_options,
    is_document_field,
    is_object_field,
    object_fields,
    option_value,
    primary_type,
    resolve,
)

_MISSING = object()
_TRUE = {"on", "true", "1", "sí", "si", "yes"}
_FALSE = {"off", "false", "0", "no"}
_INTEGER_RE = re.compile(r"[+-]?[0-9]{1,30}")
_NUMBER_RE = re.compile(r"[+-]?[0-9]{1,30}([.,][0-9]{1,30})?")
MAX_NESTING = 5


def coerce_post(form: FormDefinition, querydict: Any, files: Any = None, *, prefix: str = "") -> dict[str, Any]:
    """Typed data from an HTML form POST (a Django QueryDict) for `form`.

    Numbers are parsed; a value that does not parse is kept as typed, so `validate`
    reports it ("Ingrese un número entero.") and the form shows it again. Checkbox
    booleans absent from the POST are False; empty strings are dropped so `required`
    fires; text is stripped (and CRLF becomes LF). Nested objects read "parent.child"
    names. Fields not in the schema (csrfmiddlewaretoken...) are ignored. For a document
    field with a new upload in `files`, the previous UUID (hidden input) is dropped: the
    upload replaces it (see services.attach_uploads).
    """
    return _Coercer(form, querydict, files, prefix).object(form.schema, "", 0)


class _Coercer:
    def __init__(self, form: FormDefinition, post: Any, files: Any, prefix: str):
        self.form, self.post, self.files, self.prefix = form, post, files, prefix
        self.root = form.schema

    def _getlist(self, name: str) -> list[str]:
        if hasattr(self.post, "getlist"):
            return [v for v in self.post.getlist(name) if isinstance(v, str)]
        value = self.post.get(name)
        if isinstance(value, list):
            return [v for v in value if isinstance(v, str)]
        return [value] if isinstance(value, str) else []

    def _get(self, name: str) -> str | None:
        values = self._getlist(name)
        return values[-1] if values else None

    def object(self, node: dict[str, Any], path: str, depth: int) -> dict[str, Any]:
        data: dict[str, Any] = {}
        for name, field in object_fields(node, self.root).items():
            full = f"{path}{name}"
            if is_object_field(field):
                if depth < MAX_NESTING:
                    child = self.object(field, f"{full}.", depth + 1)
                    if child:
                        data[name] = child
                continue
            value = self.field(field, full)
            if value is not _MISSING:
                data[name] = value
        return data

    def field(self, field: dict[str, Any], path: str) -> Any:
        html_name = f"{self.prefix}{path}"
        kind = primary_type(field, self.root)
        if is_document_field(field) and self.files and self.files.get(html_name) is not None:
            return _MISSING
        if kind == "array":
            items = resolve(field.get("items"), self.root)
            texts = [_clean(text) for text in self._getlist(html_name)]
            values = [self.scalar(items, text) for text in texts if text]
            return values if values else _MISSING
        if is_document_field(field):
            # A browser sends the file input even when no file was chosen: Django keeps
            # it in the POST as "" beside the hidden input holding the attached document.
            kept = [v for v in self._getlist(html_name) if v.strip()]
            return _clean(kept[-1]) if kept else _MISSING
        raw = self._get(html_name)
        widget = self.form.field_ui(path).get("widget")
        if kind == "boolean" and widget in (None, "checkbox") and choice_options(field, self.root) is None:
            if raw is None:
                return False
            return self.scalar(field, _clean(raw) or "false")
        if raw is None:
            return _MISSING
        text = _clean(raw)
        return self.scalar(field, text) if text else _MISSING

    def scalar(self, field: dict[str, Any], text: str) -> Any:
        for value, _label in choice_options(field, self.root) or []:
            if option_value(value) == text:
                return value
        kind = primary_type(field, self.root)
        if kind == "integer" and _INTEGER_RE.fullmatch(text):
            return int(text)
        if kind == "number" and _NUMBER_RE.fullmatch(text):
            with contextlib.suppress(InvalidOperation):
                if "." not in text and "," not in text:
                    return int(text)
                return float(Decimal(text.replace(",", ".")))
        if kind == "boolean":
            lowered = text.lower()
            if lowered in _TRUE:
                return True
            if lowered in _FALSE:
                return False
        return text


def whole_numbers(node: dict[str, Any], root: dict[str, Any], data: Any, depth: int = 0) -> Any:
    """`data` (a JSON submission) with integer fields given as 5.0 turned into 5.

    JSON Schema counts 5.0 as an integer, so it validates, but stored as a float it would
    show as «5.0» (a case number) and fail lookups by number. Fractions stay as they are
    (the schema refuses them)."""
    if not isinstance(data, dict) or depth > MAX_NESTING:
        return data
    fields = object_fields(node, root)
    result = dict(data)
    for name, value in data.items():
        field = fields.get(name)
        if field is None:
            continue
        kind = primary_type(field, root)
        if kind == "integer" and isinstance(value, float) and value.is_integer():
            result[name] = int(value)
        elif kind == "object" and isinstance(value, dict):
            result[name] = whole_numbers(field, root, value, depth + 1)
    return result


def _clean(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n").strip()
