"""The case timeline's phrase for a submitted form (`ui.timeline`), with the values' labels."""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from typing import Any

from portal.shared.ids import parse_uuid

from .loader import FormDefinition, field_schema_at
from .schema import is_document_field, value_label
from .selectors import document_name

logger = logging.getLogger(__name__)

_PLACEHOLDER_RE = re.compile(r"\{([A-Za-z0-9_\-]+(?:\.[A-Za-z0-9_\-]+)*)\}")


def timeline_text(form: FormDefinition, data: Mapping[str, Any] | None) -> str | None:
    """The form's `ui.timeline` phrase with `{field}` replaced by the value's label.

    Labels are option titles, "Sí"/"No" for booleans, the attached document's name, or
    the raw value; a missing field becomes "". Only `{name}` and `{parent.child}` are
    placeholders; anything else in the template (stray braces included) is kept as
    written. None when the form has no timeline. Never raises.
    """
    template = form.ui.get("timeline") if isinstance(form.ui, Mapping) else None
    if not isinstance(template, str) or not template:
        return None
    try:
        return _PLACEHOLDER_RE.sub(lambda match: _timeline_value(form, data or {}, match.group(1)), template)
    except Exception:  # a phrase for the audit trail must never break the step that writes it
        logger.exception("form %s: could not phrase the timeline", form.key)
        return template


def _timeline_value(form: FormDefinition, data: Mapping[str, Any], path: str) -> str:
    value: Any = data
    for part in path.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return ""
        value = value[part]
    node = field_schema_at(form, path)
    if is_document_field(node) and isinstance(value, str):
        pk = parse_uuid(value)
        name = document_name(pk) if pk is not None else None
        if name is not None:
            return name
    if isinstance(value, dict):
        return ""
    return value_label(node, form.schema, value)
