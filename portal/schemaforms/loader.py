"""Load form definitions from FORMS_DIR, check them once, and cache them.

A definition is checked completely at load (meta-schema, known formats, registered
domain validators, file options, UI hints), so a broken form fails at deployment
(`form_catalogue_check`) and not in front of a citizen. The cache is keyed by the
directory and the key, and refreshed when either file's mtime or size changes.
"""

from __future__ import annotations

import json
import logging
import re
import threading
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _
from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError

from .files import ABSOLUTE_MAX_BYTES, ACCEPT_LABELS
from .formats import known_formats
from .hardening import harden
from .registry import is_registered_validator
from .schema import (
    declared_types,
    is_document_field,
    iter_subschemas,
    object_fields,
    primary_type,
    resolve,
)

logger = logging.getLogger(__name__)

KEY_RE = re.compile(r"[a-z0-9_\-]+")
MAX_KEY_LENGTH = 200  # engine models store form keys in a CharField(200)
MAX_FILE_BYTES = 1024 * 1024
SCHEMA_DIALECTS = {
    "https://json-schema.org/draft/2020-12/schema",
    "https://json-schema.org/draft/2020-12/schema#",
}
WIDGETS = {
    "textarea", "radio", "select", "checkbox", "checkboxes", "date", "file", "hidden", "text", "email", "number",
}
UI_KEYS = {"order", "fields", "submit", "timeline"}
FIELD_UI_KEYS = {"widget", "help", "placeholder", "rows"}


class FormError(Exception):
    """Base of the loader's errors; str() is a Spanish message for an administrator."""


class FormNotFound(FormError, LookupError):
    pass


class FormDefinitionError(FormError, ValueError):
    pass


@dataclass(frozen=True, eq=False)
class FormDefinition:
    """A loaded form. Shared through the cache: treat `schema` and `ui` as read-only.

    `validation_schema` is the schema hardened for validation: every string field without
    `maxLength` gets the implicit limit, and every object that does not say otherwise
    refuses unknown fields (`unevaluatedProperties: false`).
    """

    key: str
    schema: dict[str, Any]
    ui: dict[str, Any] = field(default_factory=dict)
    validation_schema: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def title(self) -> str:
        return str(self.schema.get("title") or self.key)

    @property
    def description(self) -> str:
        return str(self.schema.get("description") or "")

    @property
    def submit_label(self) -> str:
        return str(self.ui.get("submit") or _("Enviar"))

    @cached_property
    def has_files(self) -> bool:
        """True when the HTML form needs enctype="multipart/form-data"."""
        return any(is_document_field(node) for _pointer, node in iter_subschemas(self.schema))

    def __post_init__(self) -> None:
        if not self.validation_schema:  # built by hand (tests, previews) rather than loaded
            object.__setattr__(self, "validation_schema", harden(self.schema))

    def field_ui(self, path: str) -> dict[str, Any]:
        fields = self.ui.get("fields") or {}
        value = fields.get(path)
        return value if isinstance(value, dict) else {}


def field_schema_at(form: FormDefinition, path: list[Any] | str) -> dict[str, Any]:
    """The declaration of the field at `path` ("apoderado.dni" or a list), or {}."""
    root = form.schema
    parts = path.split(".") if isinstance(path, str) else list(path)
    node: dict[str, Any] = root
    for part in parts:
        if isinstance(part, int) or (isinstance(part, str) and part.isdigit() and primary_type(node) == "array"):
            node = resolve(node.get("items"), root)
        else:
            node = object_fields(node, root).get(part, {})
        if not node:
            return {}
    return node


_cache: dict[tuple[str, str], tuple[tuple[Any, ...], FormDefinition]] = {}
_lock = threading.Lock()


def forms_dir() -> Path:
    return Path(settings.ENGINE["FORMS_DIR"])


