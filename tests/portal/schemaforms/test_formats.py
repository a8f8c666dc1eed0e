"""Peru's document numbers and the standard formats are enforced, with specific messages."""

from __future__ import annotations

import pytest

from portal.schemaforms.formats import FORMAT_CHECKER
from portal.schemaforms.validation import validate

RUC_WEIGHTS = [5, 4, 3, 2, 7, 6, 5, 4, 3, 2]


def ruc_with_check_digit(first_ten: str) -> str:
    """Complete a RUC with SUNAT's modulo-11 check digit (11 - sum % 11; 10 -> 0, 11 -> 1)."""
    remainder = 11 - sum(int(d) * w for d, w in zip(first_ten, RUC_WEIGHTS, strict=True)) % 11
    return first_ten + str({10: 0, 11: 1}.get(remainder, remainder))


def wrong_check_digit(ruc: str) -> str:
    return ruc[:10] + str((int(ruc[10]) + 1) % 10)


@pytest.mark.parametrize("value", ["45678912", "00000001"])
def test_dni_of_eight_digits_is_accepted(value):
    """A DNI is exactly 8 digits, leading zeros included."""
    assert FORMAT_CHECKER.conforms(value, "dni")


@pytest.mark.parametrize("value", ["4567891", "456789123", "4567891a", "4567 891", "٤٥٦٧٨٩١٢", " 45678912"])
def test_dni_not_of_eight_ascii_digits_is_refused(value):
    """Seven or nine digits, letters, spaces and non-ASCII digits are not a DNI."""
    assert not FORMAT_CHECKER.conforms(value, "dni")


def test_invalid_dni_message_says_eight_digits(solicitud, valid_solicitud):
    """The clerk reads why the DNI was refused."""
    errors = validate(solicitud, {**valid_solicitud, "dni": "1234567"})

    assert errors == {"dni": ["El DNI debe tener exactamente 8 dígitos."]}


@pytest.mark.parametrize("value", ["001234567", "000123456789", "E12345678", "abc123456"])
def test_carne_de_extranjeria_of_nine_to_twelve_alphanumerics_is_accepted(value):
    """Current cards have 9 digits; up to 12 letters or digits are accepted (SUNAT catalogue 06)."""
    assert FORMAT_CHECKER.conforms(value, "carne_extranjeria")


@pytest.mark.parametrize("value", ["12345678", "1234567890123", "001-234567", "00123 4567", "ñ01234567"])
def test_carne_de_extranjeria_outside_the_rule_is_refused(value, solicitud, valid_solicitud):
    """Eight characters (a DNI's length), more than 12, separators or accents are refused, with a message."""
    assert not FORMAT_CHECKER.conforms(value, "carne_extranjeria")
    errors = validate(solicitud, {**valid_solicitud, "carne": value})
    assert "entre 9 y 12 letras o dígitos" in errors["carne"][0]


@pytest.mark.parametrize("value", ["1598333", "1598333-0", "0234567-1"])
def test_codigo_modular_with_optional_anexo_is_accepted(value):
    """Seven digits, optionally a hyphen and a one-digit anexo."""
    assert FORMAT_CHECKER.conforms(value, "codigo_modular")


@pytest.mark.parametrize("value", ["159833", "15983330", "1598333-", "1598333-10", "1598333/0", "A598333"])
def test_codigo_modular_outside_the_rule_is_refused(value, solicitud, valid_solicitud):
    """Other lengths, a two-digit anexo or another separator are refused with an example."""
    assert not FORMAT_CHECKER.conforms(value, "codigo_modular")
    errors = validate(solicitud, {**valid_solicitud, "codigo_modular": value})
    assert errors["codigo_modular"] == [
        "El código modular tiene 7 dígitos y, si corresponde, un guion y el anexo (por ejemplo, 1598333-0)."
    ]


@pytest.mark.parametrize("first_ten", ["2013131295", "1045678912", "1500000001", "1712345678", "2060000000"])
def test_ruc_with_a_correct_check_digit_is_accepted(first_ten):
    """A RUC computed with SUNAT's algorithm for each allowed prefix is accepted."""
    ruc = ruc_with_check_digit(first_ten)

    assert FORMAT_CHECKER.conforms(ruc, "ruc")


def test_sunat_own_ruc_is_accepted():
    """SUNAT's published RUC 20131312955 passes the check digit."""
    assert ruc_with_check_digit("2013131295") == "20131312955"
    assert FORMAT_CHECKER.conforms("20131312955", "ruc")


def test_ruc_with_a_wrong_check_digit_is_refused(solicitud, valid_solicitud):
    """Changing the last digit of a valid RUC makes it invalid, and the message says so."""
    ruc = wrong_check_digit(ruc_with_check_digit("2060000000"))

    errors = validate(solicitud, {**valid_solicitud, "ruc": ruc})

    assert errors == {"ruc": ["El RUC no es válido: revise los dígitos (el último no corresponde)."]}


def test_ruc_with_a_prefix_sunat_does_not_issue_is_refused(solicitud, valid_solicitud):
    """A RUC starting with 30 is refused even with a consistent check digit."""
    errors = validate(solicitud, {**valid_solicitud, "ruc": ruc_with_check_digit("3012345678")})

    assert errors == {"ruc": ["El RUC debe empezar con 10, 15, 16, 17 o 20."]}


@pytest.mark.parametrize("value", ["2013131295", "201313129555", "2013131295A"])
def test_ruc_not_of_eleven_digits_is_refused(value, solicitud, valid_solicitud):
    """Ten or twelve digits, or a letter, are refused with the length message."""
    errors = validate(solicitud, {**valid_solicitud, "ruc": value})

    assert errors == {"ruc": ["El RUC debe tener exactamente 11 dígitos."]}


@pytest.mark.parametrize("value", ["director@ie.edu.pe", "rosa.quispe+ugel@minedu.gob.pe"])
def test_email_is_accepted(value):
    """Ordinary addresses are accepted."""
    assert FORMAT_CHECKER.conforms(value, "email")


@pytest.mark.parametrize("value", ["director", "director@", "@minedu.gob.pe", "a b@minedu.gob.pe"])
def test_invalid_email_is_refused_with_an_example(value, solicitud, valid_solicitud):
    """Addresses without a user, a domain, or with spaces are refused."""
    assert not FORMAT_CHECKER.conforms(value, "email")
    errors = validate(solicitud, {**valid_solicitud, "correo": value})
    assert errors == {"correo": ["Ingrese un correo electrónico válido (por ejemplo, nombre@dominio.pe)."]}


@pytest.mark.parametrize("value", ["2025-03-01", "2024-02-29"])
def test_real_calendar_dates_are_accepted(value):
    """ISO dates that exist, leap days included, are accepted."""
    assert FORMAT_CHECKER.conforms(value, "date")


def test_date_in_another_layout_is_refused(solicitud, valid_solicitud):
    """Peru writes 01/03/2025, but the stored form is ISO; the message shows the layout."""
    errors = validate(solicitud, {**valid_solicitud, "fecha": "01/03/2025"})

    assert errors == {"fecha": ["Ingrese una fecha válida con el formato AAAA-MM-DD."]}


@pytest.mark.parametrize("value", ["2025-02-29", "2025-13-01", "2025-04-31"])
def test_dates_that_do_not_exist_are_refused(value, solicitud, valid_solicitud):
    """A well-formed date that is not in the calendar is refused."""
    errors = validate(solicitud, {**valid_solicitud, "fecha": value})

    assert errors == {"fecha": ["La fecha no existe en el calendario."]}
