"""Spanish messages for validation errors, the way a school clerk reads them.

jsonschema's messages are English and technical; each error is turned here into
(field key, message): the key is the field path ("apoderado.dni", ALL for the form as a
whole) and the message is the schema's own `x-messages[keyword]` when it has one, else
the default for the keyword below.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from jsonschema.exceptions import ValidationError, best_match

from .formats import FORMAT_MESSAGES, FormatProblem
from .loader import FormDefinition, field_schema_at
from .schema import choice_options, value_label

ALL = "__all__"


def field_key(path: list[Any]) -> str:
    """The errors key of the field at `path` ("apoderado.dni"; ALL for the root)."""
    # An error on one item of a list of choices belongs to the list's field.
    parts = list(path)
    if parts and isinstance(parts[-1], int):
        parts.pop()
    return ".".join(str(part) for part in parts) or ALL


def error_messages(error: ValidationError, form: FormDefinition) -> list[tuple[str, str]]:
    """(field key, Spanish message) for one jsonschema error under `form`."""
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
    return [(field_key(path), override or _default_message(error, form, path, field))]


def _label(form: FormDefinition, path: list[Any]) -> str:
    node = field_schema_at(form, path)
    return str(node.get("title") or (path[-1] if path else form.title))


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
        return [(field_key(path), override)]
    context = list(error.context or [])
    if context and all(sub.validator == "required" for sub in context):
        labels: list[str] = []
        for sub in context:
            label = f"«{_label(form, list(sub.absolute_path))}»"
            if label not in labels:
                labels.append(label)
        names = labels[0] if len(labels) == 1 else _("%(first)s o %(last)s") % {
            "first": ", ".join(labels[:-1]), "last": labels[-1]}
        return [(field_key(path), _("Complete al menos uno de estos campos: %(names)s.") % {"names": names})]
    if not context:
        return [(field_key(path), _("La combinación de valores no es válida: revise los campos."))]
    best = best_match(context)
    return error_messages(best, form)


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
