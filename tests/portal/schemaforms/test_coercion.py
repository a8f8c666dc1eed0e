"""coerce_post(): an HTML POST becomes typed data for validation."""

from __future__ import annotations

from django.http import QueryDict

from portal.schemaforms.coercion import coerce_post
from portal.schemaforms.validation import validate


def post(**fields) -> QueryDict:
    """A QueryDict like request.POST; list values become repeated fields."""
    query = QueryDict(mutable=True)
    for name, value in fields.items():
        name = name.replace("__", ".")
        if isinstance(value, list):
            query.setlist(name, value)
        else:
            query[name] = value
    return query


def test_integer_text_is_parsed(solicitud):
    """"25" in an integer field becomes 25."""
    assert coerce_post(solicitud, post(alumnos=" 25 "))["alumnos"] == 25


def test_unparsable_integer_keeps_the_text_and_is_reported(solicitud, valid_solicitud):
    """"doce" is kept as typed for re-display, and validation asks for a whole number."""
    data = coerce_post(solicitud, post(alumnos="doce"))

    assert data["alumnos"] == "doce"
    assert validate(solicitud, {**data, **valid_solicitud}) == {"alumnos": ["Ingrese un número entero."]}


def test_checked_checkbox_is_true_and_absent_checkbox_is_false(solicitud):
    """Browsers omit unchecked boxes, so a boolean absent from the POST is False."""
    assert coerce_post(solicitud, post(cumple_requisitos="on"))["cumple_requisitos"] is True
    assert coerce_post(solicitud, post(cumple_requisitos="true"))["cumple_requisitos"] is True
    assert coerce_post(solicitud, post())["cumple_requisitos"] is False


def test_multiple_choices_are_read_as_a_list(solicitud):
    """Repeated checkbox values become an array, in the order sent."""
    data = coerce_post(solicitud, post(materias=["ciencia", "matematica"]))

    assert data["materias"] == ["ciencia", "matematica"]


def test_empty_strings_are_dropped_so_required_fires(solicitud):
    """A blank or whitespace-only field is absent from the data and reported as required."""
    data = coerce_post(solicitud, post(nombre="   ", dni="", nivel="primaria"))

    assert "nombre" not in data and "dni" not in data
    assert validate(solicitud, data)["nombre"] == ["Este campo es obligatorio."]


def test_text_is_stripped_and_line_breaks_normalised(solicitud):
    """Leading/trailing spaces go; CRLF from textareas becomes LF; inner text is kept."""
    data = coerce_post(solicitud, post(nombre="  Rosa  Quispe ", observaciones=" uno\r\ndos "))

    assert data["nombre"] == "Rosa  Quispe"
    assert data["observaciones"] == "uno\ndos"


def test_nested_fields_are_read_from_dotted_names(solicitud):
    """"apoderado.dni" fills data["apoderado"]["dni"]; an empty group is left out."""
    assert coerce_post(solicitud, post(apoderado__dni="12345678"))["apoderado"] == {"dni": "12345678"}
    assert "apoderado" not in coerce_post(solicitud, post(apoderado__dni=""))


def test_choice_values_are_mapped_back_to_option_values(solicitud):
    """A radio's value becomes the option's const."""
    assert coerce_post(solicitud, post(nivel="secundaria"))["nivel"] == "secundaria"


def test_fields_not_in_the_schema_are_ignored(solicitud):
    """The CSRF token and other stray POST fields do not reach the data."""
    data = coerce_post(solicitud, post(csrfmiddlewaretoken="abc", es_admin="on"))

    assert "csrfmiddlewaretoken" not in data and "es_admin" not in data


def test_prefix_is_applied_to_field_names(solicitud):
    """With prefix "t1-", field "nombre" is read from "t1-nombre"."""
    data = coerce_post(solicitud, post(**{"t1-nombre": "Rosa", "nombre": "Otro"}), prefix="t1-")

    assert data["nombre"] == "Rosa"


def test_full_post_validates(solicitud):
    """A complete POST as a browser sends it is valid once coerced."""
    data = coerce_post(solicitud, post(nombre="Rosa Quispe", dni="45678912", nivel="primaria",
                                       cumple_requisitos="on", alumnos="120", materias=["ciencia"]))

    assert validate(solicitud, data) == {}
    assert data["alumnos"] == 120
