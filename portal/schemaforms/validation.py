"""Validate form data against its schema, with messages a school clerk understands.

`validate` returns `{field path: [Spanish messages]}` ("nombre", "apoderado.dni", and
"__all__" for the form as a whole); an empty dict means the data is valid. Formats are
enforced (jsonschema skips them without a checker), Peru's document numbers included,
and schemas may call named domain validators with `"x-validator": "<name>"`.

The HTML path is `validate_post` (coerce the POST, store uploads, validate); the API
path calls `validate` on the JSON body.
"""

from __future__ import annotations

import contextlib
import datetime
import json
import logging
import re
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextvars import ContextVar
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import EmailValidator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from jsonschema import Draft202012Validator, FormatChecker, validators
from jsonschema._keywords import unevaluatedProperties as _builtin_unevaluated_properties
from jsonschema.exceptions import ValidationError, best_match

from .loader import FormDefinition, FormDefinitionError
from .schema import (
    choice_options,
    is_document_field,
    is_object_field,
    object_fields,
    option_value,
    primary_type,
    resolve,
    value_label,
)

logger = logging.getLogger(__name__)

try:  # private helper; without it only declared fields count as known
    from jsonschema._utils import find_evaluated_property_keys_by_schema
except ImportError:  # pragma: no cover
    find_evaluated_property_keys_by_schema = None

MAX_PAYLOAD_BYTES = 1024 * 1024
ALL = "__all__"
DomainValidator = Callable[[Any, Mapping[str, Any]], "str | None"]

# Text is stored as typed (escaping is the renderer's job), but C0/C1 control characters
# other than tab, newline and carriage return, and lone surrogates, are refused: they have
# no business in a form, break PDFs and CSV exports, and hide text from reviewers.
_BAD_TEXT_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")


class FormatProblem(ValueError):
    """Raised by a format check with a specific Spanish message."""


# --- Formats ---------------------------------------------------------------------------

FORMAT_CHECKER = FormatChecker()  # a copy of jsonschema's checkers; ours replace or add

_DNI_RE = re.compile(r"[0-9]{8}")
# Carné de extranjería (issued by Superintendencia Nacional de Migraciones). Cards issued
# today carry a 9-digit number; SUNAT's catalogue of identity documents (catálogo 06,
# type 4) and RENIEC/Migraciones web services accept up to 12 alphanumeric characters for
# older and special-category cards. We accept 9 to 12 letters or digits: a typo of one
# digit in a 9-digit number is caught (8 digits would be a DNI), and older cards fit.
_CE_RE = re.compile(r"[0-9A-Za-z]{9,12}")
_CODIGO_MODULAR_RE = re.compile(r"[0-9]{7}(-[0-9])?")
_RUC_RE = re.compile(r"[0-9]{11}")
RUC_PREFIXES = ("10", "15", "16", "17", "20")
RUC_WEIGHTS = (5, 4, 3, 2, 7, 6, 5, 4, 3, 2)
_DATE_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_UUID_RE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_email_validator = EmailValidator()


def ruc_check_digit(first_ten: str) -> int:
    """SUNAT's modulo-11 check digit for the first ten digits of a RUC."""
    total = sum(int(digit) * weight for digit, weight in zip(first_ten, RUC_WEIGHTS, strict=True))
    digit = 11 - total % 11
    return {10: 0, 11: 1}.get(digit, digit)


@FORMAT_CHECKER.checks("dni", raises=FormatProblem)
def is_dni(value: object) -> bool:
    return not isinstance(value, str) or bool(_DNI_RE.fullmatch(value))


@FORMAT_CHECKER.checks("carne_extranjeria", raises=FormatProblem)
def is_carne_extranjeria(value: object) -> bool:
    return not isinstance(value, str) or bool(_CE_RE.fullmatch(value))


@FORMAT_CHECKER.checks("codigo_modular", raises=FormatProblem)
def is_codigo_modular(value: object) -> bool:
    return not isinstance(value, str) or bool(_CODIGO_MODULAR_RE.fullmatch(value))


