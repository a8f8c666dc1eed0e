"""Peru's identity and institution numbers: each format's accept and refuse edges."""

from __future__ import annotations

import pytest

from portal.core import identity
from portal.core.identity import (
    DocumentError,
    ie_code,
    is_anexo,
    is_carne_extranjeria,
    is_codigo_modular,
    is_dni,
    is_ruc,
    mask_document,
    normalize_document,
    ruc_check_digit,
    ruc_problem,
)

# --- DNI -----------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["45678912", "00000001", "99999999"])
def test_dni_of_eight_ascii_digits_is_accepted(value):
    """A DNI is exactly 8 digits, leading zeros included."""
    assert is_dni(value)


@pytest.mark.parametrize("value", [
    "", "4567891", "456789123", "4567891a", "4567 891", " 45678912", "45678912\n", "4567-8912",
    "٤٥٦٧٨٩١٢",  # Arabic-Indic digits: `\d` would take them, a DNI has ASCII digits only
])
def test_dni_not_of_eight_ascii_digits_is_refused(value):
    """Seven or nine digits, letters, spaces, a trailing newline and non-ASCII digits are not a DNI."""
    assert not is_dni(value)


def test_dni_that_is_not_text_is_refused():
    """A number (45678912) is not a DNI: leading zeros would be lost."""
    assert not is_dni(45678912)
    assert not is_dni(None)


# --- Carné de extranjería --------------------------------------------------------------------


@pytest.mark.parametrize("value", ["001234567", "123456789", "000123456789", "E12345678", "abc123456"])
def test_carne_of_nine_to_twelve_alphanumerics_is_accepted(value):
    """Current cards have 9 digits; up to 12 letters or digits (SUNAT catalogue 06), either case."""
    assert is_carne_extranjeria(value)


@pytest.mark.parametrize("value", [
    "", "123456", "12345678", "1234567890123", "001-234567", "00123 4567", "ñ01234567", "０１２３４５６７８",
])
def test_carne_outside_nine_to_twelve_alphanumerics_is_refused(value):
    """Eight characters (a DNI's length) or fewer, more than 12, separators, accents or
    full-width digits are refused."""
    assert not is_carne_extranjeria(value)


# --- normalize_document ------------------------------------------------------------------------


def test_normalize_document_defaults_to_dni_and_removes_spaces():
    """An empty type is a DNI; spaces typed inside the number are removed."""
    assert normalize_document("", " 4567 8912 ") == ("dni", "45678912")
    assert normalize_document(None, "45678912") == ("dni", "45678912")


def test_normalize_document_accepts_the_type_in_any_case():
    """" DNI " and "CE" name the same types as "dni" and "ce"."""
    assert normalize_document(" DNI ", "45678912") == (identity.DNI, "45678912")
    assert normalize_document("CE", "001234567") == (identity.CE, "001234567")


def test_normalize_document_upper_cases_a_carne():
    """A carné's letters are stored upper-case, so one card has one spelling."""
    assert normalize_document("ce", "e1234 5678") == ("ce", "E12345678")


def test_normalize_document_refuses_an_unknown_type():
    """Only DNI and carné de extranjería are accepted, with a message naming the type."""
    with pytest.raises(DocumentError, match="Tipo de documento desconocido: «pasaporte»"):
        normalize_document("pasaporte", "45678912")


def test_normalize_document_refuses_a_short_dni_with_its_rule():
    """A 7-digit DNI is refused with the DNI's rule."""
    with pytest.raises(DocumentError) as caught:
        normalize_document("dni", "4567891")
    assert str(caught.value) == "El DNI debe tener exactamente 8 dígitos."


@pytest.mark.parametrize("number", ["12345678", "1234567", "1234567890123", "E-1234567"])
def test_normalize_document_refuses_a_carne_outside_the_rule(number):
    """An 8-character carné (a DNI typed in the wrong field) or fewer, more than 12, or a hyphen."""
    with pytest.raises(DocumentError, match="entre 9 y 12 letras o dígitos"):
        normalize_document("ce", number)


def test_normalize_document_keeps_a_dni_from_being_a_carne():
    """A DNI's 8 digits are not a carné, and a 9-digit carné is not a DNI."""
    with pytest.raises(DocumentError):
        normalize_document("ce", "45678912")
    with pytest.raises(DocumentError):
        normalize_document("dni", "001234567")


@pytest.mark.parametrize(("number", "masked"), [
    ("45871236", "****1236"), ("001234567", "*****4567"), ("123", "123"), ("", ""),
])
def test_mask_document_shows_only_the_last_four(number, masked):
    """Lists show only the last four characters (Ley 29733)."""
    assert mask_document(number) == masked


