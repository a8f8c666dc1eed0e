"""HTML for a form (Bootstrap 5): fields, errors beside them, values kept.

`render_form` builds plain dicts describing each field and hands them to
`schemaforms/_form.html`; every value reaches the page through Django's autoescape.
It renders the error summary, the fields and the submit button, not the `<form>` tag:
the caller adds `method`, `action`, `{% csrf_token %}` and, when `form.has_files`,
`enctype="multipart/form-data"`.
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Callable, Mapping
from typing import Any

from django.template.loader import render_to_string
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from portal.core import identity

from .files import file_options, human_size
from .hardening import IMPLICIT_MAX_LENGTH
from .loader import FormDefinition
from .messages import ALL
from .schema import (
    choice_options,
    is_document_field,
    is_object_field,
    object_fields,
    option_value,
    primary_type,
    resolve,
)
from .selectors import documents_of

__all__ = ["field_id", "render_form"]

logger = logging.getLogger(__name__)

NUMERIC_FORMATS = {"dni", "codigo_modular", "ruc"}
FORMAT_MAX_LENGTH = {
    "dni": identity.DNI_LENGTH,
    "ruc": identity.RUC_LENGTH,
    "codigo_modular": identity.CODIGO_MODULAR_LENGTH + 1 + identity.ANEXO_LENGTH,  # "1598333-0"
    "carne_extranjeria": identity.CE_MAX_LENGTH,
    "email": 254,
}
MAX_RADIOS = 4  # more options than this render as a <select>
TEXTAREA_FROM = 256  # a string allowed this many characters or more is a textarea
MAX_NESTING = 5
_ID_UNSAFE_RE = re.compile(r"[\s\"'<>&#]")


def render_form(
    form: FormDefinition,
    *,
    data: Mapping[str, Any] | None = None,
    errors: Mapping[str, list[str]] | None = None,
    prefix: str = "",
    disabled: bool = False,
    submit: bool = True,
    user: Any = None,
    document_url: Callable[[Any], str] | None = None,
) -> SafeString:
    """The form's fields as HTML, showing `data` (typed values kept) and `errors`.

    `disabled=True` renders a read-only view (no submit button, no file inputs).
    `user`, when given, limits attached documents shown by name to that user's own, as
    validation does. `document_url(document)`, when given, links attached documents.
    """
    builder = _Builder(form, data or {}, errors or {}, prefix, disabled)
    fields = builder.fields(form.schema, "", required_chain=True, depth=0)
    builder.attach_documents(fields, user=user, document_url=document_url)
    context = {
        "form": form,
        "fields": fields,
        "summary": builder.summary(fields),
        "form_errors": list((errors or {}).get(ALL, [])),
        "disabled": disabled,
        "submit": submit and not disabled,
        "submit_label": form.submit_label,
    }
    return render_to_string("schemaforms/_form.html", context)


def field_id(prefix: str, path: str) -> str:
    return "id_" + _ID_UNSAFE_RE.sub("_", f"{prefix}{path}".replace(".", "__"))


class _Builder:
    def __init__(self, form: FormDefinition, data: Mapping[str, Any], errors: Mapping[str, list[str]],
                 prefix: str, disabled: bool):
        self.form, self.data, self.errors = form, data, errors
        self.prefix, self.disabled = prefix, disabled
        self.root = form.schema
        self.rendered: list[dict[str, Any]] = []

    def fields(self, node: dict[str, Any], path: str, *, required_chain: bool, depth: int) -> list[dict[str, Any]]:
        declared = object_fields(node, self.root)
        required = set(resolve(node, self.root).get("required") or [])
        ordered = self._order(list(declared), path)
        result = []
        for name in ordered:
            field = self.field(declared[name], f"{path}{name}",
                               required=required_chain and name in required, depth=depth)
            if field is not None:
                result.append(field)
        return result

    def _order(self, names: list[str], path: str) -> list[str]:
        wanted = [entry[len(path):] for entry in self.form.ui.get("order") or [] if entry.startswith(path)]
        first = [name for name in wanted if name in names]
        return first + [name for name in names if name not in first]

    def field(self, node: dict[str, Any], path: str, *, required: bool, depth: int) -> dict[str, Any] | None:
        ui = self.form.field_ui(path)
        kind = primary_type(node, self.root)
        ident = field_id(self.prefix, path)
        errors = list(self.errors.get(path, []))
        field: dict[str, Any] = {
            "path": path,
            "name": f"{self.prefix}{path}",
            "id": ident,
            "label": str(node.get("title") or path.rsplit(".", 1)[-1]),
            "help": str(ui.get("help") or node.get("description") or ""),
            "placeholder": str(ui.get("placeholder") or ""),
            "required": required,
            "errors": errors,
            "help_id": f"{ident}-help",
            "error_id": f"{ident}-error",
            "disabled": self.disabled,
        }
        field["describedby"] = " ".join(
            ([field["help_id"]] if field["help"] else []) + ([field["error_id"]] if errors else [])
        )
        if is_object_field(node):
            if depth >= MAX_NESTING:
                return None
            field["widget"] = "object"
            field["children"] = self.fields(node, f"{path}.", required_chain=required, depth=depth + 1)
            self.rendered.append(field)
            return field

        value = self._value(path)
        widget = self._widget(node, ui, kind)
        if widget is None:
            logger.warning("form %s: field %s cannot be rendered as HTML", self.form.key, path)
            return None
        field["widget"] = widget
        field["value"] = _display(value)
        if widget in ("radio", "select", "checkboxes"):
            field["options"] = self._options(node, kind, value, ident)
        elif widget == "checkbox":
            field["checked"] = value is True
            field["required"] = required and node.get("const") is True
        elif widget == "textarea":
            field["rows"] = ui.get("rows") or 4
        elif widget == "file":
            accept, max_bytes = file_options(node)
            field["accept"] = ",".join(accept)
            field["document_id"] = value if isinstance(value, str) and not errors else ""
            field["document"] = None
        if widget in ("text", "textarea", "email", "number"):
            limits = [node.get("maxLength", IMPLICIT_MAX_LENGTH if kind in ("string", None) else None),
                      FORMAT_MAX_LENGTH.get(node.get("format") or "")]
            field["maxlength"] = min((limit for limit in limits if isinstance(limit, int)), default=None)
            field["minlength"] = node.get("minLength")
        field["input_type"] = {"date": "date", "email": "email", "hidden": "hidden"}.get(widget, "text")
        field["inputmode"] = self._inputmode(node, kind, widget)
        if widget == "date":
            field["min"], field["max"] = node.get("formatMinimum"), node.get("formatMaximum")
        self.rendered.append(field)
        return field

    def _value(self, path: str) -> Any:
        node: Any = self.data
        for part in path.split("."):
            if not isinstance(node, Mapping) or part not in node:
                return None
            node = node[part]
        return node

    def _widget(self, node: dict[str, Any], ui: dict[str, Any], kind: str | None) -> str | None:
        options = choice_options(node, self.root)
        wanted = ui.get("widget")
        if kind == "array":
            items = resolve(node.get("items"), self.root)
            if choice_options(items, self.root) is not None:
                return "select" if wanted == "select" else "checkboxes"
            return None
        if kind == "object":
            return None
        if is_document_field(node):
            return "hidden" if wanted == "hidden" else "file"
        if wanted in ("radio", "select") and (options is not None or kind == "boolean"):
            return wanted
        if wanted and wanted not in ("radio", "select", "checkboxes", "checkbox", "file"):
            return wanted
        if kind == "boolean" and options is None:
            return "checkbox"
        if options is not None:
            return "radio" if len(options) <= MAX_RADIOS else "select"
        if node.get("format") == "date":
            return "date"
        if node.get("format") == "email":
            return "email"
        if kind in ("integer", "number"):
            return "number"
        if isinstance(node.get("maxLength"), int) and node["maxLength"] >= TEXTAREA_FROM:
            return "textarea"
        return "text"

    def _options(self, node: dict[str, Any], kind: str | None, value: Any, ident: str) -> list[dict[str, Any]]:
        source = node
        if kind == "array":
            source = resolve(node.get("items"), self.root)
        choices = choice_options(source, self.root)
        if choices is None:  # a boolean shown as radio/select
            choices = [(True, _("Sí")), (False, _("No"))]
        if isinstance(value, list):
            selected = {_display(v) for v in value}
        else:
            selected = {_display(value)} if value is not None else set()
        return [
            {
                "value": option_value(choice),
                "label": label,
                # The first option carries the field's id so links and <label for> reach it.
                "id": ident if index == 0 else f"{ident}-{index}",
                "checked": option_value(choice) in selected,
            }
            for index, (choice, label) in enumerate(choices)
        ]

    def _inputmode(self, node: dict[str, Any], kind: str | None, widget: str) -> str:
        if node.get("format") in NUMERIC_FORMATS or (widget == "number" and kind == "integer"):
            return "numeric"
        if widget == "number":
            return "decimal"
        return ""

    def attach_documents(self, fields: list[dict[str, Any]], *, user: Any,
                         document_url: Callable[[Any], str] | None) -> None:
        wanted = {}
        for field in self.rendered:
            if field.get("widget") == "file" and field.get("document_id"):
                try:
                    wanted[field["path"]] = uuid.UUID(field["document_id"])
                except ValueError:
                    field["document_id"] = ""
        if not wanted:
            return
        found = {doc.pk: doc for doc in documents_of(wanted.values(), user=user)}
        for field in self.rendered:
            doc_id = wanted.get(field["path"])
            if doc_id is None:
                continue
            document = found.get(doc_id)
            if document is None:
                field["document_id"] = ""
                continue
            field["document"] = {
                "name": document.original_name,
                "size": human_size(document.size),
                "url": document_url(document) if document_url else "",
            }

    def summary(self, fields: list[dict[str, Any]]) -> list[dict[str, str]]:
        entries = []
        seen = set()
        for field in self.rendered:
            seen.add(field["path"])
            for message in field["errors"]:
                entries.append({"href": f"#{field['id']}", "label": field["label"], "message": message})
        for path, messages in self.errors.items():
            if path == ALL or path in seen:
                continue
            for message in messages:
                entries.append({"href": "", "label": path, "message": message})
        return entries


def _display(value: Any) -> str:
    """A stored value as the text an input shows."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return option_value(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, list | dict):
        return ""
    return str(value)