@FORMAT_CHECKER.checks("ruc", raises=FormatProblem)
def is_ruc(value: object) -> bool:
    if not isinstance(value, str):
        return True
    if not _RUC_RE.fullmatch(value):
        raise FormatProblem(_("El RUC debe tener exactamente 11 dígitos."))
    if not value.startswith(RUC_PREFIXES):
        raise FormatProblem(_("El RUC debe empezar con 10, 15, 16, 17 o 20."))
    if ruc_check_digit(value[:10]) != int(value[10]):
        raise FormatProblem(_("El RUC no es válido: revise los dígitos (el último no corresponde)."))
    return True


@FORMAT_CHECKER.checks("email", raises=FormatProblem)
def is_email(value: object) -> bool:
    if not isinstance(value, str):
        return True
    try:
        _email_validator(value)
    except DjangoValidationError:
        return False
    return True


@FORMAT_CHECKER.checks("date", raises=FormatProblem)
def is_date(value: object) -> bool:
    if not isinstance(value, str):
        return True
    if not _DATE_RE.fullmatch(value):
        return False
    try:
        datetime.date.fromisoformat(value)
    except ValueError as exc:
        raise FormatProblem(_("La fecha no existe en el calendario.")) from exc
    return True


@FORMAT_CHECKER.checks("document", raises=FormatProblem)
def is_document(value: object) -> bool:
    """A UUID of an existing Document; of the context's user's own, when there is a user.

    `context["user"]` None means an internal caller (no restriction); an anonymous user
    owns nothing. One answer for "does not exist" and "not yours", so ids cannot be probed.
    """
    if not isinstance(value, str):
        return True
    if not _UUID_RE.fullmatch(value):
        return False
    from .models import Document

    documents = Document.objects.filter(pk=uuid.UUID(value))
    context = _state.get()[0]
    user = context.get("user")
    if user is not None:
        if not getattr(user, "is_authenticated", False):
            return False
        documents = documents.filter(uploaded_by=user)
    return documents.exists()


FORMAT_MESSAGES = {
    "dni": gettext_noop("El DNI debe tener exactamente 8 dígitos."),
    "carne_extranjeria": gettext_noop(
        "El carné de extranjería debe tener entre 9 y 12 letras o dígitos, sin espacios ni guiones."
    ),
    "codigo_modular": gettext_noop(
        "El código modular tiene 7 dígitos y, si corresponde, un guion y el anexo (por ejemplo, 1598333-0)."
    ),
    "ruc": gettext_noop("El RUC no es válido."),
    "email": gettext_noop("Ingrese un correo electrónico válido (por ejemplo, nombre@dominio.pe)."),
    "date": gettext_noop("Ingrese una fecha válida con el formato AAAA-MM-DD."),
    "document": gettext_noop("El documento adjunto no existe o no le pertenece. Vuelva a adjuntarlo."),
}


def known_formats() -> set[str]:
    return set(FORMAT_CHECKER.checkers)


# --- Domain validators -------------------------------------------------------------------

_VALIDATORS: dict[str, DomainValidator] = {}


def register_validator(name: str, func: DomainValidator | None = None) -> Any:
    """Register `func(value, context) -> Spanish message | None` as validator `name`.
    A validator of an object may instead return {"field.path": message} to put each
    message on a field.

    Usable as `register_validator("x", func)` or as the decorator `@register_validator("x")`.
    Register in `AppConfig.ready()` so forms naming the validator load. A validator runs
    only on a value that already satisfies the rest of its schema (type, format...), so
    it need not re-check them; `context` is the dict the caller passed to `validate`.
    Registering a name again replaces the previous function.
    """
    if not isinstance(name, str) or not name:
        raise ValueError("a validator needs a non-empty name")

    def decorator(function: DomainValidator) -> DomainValidator:
        _VALIDATORS[name] = function
        return function

    return decorator(func) if func is not None else decorator


def unregister_validator(name: str) -> None:
    _VALIDATORS.pop(name, None)


def is_registered_validator(name: str) -> bool:
    return name in _VALIDATORS


# --- The validator class -----------------------------------------------------------------

