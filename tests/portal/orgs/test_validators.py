import json

import pytest

from portal.schemaforms.loader import clear_cache, load_form
from portal.schemaforms.validation import validate

pytestmark = pytest.mark.django_db


@pytest.fixture
def ie_form(tmp_path, settings):
    schema = {
        "$schema": "https://json-schema.org/draft/2020-12/schema", "type": "object",
        "properties": {
            "ie": {"type": "string", "title": "IE", "format": "codigo_modular", "x-validator": "ie_activa"},
            "ie_historica": {"type": "string", "title": "IE de estudios", "format": "codigo_modular",
                             "x-validator": "ie_existe"},
            "unidad": {"type": "string", "title": "Unidad", "maxLength": 64, "x-validator": "unidad_existe"},
        },
    }
    (tmp_path / "ie.schema.json").write_text(json.dumps(schema), encoding="utf-8")
    settings.ENGINE = {**settings.ENGINE, "FORMS_DIR": str(tmp_path)}
    clear_cache()
    yield load_form("ie")
    clear_cache()


def test_an_active_ie_passes_and_a_closed_one_is_named(org, ie_form):
    """AUGUSTO B. LEGUIA is accepted; ANTONIO RAIMONDI (closed) is refused by name."""
    assert validate(ie_form, {"ie": "0584714-0"}) == {}
    errors = validate(ie_form, {"ie": "1598333-0"})
    assert errors == {"ie": ["La IE ANTONIO RAIMONDI (1598333-0) está inactiva (cerrada)."]}


def test_a_codigo_modular_without_anexo_means_anexo_zero(org, ie_form):
    """1598333 is read as 1598333-0, so it exists even though it is closed."""
    assert validate(ie_form, {"ie_historica": "1598333"}) == {}


def test_an_unknown_ie_and_unit_are_refused(org, ie_form):
    """Codes that are not in the org tree are refused with the code in the message."""
    errors = validate(ie_form, {"ie": "7777777-0", "unidad": "UGEL-99"})
    assert errors["ie"] == ["No hay una IE registrada con el código modular «7777777-0»."]
    assert errors["unidad"] == ["No existe una unidad con el código «UGEL-99»."]
