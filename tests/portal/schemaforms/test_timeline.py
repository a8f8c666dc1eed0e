"""timeline_text(): the phrase written in the audit timeline for a submission."""

from __future__ import annotations

import pytest

from portal.schemaforms.loader import FormDefinition, load_form
from portal.schemaforms.timeline import timeline_text


def test_placeholders_become_human_labels(solicitud):
    """Booleans read "Sí"/"No", choices read their title, missing fields are empty."""
    text = timeline_text(solicitud, {"cumple_requisitos": True, "nivel": "primaria"})

    assert text == "verificó los requisitos: Sí (nivel Primaria)"


def test_false_and_unknown_values(solicitud):
    """False reads "No"; a value that is not an option is shown raw."""
    text = timeline_text(solicitud, {"cumple_requisitos": False, "nivel": "otro"})

    assert text == "verificó los requisitos: No (nivel otro)"


def test_form_without_timeline_returns_none():
    """A form with no ui.timeline has no phrase."""
    assert timeline_text(load_form("adjuntos"), {"oficio": "x"}) is None


@pytest.mark.parametrize("template", ["{", "}{", "{0}", "{nivel!r}", "{nivel:>10}", "{{nivel}}", "{__class__}",
                                      "{nivel.__class__}"])
def test_malformed_templates_never_raise(template):
    """Stray braces, positional or format-spec placeholders are left alone or emptied, never an exception."""
    form = FormDefinition(key="x", schema={"type": "object", "properties": {"nivel": {"type": "string"}}},
                          ui={"timeline": template})

    result = timeline_text(form, {"nivel": "primaria"})

    assert isinstance(result, str)
    assert "<class" not in result  # no attribute access, unlike str.format


def test_nested_placeholder_reads_the_group(solicitud):
    """{apoderado.dni} reads the nested value."""
    form = FormDefinition(key="x", schema=solicitud.schema, ui={"timeline": "apoderado {apoderado.dni}"})

    assert timeline_text(form, {"apoderado": {"dni": "12345678"}}) == "apoderado 12345678"