def load_form(key: str) -> FormDefinition:
    """The checked definition of form `key`. Raises FormNotFound or FormDefinitionError."""
    if not isinstance(key, str) or len(key) > MAX_KEY_LENGTH or not KEY_RE.fullmatch(key):
        raise FormNotFound(_("El formulario «%(key)s» no existe: el nombre no es válido.") % {"key": str(key)[:80]})
    directory = forms_dir()
    schema_path = directory / f"{key}.schema.json"
    ui_path = directory / f"{key}.ui.json"
    stamp = (_stamp(schema_path), _stamp(ui_path))
    if stamp[0] is None:
        raise FormNotFound(_("El formulario «%(key)s» no existe en %(dir)s.") % {"key": key, "dir": directory.name})
    cache_key = (str(directory), key)
    with _lock:
        cached = _cache.get(cache_key)
    if cached is not None and cached[0] == stamp:
        return cached[1]
    definition = _build(key, schema_path, ui_path if stamp[1] is not None else None)
    with _lock:
        _cache[cache_key] = (stamp, definition)
    return definition


def clear_cache() -> None:
    with _lock:
        _cache.clear()


def form_problem(key: str) -> str | None:
    """None when form `key` exists and is valid, else the Spanish reason."""
    try:
        load_form(key)
    except FormError as exc:
        return str(exc)
    return None


def form_catalogue_check(key: str) -> bool:
    """True when form `key` exists and is valid (for deployment validation)."""
    problem = form_problem(key)
    if problem is not None:
        logger.info("form %r refused: %s", key, problem)
    return problem is None


class SchemaFormCatalogue:
    """The engine's FormCatalogue protocol backed by this loader (exists = exists and valid)."""

    def exists(self, form_key: str) -> bool:
        return form_catalogue_check(form_key)

    def problem(self, form_key: str) -> str | None:
        return form_problem(form_key)


def _stamp(path: Path) -> tuple[int, int] | None:
    try:
        stat = path.stat()
    except (FileNotFoundError, NotADirectoryError):
        return None
    return (stat.st_mtime_ns, stat.st_size)


def _read_json(key: str, path: Path) -> Any:
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise FormDefinitionError(
                _("El formulario «%(key)s»: %(file)s supera 1 MB.") % {"key": key, "file": path.name}
            )
        text = path.read_text(encoding="utf-8")
        return json.loads(text, parse_constant=_refuse_constant)
    except FormDefinitionError:
        raise
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise FormDefinitionError(
            _("El formulario «%(key)s»: %(file)s no es un JSON válido (%(error)s).")
            % {"key": key, "file": path.name, "error": exc}
        ) from exc


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _build(key: str, schema_path: Path, ui_path: Path | None) -> FormDefinition:
    schema = _read_json(key, schema_path)
    ui = _read_json(key, ui_path) if ui_path is not None else {}
    problems = _schema_problems(schema) if isinstance(schema, dict) else [_("el esquema debe ser un objeto JSON.")]
    if not problems:
        problems = _ui_problems(ui, schema)
    if problems:
        raise FormDefinitionError(
            _("El formulario «%(key)s» no es válido: %(problems)s") % {"key": key, "problems": " ".join(problems)}
        )
    return FormDefinition(key=key, schema=schema, ui=ui, validation_schema=harden(schema))


def _schema_problems(schema: dict[str, Any]) -> list[str]:
    dialect = schema.get("$schema")
    if dialect is not None and dialect not in SCHEMA_DIALECTS:
        return [_("debe usar JSON Schema 2020-12 ($schema «%(value)s» no admitido).") % {"value": dialect}]
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as exc:
        where = "/".join(str(p) for p in exc.absolute_path) or "raíz"
        return [_("el esquema no cumple JSON Schema 2020-12 en «%(where)s»: %(error)s")
                % {"where": where, "error": exc.message}]
    if declared_types(schema) != ["object"]:
        return [_("el esquema debe tener \"type\": \"object\".")]
    problems: list[str] = []
    formats = known_formats()
    for pointer, node in iter_subschemas(schema):
        fmt = node.get("format")
        if fmt is not None and fmt not in formats:
            problems.append(_("formato desconocido «%(format)s» en %(where)s.") % {"format": fmt, "where": pointer})
        name = node.get("x-validator")
        if name is not None and (not isinstance(name, str) or not is_registered_validator(name)):
            problems.append(
                _("validador desconocido «%(name)s» en %(where)s.") % {"name": name, "where": pointer}
            )
        messages = node.get("x-messages")
        if messages is not None and not (
            isinstance(messages, dict) and all(isinstance(v, str) for v in messages.values())
        ):
            problems.append(_("x-messages debe asociar palabras clave a textos en %(where)s.") % {"where": pointer})
        if "x-file" in node:
            problems.extend(_file_problems(node["x-file"], pointer))
    return problems


