"""The JSON Schema formats a form may name, Peru's document numbers included.

jsonschema skips a format it has no checker for, so every format a form uses is checked
here, and the loader refuses a form naming a format not in `known_formats()`. The Peru
rules come from portal.core.identity, the one place they are written. A checker raises
FormatProblem for a message more specific than the format's entry in FORMAT_MESSAGES.
"""

from __future__ import annotations

import datetime
import re

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import EmailValidator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from jsonschema import FormatChecker

from portal.core import identity
from portal.shared.ids import parse_uuid

from .context import current_context
from .selectors import documents_of


class FormatProblem(ValueError):
    """Raised by a format check with a specific Spanish message."""


FORMAT_CHECKER = FormatChecker()  # a copy of jsonschema's checkers; ours replace or add

_DATE_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_email_validator = EmailValidator()

# A format applies to strings only: any other type conforms (the `type` keyword judges it).


@FORMAT_CHECKER.checks("dni", raises=FormatProblem)
def is_dni(value: object) -> bool:
    return not isinstance(value, str) or identity.is_dni(value)


@FORMAT_CHECKER.checks("carne_extranjeria", raises=FormatProblem)
def is_carne_extranjeria(value: object) -> bool:
    return not isinstance(value, str) or identity.is_carne_extranjeria(value)


@FORMAT_CHECKER.checks("codigo_modular", raises=FormatProblem)
def is_codigo_modular(value: object) -> bool:
    return not isinstance(value, str) or identity.is_codigo_modular(value)


@FORMAT_CHECKER.checks("ruc", raises=FormatProblem)
def is_ruc(value: object) -> bool:
    if not isinstance(value, str):
        return True
    problem = identity.ruc_problem(value)
    if problem is not None:
        raise FormatProblem(problem)
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
    pk = parse_uuid(value)
    if pk is None or str(pk) != value:
        return False  # stored as written: only the canonical form (lower case, hyphens)
    return documents_of([pk], user=current_context().get("user")).exists()


FORMAT_MESSAGES = {
    "dni": identity.DNI_MESSAGE,
    "carne_extranjeria": identity.CE_MESSAGE,
    "codigo_modular": identity.CODIGO_MODULAR_MESSAGE,
    "ruc": identity.RUC_MESSAGE,
    "email": gettext_noop("Ingrese un correo electrónico válido (por ejemplo, nombre@dominio.pe)."),
    "date": gettext_noop("Ingrese una fecha válida con el formato AAAA-MM-DD."),
    "document": gettext_noop("El documento adjunto no existe o no le pertenece. Vuelva a adjuntarlo."),
}


def known_formats() -> set[str]:
    return set(FORMAT_CHECKER.checkers)
