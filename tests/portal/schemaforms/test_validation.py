"""validate(): Spanish messages per field, overrides, domain validators, hostile input."""

from __future__ import annotations

import pytest

from portal.schemaforms import registry
from portal.schemaforms.loader import FormDefinition, load_form
from portal.schemaforms.registry import register_validator, unregister_validator
from portal.schemaforms.validation import validate


def test_valid_data_has_no_errors(solicitud, valid_solicitud):
    """Data that satisfies the schema yields an empty dict."""
    assert validate(solicitud, valid_solicitud) == {}


def test_missing_required_fields_are_reported_on_each_field(solicitud):
    """Each missing required field gets "Este campo es obligatorio." under its own name."""
    errors = validate(solicitud, {})

    assert errors == {
        "nombre": ["Este campo es obligatorio."],
        "dni": ["Este campo es obligatorio."],
        "nivel": ["Este campo es obligatorio."],
        "cumple_requisitos": ["Este campo es obligatorio."],
    }


def test_value_outside_an_enum_asks_to_choose_an_option(solicitud, valid_solicitud):
    """An enum and a oneOf of consts both answer "Elija una de las opciones."."""
    errors = validate(solicitud, {**valid_solicitud, "turno": "noche", "nivel": "superior"})

    assert errors == {"turno": ["Elija una de las opciones."], "nivel": ["Elija una de las opciones."]}


def test_too_long_text_states_the_maximum(solicitud, valid_solicitud):
    """maxLength is reported as "Máximo N caracteres."."""
    errors = validate(solicitud, {**valid_solicitud, "nombre": "a" * 201})

    assert errors == {"nombre": ["Máximo 200 caracteres."]}


def test_pattern_without_override_gets_a_generic_message(solicitud, valid_solicitud):
    """A pattern failure without x-messages says the value does not have the expected format."""
    errors = validate(solicitud, {**valid_solicitud, "resolucion": "123-2025"})

    assert errors == {"resolucion": ["El valor no tiene el formato esperado."]}


def test_x_messages_overrides_the_default_message(solicitud, valid_solicitud):
    """A property's x-messages.pattern replaces the generic pattern message."""
    data = {**valid_solicitud, "codigo_local": "12A", "codigo_modular": "1598333"}

    errors = validate(solicitud, data)

    assert errors == {"codigo_local": ["El código de local tiene 6 dígitos."]}


def test_if_then_failure_reports_the_underlying_required_field(solicitud, valid_solicitud):
    """When requirements are not met (if), the reason (then: required motivo) is asked for on its field."""
    errors = validate(solicitud, {**valid_solicitud, "cumple_requisitos": False})

    assert errors == {"motivo": ["Este campo es obligatorio."]}


def test_dependent_required_names_the_field_that_triggered_it(solicitud, valid_solicitud):
    """Giving a código de local makes the código modular required, and the message says why."""
    errors = validate(solicitud, {**valid_solicitud, "codigo_local": "123456"})

    assert errors == {"codigo_modular": ["Este campo es obligatorio cuando se completa «Código de local»."]}


def test_numeric_limits_and_type_have_messages(solicitud, valid_solicitud):
    """Integers below the minimum, above the maximum or not integers are explained."""
    assert validate(solicitud, {**valid_solicitud, "alumnos": -1}) == {"alumnos": ["El valor mínimo es 0."]}
    assert validate(solicitud, {**valid_solicitud, "alumnos": 5001}) == {"alumnos": ["El valor máximo es 5000."]}
    assert validate(solicitud, {**valid_solicitud, "alumnos": 2.5}) == {"alumnos": ["Ingrese un número entero."]}


def test_array_rules_have_messages(solicitud, valid_solicitud):
    """minItems and uniqueItems on a list of choices are reported on the list's field."""
    assert validate(solicitud, {**valid_solicitud, "materias": []}) == {"materias": ["Elija al menos una opción."]}
    assert validate(solicitud, {**valid_solicitud, "materias": ["ciencia", "ciencia"]}) == {
        "materias": ["No repita opciones."]}
    assert validate(solicitud, {**valid_solicitud, "materias": ["arte"]}) == {
        "materias": ["Elija una de las opciones."]}