def _file_problems(options: Any, pointer: str) -> list[str]:
    if not isinstance(options, dict):
        return [_("x-file debe ser un objeto en %(where)s.") % {"where": pointer}]
    problems = []
    accept = options.get("accept")
    if accept is not None and (
        not isinstance(accept, list) or not accept or any(item not in ACCEPT_LABELS for item in accept)
    ):
        problems.append(
            _("x-file.accept en %(where)s solo admite %(types)s.")
            % {"where": pointer, "types": ", ".join(sorted(ACCEPT_LABELS))}
        )
    max_bytes = options.get("maxBytes")
    if max_bytes is not None and (
        not isinstance(max_bytes, int) or isinstance(max_bytes, bool) or not 0 < max_bytes <= ABSOLUTE_MAX_BYTES
    ):
        problems.append(
            _("x-file.maxBytes en %(where)s debe ser un entero entre 1 y %(max)s.")
            % {"where": pointer, "max": ABSOLUTE_MAX_BYTES}
        )
    return problems


def _ui_problems(ui: Any, schema: dict[str, Any]) -> list[str]:
    if not isinstance(ui, dict):
        return [_("el archivo .ui.json debe ser un objeto JSON.")]
    problems: list[str] = []
    unknown = sorted(set(ui) - UI_KEYS)
    if unknown:
        problems.append(_("claves desconocidas en .ui.json: %(keys)s.") % {"keys": ", ".join(unknown)})
    paths = _field_paths(schema)
    order = ui.get("order", [])
    if not isinstance(order, list) or not all(isinstance(name, str) for name in order):
        problems.append(_("«order» debe ser una lista de nombres de campo."))
    else:
        missing = [name for name in order if name not in paths]
        if missing:
            problems.append(_("«order» nombra campos que no existen: %(names)s.") % {"names": ", ".join(missing)})
    fields = ui.get("fields", {})
    if not isinstance(fields, dict):
        problems.append(_("«fields» debe ser un objeto."))
        fields = {}
    for name, hints in fields.items():
        if name not in paths:
            problems.append(_("«fields» nombra un campo que no existe: %(name)s.") % {"name": name})
            continue
        if not isinstance(hints, dict):
            problems.append(_("«fields.%(name)s» debe ser un objeto.") % {"name": name})
            continue
        extra = sorted(set(hints) - FIELD_UI_KEYS)
        if extra:
            problems.append(_("«fields.%(name)s» tiene claves desconocidas: %(keys)s.")
                            % {"name": name, "keys": ", ".join(extra)})
        widget = hints.get("widget")
        if widget is not None and widget not in WIDGETS:
            problems.append(_("«fields.%(name)s»: widget desconocido «%(widget)s».") % {"name": name, "widget": widget})
        rows = hints.get("rows")
        if rows is not None and (not isinstance(rows, int) or isinstance(rows, bool) or not 1 <= rows <= 50):
            problems.append(_("«fields.%(name)s»: rows debe ser un entero entre 1 y 50.") % {"name": name})
        for text_key in ("help", "placeholder"):
            if text_key in hints and not isinstance(hints[text_key], str):
                problems.append(_("«fields.%(name)s»: %(key)s debe ser texto.") % {"name": name, "key": text_key})
    for text_key in ("submit", "timeline"):
        if text_key in ui and not isinstance(ui[text_key], str):
            problems.append(_("«%(key)s» debe ser texto.") % {"key": text_key})
    return problems


def _field_paths(schema: dict[str, Any]) -> set[str]:
    """Every field path a UI file may name: "nombre", "apoderado.dni"."""
    return _field_paths_of(schema, schema, "", 0)


def _field_paths_of(node: dict[str, Any], root: dict[str, Any], prefix: str, depth: int) -> set[str]:
    paths: set[str] = set()
    for name, child in object_fields(node, root).items():
        path = f"{prefix}{name}"
        paths.add(path)
        if depth < 5 and isinstance(child.get("properties"), dict):
            paths |= _field_paths_of(child, root, f"{path}.", depth + 1)
    return paths
