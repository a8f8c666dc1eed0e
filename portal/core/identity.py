"""Peru's identity and institution numbers: one rule per format, used everywhere.

Forms (the JSON Schema formats `dni`, `carne_extranjeria`, `codigo_modular`, `ruc`), the
account services, the pre-checks shown to a verifier and the org tree all ask this
module, so a number accepted in one place is accepted in all of them. The functions
take text and never touch the database; messages are Spanish, through gettext.

Rules:

- **DNI** (RENIEC): exactly 8 ASCII digits, leading zeros included ("00000001").
- **Carné de extranjería** (Superintendencia Nacional de Migraciones): 9 to 12 ASCII
  letters or digits, no spaces or hyphens. Cards issued today carry a 9-digit number;
  SUNAT's catalogue of identity documents (catálogo 06, type 4) and the RENIEC and
  Migraciones services accept up to 12 alphanumerics for older and special-category
  cards. Nine is the floor on purpose: the accounts service used to accept 6 to 12 while
  the forms asked for 9 to 12, and no card issued today is shorter than 9; an 8-character
  number is what a DNI looks like, so refusing it catches a DNI typed into the carné
  field, and a digit dropped from a 9-digit card is caught instead of stored.
- **Código modular** (ESCALE, MINEDU): 7 digits identify an educational service; an
  institution's sites are told apart by a one-digit anexo (0 for the main site). The
  portal writes an IE's code as "1598333-0"; "1598333" alone means anexo 0.
- **RUC** (SUNAT): 11 digits starting with 10, 15, 16, 17 or 20, the last one SUNAT's
  modulo-11 check digit over the first ten.

Normalising (`normalize_document`) removes whitespace and upper-cases the letters of a
carné, so "e1234 5678" typed by a clerk is stored as "E12345678"; the `is_*` predicates
check the text exactly as given (a form stores what was typed).
"""

from __future__ import annotations

import re

from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

# Document type codes, as `Person.document_type` stores them.
DNI = "dni"
CE = "ce"
DOCUMENT_TYPES = (DNI, CE)

DNI_LENGTH = 8
CE_MIN_LENGTH = 9
CE_MAX_LENGTH = 12
CODIGO_MODULAR_LENGTH = 7
ANEXO_LENGTH = 1
RUC_LENGTH = 11
RUC_PREFIXES = ("10", "15", "16", "17", "20")
RUC_WEIGHTS = (5, 4, 3, 2, 7, 6, 5, 4, 3, 2)
MAIN_ANEXO = "0"

# Explicit ASCII classes: `\d` would also accept Arabic-Indic and other Unicode digits.
_DNI_RE = re.compile(r"[0-9]{8}")
_CE_RE = re.compile(r"[0-9A-Za-z]{9,12}")
_CODIGO_MODULAR_RE = re.compile(r"[0-9]{7}")
_ANEXO_RE = re.compile(r"[0-9]")
_RUC_RE = re.compile(r"[0-9]{11}")
_SPACES_RE = re.compile(r"\s+")

# Marked for translation here, translated where they are shown (`_(DNI_MESSAGE)`), so
# the form validator can keep them in its table of format messages.
DNI_MESSAGE = gettext_noop("El DNI debe tener exactamente 8 dígitos.")
CE_MESSAGE = gettext_noop(
    "El carné de extranjería debe tener entre 9 y 12 letras o dígitos, sin espacios ni guiones."
)
CODIGO_MODULAR_MESSAGE = gettext_noop(
    "El código modular tiene 7 dígitos y, si corresponde, un guion y el anexo (por ejemplo, 1598333-0)."
)
RUC_MESSAGE = gettext_noop("El RUC no es válido.")


class DocumentError(ValueError):
    """A document type or number was refused; str() is the Spanish message for the user."""


# --- Personal documents ------------------------------------------------------------------


def is_dni(value: str) -> bool:
    """True when `value` is exactly 8 ASCII digits (no spaces, no separators)."""
    return isinstance(value, str) and bool(_DNI_RE.fullmatch(value))