# (caller's context, root schema) for the validation under way in this thread/task.
_state: ContextVar[tuple[Mapping[str, Any], dict[str, Any]]] = ContextVar(
    "schemaforms_state", default=({}, {})
)


def _required(validator, required, instance, schema) -> Iterator[ValidationError]:
    # As jsonschema's, but the error sits on the missing field, so it shows beside it.
    if not validator.is_type(instance, "object"):
        return
    for name in required:
        if name not in instance:
            yield ValidationError(f"{name!r} is a required property", path=[name])


def _dependent_required(validator, dependent, instance, schema) -> Iterator[ValidationError]:
    if not validator.is_type(instance, "object"):
        return
    for trigger, needed in dependent.items():
        if trigger not in instance:
            continue
        for name in needed:
            if name not in instance:
                yield ValidationError(f"{name!r} is a dependency of {trigger!r}", path=[name])


def _additional_properties(validator, additional, instance, schema) -> Iterator[ValidationError]:
    if additional is not False or not validator.is_type(instance, "object"):
        yield from Draft202012Validator.VALIDATORS["additionalProperties"](
            validator, additional, instance, schema
        )
        return
    patterns = list(schema.get("patternProperties", {}))
    for name in instance:
        if name in schema.get("properties", {}) or any(re.search(p, name) for p in patterns):
            continue
        yield ValidationError(f"{name!r} was unexpected", path=[name])


def _unevaluated_properties(validator, unevaluated, instance, schema) -> Iterator[ValidationError]:
    if unevaluated is not False or not validator.is_type(instance, "object"):
        yield from _builtin_unevaluated_properties(validator, unevaluated, instance, schema)
        return
    root = _state.get()[1] or schema
    # Known = declared anywhere at this level (even in a branch that did not apply) or
    # evaluated by jsonschema's rules (patternProperties, additionalProperties...).
    known = set(object_fields(schema, root))
    if find_evaluated_property_keys_by_schema is not None:
        known |= set(find_evaluated_property_keys_by_schema(validator, instance, schema))
    for name in instance:
        if name not in known:
            yield ValidationError(f"{name!r} was unexpected", path=[name])


def _x_validator(validator, name, instance, schema) -> Iterator[ValidationError]:
    func = _VALIDATORS.get(name)
    if func is None:
        raise FormDefinitionError(_("El validador «%(name)s» no está registrado.") % {"name": name})
    rest = {key: value for key, value in schema.items() if key != "x-validator"}
    if not validator.evolve(schema=rest).is_valid(instance):
        return
    message = func(instance, _state.get()[0])
    if isinstance(message, Mapping):
        # A validator of an object may place each message on one of its fields
        # ({"rd.archivo": "..."}), so it shows beside what must change.
        for path, text in message.items():
            if text:
                yield ValidationError(str(text), path=[p for p in str(path).split(".") if p])
    elif message:
        yield ValidationError(str(message))


FormValidator = validators.extend(
    Draft202012Validator,
    validators={
        "required": _required,
        "dependentRequired": _dependent_required,
        "additionalProperties": _additional_properties,
        "unevaluatedProperties": _unevaluated_properties,
        "x-validator": _x_validator,
    },
)


# --- validate ----------------------------------------------------------------------------


def validate(form: FormDefinition, data: Any, *, context: Mapping[str, Any] | None = None) -> dict[str, list[str]]:
    """Field errors for `data` under `form`; {} when valid. Never raises on bad data.

    `context` reaches domain validators and the `document` format: pass `{"user": user}`
    so a user can only attach their own documents. Validators also get `form_key`.
    """
    if not isinstance(data, dict):
        return {ALL: [_("Los datos del formulario no son válidos.")]}
    try:
        size = len(json.dumps(data, ensure_ascii=False, allow_nan=False).encode("utf-8", "surrogatepass"))
    except (TypeError, ValueError, RecursionError):
        return {ALL: [_("Los datos del formulario no son válidos.")]}
    if size > MAX_PAYLOAD_BYTES:
        return {ALL: [_("Los datos enviados superan el máximo de 1 MB. Acorte los textos "
                        "o adjunte la información como documento.")]}

    errors: dict[str, list[str]] = {}
    for path in _bad_text_paths(data, []):
        _add(errors, _key(path), _("El texto contiene caracteres no permitidos (caracteres de control)."))

    token = _state.set(({"form_key": form.key, **(context or {})}, form.validation_schema))
    try:
        validator = FormValidator(form.validation_schema, format_checker=FORMAT_CHECKER)
        for error in validator.iter_errors(data):
            for key, message in _entries(error, form):
                _add(errors, key, message)
    finally:
        _state.reset(token)
    return errors


