"""Loading form definitions: lookup, checks at load, cache."""

from __future__ import annotations

import json
import os

import pytest

from portal.schemaforms.loader import (
    FormDefinitionError,
    FormNotFound,
    SchemaFormCatalogue,
    form_catalogue_check,
    load_form,
)


@pytest.fixture
def tmp_forms(settings, tmp_path):
    """An empty forms directory the loader reads from; write forms with write_form()."""
    settings.ENGINE = {**settings.ENGINE, "FORMS_DIR": str(tmp_path)}
    return tmp_path


def write_form(directory, key, schema, ui=None):
    (directory / f"{key}.schema.json").write_text(json.dumps(schema), encoding="utf-8")
    if ui is not None:
        (directory / f"{key}.ui.json").write_text(json.dumps(ui), encoding="utf-8")


SIMPLE = {"type": "object", "properties": {"nombre": {"type": "string", "title": "Nombre"}}}


def test_load_form_returns_schema_ui_and_key():
    """A form is its schema, its UI hints and its key."""
    form = load_form("solicitud")

    assert form.key == "solicitud"
    assert form.title == "Solicitud de prueba"
    assert form.ui["submit"] == "Registrar"
    assert form.schema["properties"]["dni"]["format"] == "dni"


def test_ui_file_is_optional():
    """A form without a .ui.json loads with empty hints and the default submit label."""
    form = load_form("adjuntos")

    assert form.ui == {}
    assert form.submit_label == "Enviar"


def test_missing_form_raises_form_not_found_in_spanish():
    """Asking for a form that has no schema file raises FormNotFound with a Spanish message."""
    with pytest.raises(FormNotFound, match="no existe"):
        load_form("no_existe")


@pytest.mark.parametrize("key", ["../solicitud", "forms/solicitud", "Solicitud", "solicitud.schema", "",
                                 "solicitud\n", ".solicitud", "a" * 201])
def test_keys_outside_the_allowed_pattern_are_refused(key):
    """Keys with path separators, dots, capitals, newlines or excessive length never reach the disk."""
    with pytest.raises(FormNotFound, match="no es válido"):
        load_form(key)


def test_schema_failing_the_2020_12_meta_schema_raises_definition_error():
    """A schema with `"type": "strin"` is refused at load with the offending location."""
    with pytest.raises(FormDefinitionError, match="properties/dni/type"):
        load_form("tipo_roto")


def test_unknown_domain_validator_is_refused_at_load():
    """A schema naming a validator nobody registered cannot be loaded."""
    with pytest.raises(FormDefinitionError, match="validador desconocido «no_registrado»"):
        load_form("validador_desconocido")


def test_unknown_format_is_refused_at_load(tmp_forms):
    """A misspelt format would never be checked, so the form is refused."""
    write_form(tmp_forms, "f", {"type": "object", "properties": {"dni": {"type": "string", "format": "dnii"}}})

    with pytest.raises(FormDefinitionError, match="formato desconocido «dnii»"):
        load_form("f")


def test_root_that_is_not_an_object_is_refused(tmp_forms):
    """Forms are objects of fields; a root of another type is refused."""
    write_form(tmp_forms, "f", {"type": "string"})

    with pytest.raises(FormDefinitionError, match="type"):
        load_form("f")


def test_other_json_schema_dialect_is_refused(tmp_forms):
    """A schema declaring draft-07 is refused: formats and keywords differ."""
    write_form(tmp_forms, "f", {**SIMPLE, "$schema": "http://json-schema.org/draft-07/schema#"})

    with pytest.raises(FormDefinitionError, match="2020-12"):
        load_form("f")


def test_invalid_json_raises_definition_error(tmp_forms):
    """A schema file that is not JSON is reported, not a crash."""
    (tmp_forms / "f.schema.json").write_text("{'type': 'object'", encoding="utf-8")

    with pytest.raises(FormDefinitionError, match="no es un JSON válido"):
        load_form("f")


def test_ui_with_unknown_widget_or_field_is_refused(tmp_forms):
    """UI hints naming a widget that does not exist, or a field that does not exist, are refused."""
    write_form(tmp_forms, "f", SIMPLE, {"fields": {"nombre": {"widget": "slider"}}, "order": ["apellido"]})

    with pytest.raises(FormDefinitionError) as excinfo:
        load_form("f")

    assert "slider" in str(excinfo.value)
    assert "apellido" in str(excinfo.value)


def test_file_options_outside_the_supported_types_are_refused(tmp_forms):
    """x-file may only accept PDF, JPEG or PNG and at most 40 MB."""
    field = {"type": "string", "format": "document",
             "x-file": {"accept": ["application/x-msdownload"], "maxBytes": 100 * 1024 * 1024}}
    write_form(tmp_forms, "f", {"type": "object", "properties": {"adjunto": field}})

    with pytest.raises(FormDefinitionError) as excinfo:
        load_form("f")

    assert "x-file.accept" in str(excinfo.value)
    assert "x-file.maxBytes" in str(excinfo.value)


def test_loaded_form_is_cached_while_files_are_unchanged(tmp_forms):
    """Loading twice returns the same definition object."""
    write_form(tmp_forms, "f", SIMPLE)

    assert load_form("f") is load_form("f")


def test_cache_is_invalidated_when_the_schema_file_changes(tmp_forms):
    """Editing the schema file on disk is picked up on the next load."""
    write_form(tmp_forms, "f", {**SIMPLE, "title": "Antes"})
    assert load_form("f").title == "Antes"

    path = tmp_forms / "f.schema.json"
    path.write_text(json.dumps({**SIMPLE, "title": "Después"}), encoding="utf-8")
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 2_000_000_000))

    assert load_form("f").title == "Después"


def test_cache_is_invalidated_when_the_ui_file_appears(tmp_forms):
    """Adding a .ui.json next to a cached schema is picked up on the next load."""
    write_form(tmp_forms, "f", SIMPLE)
    assert load_form("f").submit_label == "Enviar"

    (tmp_forms / "f.ui.json").write_text(json.dumps({"submit": "Guardar"}), encoding="utf-8")

    assert load_form("f").submit_label == "Guardar"


def test_form_catalogue_check_is_true_only_for_existing_valid_forms():
    """Deployment validation accepts a valid form and refuses missing or broken ones."""
    assert form_catalogue_check("solicitud") is True
    assert form_catalogue_check("no_existe") is False
    assert form_catalogue_check("tipo_roto") is False
    assert form_catalogue_check("../solicitud") is False
    assert SchemaFormCatalogue().exists("adjuntos") is True
