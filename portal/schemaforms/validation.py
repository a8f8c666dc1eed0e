"""Validate form data against its schema: the one entry point for both paths.

`validate` returns `{field path: [Spanish messages]}` ("nombre", "apoderado.dni", and
"__all__" for the form as a whole); an empty dict means the data is valid. The HTML path
is `validate_post` (coerce the POST, store uploads, validate); the API path calls
`validate` on the JSON body.

The jobs around it live beside it: `formats` (the format checkers, Peru's document
numbers through portal.core.identity), `registry` (named domain validators,
`"x-validator"`), `messages` (Spanish messages per keyword, `x-messages`), `coercion`
(POST → typed values) and `timeline` (the case timeline's phrase).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from typing import Any

from django.utils.translation import gettext as _
from jsonschema import Draft202012Validator, validators
from jsonschema._keywords import unevaluatedProperties as _builtin_unevaluated_properties
from jsonschema.exceptions import ValidationError

from .coercion import coerce_post
from .context import current_context, current_root, validating
from .formats import FORMAT_CHECKER
from .loader import FormDefinition, FormDefinitionError
from .messages import ALL, error_messages, field_key
from .registry import registered_validator
from .schema import object_fields
from .services import attach_uploads

try:  # private helper; without it only declared fields count as known
    from jsonschema._utils import find_evaluated_property_keys_by_schema
except ImportError:  # pragma: no cover
    find_evaluated_property_keys_by_schema = None

MAX_PAYLOAD_BYTES = 1024 * 1024

# Text is stored as typed (escaping is the renderer's job), but C0/C1 control characters
# other than tab, newline and carriage return, and lone surrogates, are refused: they have
# no business in a form, break PDFs and CSV exports, and hide text from reviewers.
_BAD_TEXT_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")


# --- The validator class -----------------------------------------------------------------


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
    root = current_root() or schema
    # Known = declared anywhere at this level (even in a branch that did not apply) or
    # evaluated by jsonschema's rules (patternProperties, additionalProperties...).
    known = set(object_fields(schema, root))
    if find_evaluated_property_keys_by_schema is not None:
        known |= set(find_evaluated_property_keys_by_schema(validator, instance, schema))
    for name in instance:
        if name not in known:
            yield ValidationError(f"{name!r} was unexpected", path=[name])


def _x_validator(validator, name, instance, schema) -> Iterator[ValidationError]:
    func = registered_validator(name)
    if func is None:
        raise FormDefinitionError(_("El validador «%(name)s» no está registrado.") % {"name": name})
    rest = {key: value for key, value in schema.items() if key != "x-validator"}
    if not validator.evolve(schema=rest).is_valid(instance):
        return
    message = func(instance, current_context())
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
        _add(errors, field_key(path), _("El texto contiene caracteres no permitidos (caracteres de control)."))

    with validating({"form_key": form.key, **(context or {})}, form.validation_schema):
        validator = FormValidator(form.validation_schema, format_checker=FORMAT_CHECKER)
        for error in validator.iter_errors(data):
            for key, message in error_messages(error, form):
                _add(errors, key, message)
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


def validate_post(form: FormDefinition, post: Any, files: Any, *, user: Any, context: Mapping[str, Any] | None = None,
                  prefix: str = "") -> tuple[dict[str, Any], dict[str, list[str]]]:
    """The HTML path in one call: (typed data, field errors).

    Coerces the POST, stores each uploaded file (`services.attach_uploads`), validates with
    `{"user": user, **context}`. An upload's own error replaces the field's other
    messages. When errors is non-empty, re-render with `render_form(form, data=data,
    errors=errors)`; documents stored meanwhile stay as orphans (see attach_uploads).
    """
    data = coerce_post(form, post, files, prefix=prefix)
    upload_errors = attach_uploads(form, data, files, user=user, prefix=prefix)
    errors = validate(form, data, context={"user": user, **(context or {})})
    errors.update(upload_errors)
    return data, errors