@pytest.mark.parametrize(("rule", "value", "message"), [
    ({"type": "number", "exclusiveMinimum": 0}, 0, "Debe ser mayor que 0."),
    ({"type": "number", "exclusiveMaximum": 20}, 20, "Debe ser menor que 20."),
    ({"type": "number"}, "veinte", "Ingrese un número."),
    ({"type": "string", "minLength": 3}, "ab", "Mínimo 3 caracteres."),
    ({"type": "boolean", "const": True}, False, "Debe marcar esta casilla para continuar."),
    ({"const": "acepto"}, "no", "El valor debe ser «acepto»."),
    ({"type": "array", "items": {"enum": ["a", "b", "c"]}, "maxItems": 2}, ["a", "b", "c"],
     "Elija como máximo 2 opciones."),
    ({"type": "string", "minLength": 3, "x-messages": {"minLength": "Escriba el nombre completo."}}, "ab",
     "Escriba el nombre completo."),
])
def test_other_keywords_have_spanish_messages(rule, value, message):
    """Each remaining keyword, and an x-messages override of it, yields a clerk-readable message."""
    form = FormDefinition(key="f", schema={"type": "object", "properties": {"campo": rule}})

    assert validate(form, {"campo": value}) == {"campo": [message]}


def test_x_messages_overrides_required():
    """x-messages.required on the property replaces "Este campo es obligatorio."."""
    form = FormDefinition(key="f", schema={
        "type": "object", "required": ["acta"],
        "properties": {"acta": {"type": "string", "x-messages": {"required": "Adjunte el acta de la reunión."}}},
    })

    assert validate(form, {}) == {"acta": ["Adjunte el acta de la reunión."]}


def test_nested_field_errors_use_dotted_paths(solicitud, valid_solicitud):
    """Errors inside the apoderado group are keyed "apoderado.dni"."""
    assert validate(solicitud, {**valid_solicitud, "apoderado": {}}) == {
        "apoderado.dni": ["Este campo es obligatorio."]}
    assert validate(solicitud, {**valid_solicitud, "apoderado": {"dni": "1"}}) == {
        "apoderado.dni": ["El DNI debe tener exactamente 8 dígitos."]}


def test_unknown_field_is_refused(solicitud, valid_solicitud):
    """A field the schema does not declare is refused, at the root and inside groups."""
    data = {**valid_solicitud, "es_admin": True, "apoderado": {"dni": "12345678", "clave": "x"}}

    errors = validate(solicitud, data)

    assert errors == {
        "es_admin": ["El campo «es_admin» no forma parte de este formulario."],
        "apoderado.clave": ["El campo «clave» no forma parte de este formulario."],
    }


def test_field_declared_only_in_a_branch_is_not_unknown(settings, tmp_path):
    """Fields declared in an if/then branch are part of the form."""
    (tmp_path / "f.schema.json").write_text(
        '{"type": "object", "properties": {"tipo": {"enum": ["a", "b"]}},'
        ' "if": {"properties": {"tipo": {"const": "b"}}}, "then": {"properties": {"detalle": {"type": "string"}}}}',
        encoding="utf-8",
    )
    settings.ENGINE = {**settings.ENGINE, "FORMS_DIR": str(tmp_path)}

    assert validate(load_form("f"), {"tipo": "b", "detalle": "x"}) == {}


def test_data_that_is_not_an_object_is_refused_without_raising(solicitud):
    """A list or a string as the whole payload gets one form-level message."""
    assert validate(solicitud, ["x"]) == {"__all__": ["Los datos del formulario no son válidos."]}


# --- Domain validators -----------------------------------------------------------------


@pytest.fixture
def ie_activa():
    """Register the test_ie_activa validator for the duration of a test; record its calls."""
    calls = []

    def check(value, context):
        calls.append((value, context))
        return None if value.startswith("1598333") else "La IE no está activa en el padrón."

    register_validator("test_ie_activa", check)
    yield calls
    unregister_validator("test_ie_activa")


def test_registered_validator_message_appears_under_its_field(ie_activa):
    """A domain validator's Spanish message is reported under the property that names it."""
    form = load_form("con_validador")

    errors = validate(form, {"codigo_modular": "0234567"})

    assert errors == {"codigo_modular": ["La IE no está activa en el padrón."]}


def test_registered_validator_receives_the_callers_context(ie_activa):
    """The context passed to validate reaches the validator, with the form's key."""
    form = load_form("con_validador")

    assert validate(form, {"codigo_modular": "1598333-0"}, context={"ugel": "UGEL03"}) == {}
    assert ie_activa == [("1598333-0", {"ugel": "UGEL03", "form_key": "con_validador"})]