def is_carne_extranjeria(value: str) -> bool:
    """True when `value` is 9 to 12 ASCII letters or digits, in either case."""
    return isinstance(value, str) and bool(_CE_RE.fullmatch(value))


def document_message(doc_type: str) -> str:
    """The Spanish rule of a document type ("El DNI debe tener exactamente 8 dígitos.")."""
    return _(CE_MESSAGE) if doc_type == CE else _(DNI_MESSAGE)


def normalize_document(doc_type: str | None, number: str | None) -> tuple[str, str]:
    """The (type, number) to store for a document typed by a person.

    The type is case-insensitive and defaults to DNI when empty; the number loses its
    whitespace and its letters are upper-cased. Raises DocumentError with the Spanish
    message when the type is unknown or the number breaks its type's rule.
    """
    kind = str(doc_type or DNI).strip().lower()
    if kind not in DOCUMENT_TYPES:
        raise DocumentError(
            _("Tipo de documento desconocido: «%(type)s». Use DNI o carné de extranjería.") % {"type": doc_type}
        )
    text = _SPACES_RE.sub("", str(number or "")).upper()
    valid = is_dni(text) if kind == DNI else is_carne_extranjeria(text)
    if not valid:
        raise DocumentError(document_message(kind))
    return kind, text


def mask_document(number: str) -> str:
    """A document number as lists show it (Ley 29733): only the last four characters.

    "45871236" → "****1236".
    """
    number = number or ""
    return "*" * max(len(number) - 4, 0) + number[-4:]


# --- Institutions ------------------------------------------------------------------------


def is_codigo_modular(value: str, *, anexo: bool | None = None) -> bool:
    """True when `value` is a código modular: 7 ASCII digits, then "-" and a one-digit anexo.

    `anexo=None` (forms): the anexo is optional. `anexo=False`: the bare 7 digits only
    (as `OrgUnit.codigo_modular` stores it). `anexo=True`: the anexo is required (an
    IE's unit code, "1598333-0").
    """
    if not isinstance(value, str):
        return False
    code, separator, suffix = value.partition("-")
    if not _CODIGO_MODULAR_RE.fullmatch(code):
        return False
    if not separator:
        return anexo is not True
    return anexo is not False and is_anexo(suffix)


def is_anexo(value: str) -> bool:
    """True when `value` is one ASCII digit (0 for the institution's main site)."""
    return isinstance(value, str) and bool(_ANEXO_RE.fullmatch(value))


def ie_code(codigo_modular: str | None, anexo: str | None = None) -> str:
    """An IE's unit code: "1598333" + anexo "2" → "1598333-2"; anexo 0 when not given.

    A value that already carries its anexo ("1598333-1") is kept; surrounding spaces are
    removed and an empty value stays empty. The value is not checked: use
    `is_codigo_modular` first where it comes from a person.
    """
    text = str(codigo_modular or "").strip()
    if not text or "-" in text:
        return text
    return f"{text}-{anexo if anexo else MAIN_ANEXO}"


# --- Companies ---------------------------------------------------------------------------


def ruc_check_digit(first_ten: str) -> int:
    """SUNAT's modulo-11 check digit for the first ten digits of a RUC.

    11 minus the weighted sum modulo 11, where 10 becomes 0 and 11 becomes 1.
    """
    total = sum(int(digit) * weight for digit, weight in zip(first_ten, RUC_WEIGHTS, strict=True))
    digit = 11 - total % 11
    return {10: 0, 11: 1}.get(digit, digit)


def ruc_problem(value: str) -> str | None:
    """None when `value` is a valid RUC, else the Spanish reason (length, prefix, check digit)."""
    if not isinstance(value, str) or not _RUC_RE.fullmatch(value):
        return _("El RUC debe tener exactamente 11 dígitos.")
    if not value.startswith(RUC_PREFIXES):
        return _("El RUC debe empezar con 10, 15, 16, 17 o 20.")
    if ruc_check_digit(value[:10]) != int(value[10]):
        return _("El RUC no es válido: revise los dígitos (el último no corresponde).")
    return None


def is_ruc(value: str) -> bool:
    """True when `value` is 11 digits with an allowed prefix and the right check digit."""
    return ruc_problem(value) is None