def _add(errors: dict[str, list[str]], key: str, message: str) -> None:
    messages = errors.setdefault(key, [])
    if message not in messages:
        messages.append(message)


def _bad_text_paths(value: Any, path: list[Any]) -> Iterator[list[Any]]:
    if isinstance(value, str):
        if _BAD_TEXT_RE.search(value):
            yield path
    elif isinstance(value, dict):
        for name, child in value.items():
            if isinstance(name, str) and _BAD_TEXT_RE.search(name):
                yield path
            else:
                yield from _bad_text_paths(child, [*path, name])
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from _bad_text_paths(child, [*path, index])


def _key(path: list[Any]) -> str:
    # An error on one item of a list of choices belongs to the list's field.
    parts = list(path)
    if parts and isinstance(parts[-1], int):
        parts.pop()
    return ".".join(str(part) for part in parts) or ALL


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


def _label(form: FormDefinition, path: list[Any]) -> str:
    node = field_schema_at(form, path)
    return str(node.get("title") or (path[-1] if path else form.title))


def _entries(error: ValidationError, form: FormDefinition) -> list[tuple[str, str]]:
    keyword = error.validator
    path = list(error.absolute_path)
    own = error.schema if isinstance(error.schema, dict) else {}
    if keyword in ("anyOf", "oneOf") and choice_options(own, form.schema) is None:
        return _alternatives(error, form, path, own)
    field = field_schema_at(form, path)
    if keyword in ("required", "dependentRequired"):
        override = _override(field, keyword)
    else:
        override = _override(own, keyword) or _override(field, keyword)
    return [(_key(path), override or _default_message(error, form, path, field))]


def _override(node: dict[str, Any], keyword: Any) -> str | None:
    messages = node.get("x-messages")
    if isinstance(messages, dict) and isinstance(keyword, str):
        value = messages.get(keyword)
        return value if isinstance(value, str) else None
    return None


def _alternatives(error: ValidationError, form: FormDefinition, path: list[Any],
                  own: dict[str, Any]) -> list[tuple[str, str]]:
    override = _override(own, error.validator)
    if override:
        return [(_key(path), override)]
    context = list(error.context or [])
    if context and all(sub.validator == "required" for sub in context):
        labels: list[str] = []
        for sub in context:
            label = f"«{_label(form, list(sub.absolute_path))}»"
            if label not in labels:
                labels.append(label)
        names = labels[0] if len(labels) == 1 else _("%(first)s o %(last)s") % {
            "first": ", ".join(labels[:-1]), "last": labels[-1]}
        return [(_key(path), _("Complete al menos uno de estos campos: %(names)s.") % {"names": names})]
    if not context:
        return [(_key(path), _("La combinación de valores no es válida: revise los campos."))]
    best = best_match(context)
    return _entries(best, form)