def test_a_validator_can_place_its_messages_on_fields(ie_activa):
    """A validator returning {path: message} puts each message on that path (from where it runs)."""
    form = load_form("con_validador")
    register_validator("test_ie_activa", lambda value, context: {"": "IE de otra UGEL."})
    assert validate(form, {"codigo_modular": "1598333-0"}) == {"codigo_modular": ["IE de otra UGEL."]}


def test_validator_does_not_run_on_a_value_failing_its_schema(ie_activa):
    """A malformed código modular gets the format message only; the validator is not called."""
    form = load_form("con_validador")

    errors = validate(form, {"codigo_modular": "15"})

    assert errors == {"codigo_modular": [
        "El código modular tiene 7 dígitos y, si corresponde, un guion y el anexo (por ejemplo, 1598333-0)."]}
    assert ie_activa == []


def test_root_validator_errors_are_form_level(settings, tmp_path):
    """An x-validator on the root reports under "__all__"."""
    (tmp_path / "f.schema.json").write_text(
        '{"type": "object", "x-validator": "test_fechas", "properties": {"desde": {"type": "integer"},'
        ' "hasta": {"type": "integer"}}}', encoding="utf-8")
    settings.ENGINE = {**settings.ENGINE, "FORMS_DIR": str(tmp_path)}
    register_validator("test_fechas", lambda v, c: "El fin es anterior al inicio." if v["hasta"] < v["desde"] else None)
    try:
        errors = validate(load_form("f"), {"desde": 5, "hasta": 1})
    finally:
        unregister_validator("test_fechas")

    assert errors == {"__all__": ["El fin es anterior al inicio."]}


def test_register_validator_works_as_a_decorator():
    """@register_validator("name") registers the decorated function and returns it."""
    @register_validator("test_decorado")
    def check(value, context):
        return None

    try:
        assert registry.is_registered_validator("test_decorado")
        assert check("x", {}) is None
    finally:
        unregister_validator("test_decorado")


# --- Hostile input ---------------------------------------------------------------------


@pytest.mark.parametrize("text", ["<script>alert(1)</script>", "'; DROP TABLE x;--", "Robert\"); --"])
def test_markup_and_sql_are_stored_as_typed(solicitud, valid_solicitud, text):
    """Hostile-looking text is valid data: it is kept verbatim (escaping is the renderer's job)."""
    data = {**valid_solicitud, "nombre": text, "observaciones": text}

    assert validate(solicitud, data) == {}
    assert data["nombre"] == text


def test_payload_over_one_megabyte_is_refused_with_one_message(solicitud, valid_solicitud):
    """A 10 MB string is refused before schema validation with a single form-level message."""
    errors = validate(solicitud, {**valid_solicitud, "observaciones": "a" * (10 * 1024 * 1024)})

    assert list(errors) == ["__all__"]
    assert len(errors["__all__"]) == 1
    assert "1 MB" in errors["__all__"][0]


def test_string_without_max_length_has_an_implicit_limit(solicitud, valid_solicitud):
    """A string field with no maxLength still refuses more than 5,000 characters."""
    assert validate(solicitud, {**valid_solicitud, "observaciones": "a" * 5000}) == {}
    assert validate(solicitud, {**valid_solicitud, "observaciones": "a" * 5001}) == {
        "observaciones": ["Máximo 5000 caracteres."]}


@pytest.mark.parametrize("char", ["\x00", "\x07", "\x1b", "\x7f", "\x85"])
def test_control_characters_are_refused(solicitud, valid_solicitud, char):
    """NUL, BEL, ESC, DEL and C1 controls in text are refused with a message on the field."""
    errors = validate(solicitud, {**valid_solicitud, "observaciones": f"linea{char}texto"})

    assert errors == {"observaciones": ["El texto contiene caracteres no permitidos (caracteres de control)."]}


def test_tab_and_line_breaks_are_allowed(solicitud, valid_solicitud):
    """Tabs and CR/LF line breaks are ordinary text."""
    assert validate(solicitud, {**valid_solicitud, "observaciones": "uno\tdos\r\ntres\n"}) == {}


def test_not_a_number_is_refused_without_raising(solicitud, valid_solicitud):
    """NaN (which Python's json accepts) is refused as invalid data."""
    errors = validate(solicitud, {**valid_solicitud, "alumnos": float("nan")})

    assert errors == {"__all__": ["Los datos del formulario no son válidos."]}