# --- Código modular ------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["1598333", "1598333-0", "0234567-1"])
def test_codigo_modular_with_optional_anexo_is_accepted(value):
    """Seven digits, optionally a hyphen and a one-digit anexo."""
    assert is_codigo_modular(value)


@pytest.mark.parametrize("value", [
    "", "159833", "15983330", "1598333-", "1598333-10", "1598333/0", "A598333", "-0", "1598333-a", "1598333 ",
])
def test_codigo_modular_outside_the_rule_is_refused(value):
    """Other lengths, a two-digit or missing anexo after the hyphen, another separator, letters or spaces."""
    assert not is_codigo_modular(value)


def test_codigo_modular_without_anexo_when_the_anexo_is_a_separate_field():
    """anexo=False: only the 7 digits (the org tree keeps the anexo in its own field)."""
    assert is_codigo_modular("1598333", anexo=False)
    assert not is_codigo_modular("1598333-0", anexo=False)


def test_codigo_modular_with_required_anexo_is_an_ie_code():
    """anexo=True: an IE's unit code always carries its anexo."""
    assert is_codigo_modular("1598333-0", anexo=True)
    assert not is_codigo_modular("1598333", anexo=True)


@pytest.mark.parametrize(("value", "ok"), [("0", True), ("9", True), ("", False), ("10", False), ("a", False),
                                           ("٣", False)])
def test_anexo_is_one_ascii_digit(value, ok):
    """The anexo is one digit, 0 for the main site."""
    assert is_anexo(value) is ok


@pytest.mark.parametrize(("args", "code"), [
    (("1598333",), "1598333-0"),
    (("1598333", "2"), "1598333-2"),
    (("1598333-1",), "1598333-1"),
    ((" 1598333 ",), "1598333-0"),
    (("",), ""),
    ((None,), ""),
])
def test_ie_code_adds_anexo_zero_unless_given(args, code):
    """A bare código modular means the main site (anexo 0); a code with its anexo is kept."""
    assert ie_code(*args) == code


# --- RUC ---------------------------------------------------------------------------------


def _ruc(first_ten: str) -> str:
    return first_ten + str(ruc_check_digit(first_ten))


def test_ruc_check_digit_of_sunat_own_ruc():
    """SUNAT's published RUC 20131312955 has check digit 5."""
    assert ruc_check_digit("2013131295") == 5
    assert is_ruc("20131312955")


@pytest.mark.parametrize(("first_ten", "digit"), [
    ("1000000000", 6),  # weighted sum 5 → 11 − 5 = 6
    ("0000000001", 9),  # weighted sum 2 → 11 − 2 = 9
    ("0000000000", 1),  # weighted sum 0 → 11 − 0 = 11, written 1
    ("0000101000", 0),  # weighted sum 7 + 5 = 12 ≡ 1 → 11 − 1 = 10, written 0
])
def test_ruc_check_digit_is_eleven_minus_the_weighted_sum_modulo_eleven(first_ten, digit):
    """Weights 5 4 3 2 7 6 5 4 3 2; a result of 10 is written 0 and 11 is written 1."""
    assert ruc_check_digit(first_ten) == digit


@pytest.mark.parametrize("prefix", identity.RUC_PREFIXES)
def test_ruc_of_each_allowed_prefix_with_its_check_digit_is_accepted(prefix):
    """10, 15, 16, 17 and 20 start a RUC."""
    ruc = _ruc(prefix + "45678912")
    assert is_ruc(ruc)
    assert ruc_problem(ruc) is None


@pytest.mark.parametrize("value", ["", "2013131295", "201313129551", "2013131295a", " 20131312955"])
def test_ruc_not_of_eleven_digits_is_refused_for_its_length(value):
    """Ten or twelve digits, a letter or a space: the message says 11 digits."""
    assert ruc_problem(value) == "El RUC debe tener exactamente 11 dígitos."
    assert not is_ruc(value)


def test_ruc_with_another_prefix_is_refused_for_its_prefix():
    """30… is not a RUC, even with a correct check digit."""
    assert ruc_problem(_ruc("3045678912")) == "El RUC debe empezar con 10, 15, 16, 17 o 20."


def test_ruc_with_a_wrong_check_digit_is_refused():
    """One digit changed breaks the check digit."""
    wrong = "20131312955"[:10] + "6"
    assert ruc_problem(wrong) == "El RUC no es válido: revise los dígitos (el último no corresponde)."
    assert not is_ruc(wrong)