def _num(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _default_message(error: ValidationError, form: FormDefinition, path: list[Any], field: dict[str, Any]) -> str:
    keyword = error.validator
    value = error.validator_value
    if keyword == "x-validator":
        return error.message
    if keyword == "required":
        return _("Este campo es obligatorio.")
    if keyword == "dependentRequired":
        name = path[-1] if path else ""
        trigger = next(
            (t for t, needed in (value or {}).items() if name in needed and t in (error.instance or {})), ""
        )
        return _("Este campo es obligatorio cuando se completa «%(other)s».") % {
            "other": _label(form, [*path[:-1], trigger])}
    if keyword in ("additionalProperties", "unevaluatedProperties"):
        return _("El campo «%(name)s» no forma parte de este formulario.") % {"name": str(path[-1]) if path else ""}
    if keyword == "type":
        return _type_message(value)
    if keyword == "format":
        if isinstance(error.cause, FormatProblem):
            return str(error.cause)
        message = FORMAT_MESSAGES.get(value)
        return _(message) if message else _("El valor no tiene el formato esperado.")
    if keyword in ("enum", "oneOf", "anyOf"):
        return _("Elija una de las opciones.")
    if keyword == "const":
        if value is True:
            return _("Debe marcar esta casilla para continuar.")
        return _("El valor debe ser «%(value)s».") % {"value": value_label(field, form.schema, value)}
    simple = {
        "pattern": lambda: _("El valor no tiene el formato esperado."),
        "minLength": lambda: _("Este campo es obligatorio.") if value == 1
        else _("Mínimo %(n)s caracteres.") % {"n": value},
        "maxLength": lambda: _("Máximo %(n)s caracteres.") % {"n": value},
        "minimum": lambda: _("El valor mínimo es %(n)s.") % {"n": _num(value)},
        "maximum": lambda: _("El valor máximo es %(n)s.") % {"n": _num(value)},
        "exclusiveMinimum": lambda: _("Debe ser mayor que %(n)s.") % {"n": _num(value)},
        "exclusiveMaximum": lambda: _("Debe ser menor que %(n)s.") % {"n": _num(value)},
        "multipleOf": lambda: _("Debe ser múltiplo de %(n)s.") % {"n": _num(value)},
        "minItems": lambda: _("Elija al menos una opción.") if value == 1
        else _("Elija al menos %(n)s opciones.") % {"n": value},
        "maxItems": lambda: _("Elija solo una opción.") if value == 1
        else _("Elija como máximo %(n)s opciones.") % {"n": value},
        "uniqueItems": lambda: _("No repita opciones."),
        "contains": lambda: _("Falta elegir una opción obligatoria."),
        "not": lambda: _("Este valor no está permitido."),
        None: lambda: _("Este campo no está permitido."),  # a `false` schema
    }
    if keyword in simple:
        return simple[keyword]()
    return _("El valor no es válido.")


def _type_message(expected: Any) -> str:
    kinds = [expected] if isinstance(expected, str) else [k for k in (expected or []) if k != "null"]
    kind = kinds[0] if kinds else ""
    return {
        "integer": _("Ingrese un número entero."),
        "number": _("Ingrese un número."),
        "string": _("Ingrese un texto."),
        "boolean": _("Elija sí o no."),
        "array": _("Elija una o más opciones."),
        "object": _("Los datos de este grupo de campos no son válidos."),
    }.get(kind, _("El valor no es válido."))


# --- HTML POST ---------------------------------------------------------------------------

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
    upload replaces it (see files.attach_uploads).
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


def _clean(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n").strip()


def validate_post(form: FormDefinition, post: Any, files: Any, *, user: Any, context: Mapping[str, Any] | None = None,
                  prefix: str = "") -> tuple[dict[str, Any], dict[str, list[str]]]:
    """The HTML path in one call: (typed data, field errors).

    Coerces the POST, stores each uploaded file (`files.attach_uploads`), validates with
    `{"user": user, **context}`. An upload's own error replaces the field's other
    messages. When errors is non-empty, re-render with `render_form(form, data=data,
    errors=errors)`; documents stored meanwhile stay as orphans (see attach_uploads).
    """
    from .files import attach_uploads

    data = coerce_post(form, post, files, prefix=prefix)
    upload_errors = attach_uploads(form, data, files, user=user, prefix=prefix)
    errors = validate(form, data, context={"user": user, **(context or {})})
    errors.update(upload_errors)
    return data, errors


# --- Timeline ----------------------------------------------------------------------------

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
        from .models import Document

        try:
            document = Document.objects.filter(pk=uuid.UUID(value)).only("original_name").first()
        except ValueError:
            document = None
        if document is not None:
            return document.original_name
    if isinstance(value, dict):
        return ""
    return value_label(node, form.schema, value)
