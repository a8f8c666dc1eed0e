"""render_form(): accessible Bootstrap markup, errors beside fields, values kept, escaped."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from portal.schemaforms.loader import load_form
from portal.schemaforms.rendering import render_form
from portal.schemaforms.services import document_store
from portal.schemaforms.validation import validate


class Controls(HTMLParser):
    """Collects form controls (input/select/textarea) and <label for> targets."""

    def __init__(self, html: str):
        super().__init__()
        self.controls: list[dict[str, str | None]] = []
        self.label_for: set[str] = set()
        self.ids: set[str] = set()
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if "id" in attributes:
            self.ids.add(attributes["id"])
        if tag in ("input", "select", "textarea"):
            self.controls.append({"tag": tag, **attributes})
        if tag == "label":
            self.label_for.add(attributes.get("for"))

    def control(self, control_id: str) -> dict:
        return next(c for c in self.controls if c.get("id") == control_id)


def test_every_visible_control_has_an_id_and_a_label(solicitud):
    """Each input, select and textarea except hidden ones is named by a <label for>."""
    page = Controls(render_form(solicitud))

    visible = [c for c in page.controls if c.get("type") != "hidden"]
    assert visible
    for control in visible:
        assert control.get("id"), control
        assert control["id"] in page.label_for, control


def test_fields_follow_ui_order_then_schema_order(solicitud):
    """ui.order puts dni before nombre; the rest follow the schema."""
    html = str(render_form(solicitud))

    assert html.index('id="id_dni"') < html.index('id="id_nombre"') < html.index('id="id_carne"')


def test_input_types_follow_formats(solicitud):
    """DNI/RUC/código modular get inputmode numeric; dates type=date; e-mail type=email; limits from formats."""
    page = Controls(render_form(solicitud))

    assert page.control("id_dni")["inputmode"] == "numeric"
    assert page.control("id_dni")["maxlength"] == "8"
    assert page.control("id_ruc")["inputmode"] == "numeric"
    assert page.control("id_codigo_modular")["inputmode"] == "numeric"
    assert page.control("id_fecha")["type"] == "date"
    assert page.control("id_correo")["type"] == "email"
    assert page.control("id_nombre")["maxlength"] == "200"
    assert page.control("id_motivo")["tag"] == "textarea"
    assert "required" in page.control("id_nombre")
    assert "required" not in page.control("id_correo")


def test_choices_show_their_titles(solicitud):
    """A oneOf of consts renders radios labelled with the titles; a list of choices renders checkboxes."""
    html = str(render_form(solicitud))
    page = Controls(html)

    assert ">Primaria</label>" in html and ">Secundaria</label>" in html
    radios = [c for c in page.controls if c.get("name") == "nivel"]
    assert [r["value"] for r in radios] == ["inicial", "primaria", "secundaria"]
    assert all(r["type"] == "radio" for r in radios)
    assert {c["type"] for c in page.controls if c.get("name") == "materias"} == {"checkbox"}
    assert page.control("id_cumple_requisitos")["type"] == "checkbox"


def test_failing_field_is_marked_invalid_with_its_message(solicitud, valid_solicitud):
    """The failing input has is-invalid, aria-invalid and aria-describedby pointing at its message."""
    data = {**valid_solicitud, "dni": "123"}
    errors = validate(solicitud, data)

    html = str(render_form(solicitud, data=data, errors=errors))
    dni = Controls(html).control("id_dni")

    assert "is-invalid" in dni["class"]
    assert dni["aria-invalid"] == "true"
    assert "id_dni-error" in dni["aria-describedby"].split()
    message = "El DNI debe tener exactamente 8 dígitos."
    assert f'<div id="id_dni-error" class="invalid-feedback d-block">{message}</div>' in html
    assert "is-invalid" not in Controls(html).control("id_nombre")["class"]


def test_error_summary_links_to_the_fields(solicitud):
    """The summary at the top lists each error with a link to its field's id."""
    html = str(render_form(solicitud, data={}, errors=validate(solicitud, {})))

    assert 'href="#id_dni"' in html
    assert 'href="#id_nivel"' in html
    assert html.index("Revise los campos marcados") < html.index('<input')
    assert "id_nivel" in Controls(html).ids  # the link target exists (the first radio)


def test_form_level_errors_are_shown_at_the_top(solicitud):
    """"__all__" messages appear in the summary."""
    html = str(render_form(solicitud, errors={"__all__": ["Los datos enviados superan el máximo de 1 MB."]}))

    assert "Los datos enviados superan el máximo de 1 MB." in html


def test_typed_values_are_kept_after_an_error(solicitud):
    """Text, unparsable numbers, choices and checkboxes are shown again as sent."""
    data = {"nombre": "Rosa Quispe", "alumnos": "doce", "nivel": "secundaria", "materias": ["ciencia"],
            "cumple_requisitos": True, "motivo": "Falta el acta", "apoderado": {"dni": "12345678"}}

    page = Controls(render_form(solicitud, data=data, errors=validate(solicitud, data)))

    assert page.control("id_nombre")["value"] == "Rosa Quispe"
    assert page.control("id_alumnos")["value"] == "doce"
    assert "checked" in page.control("id_nivel-2")
    assert "checked" not in page.control("id_nivel")
    assert "checked" in page.control("id_materias-2")
    assert "checked" in page.control("id_cumple_requisitos")
    assert page.control("id_apoderado__dni")["value"] == "12345678"
    assert page.control("id_apoderado__dni")["name"] == "apoderado.dni"


def test_nested_object_is_a_fieldset_with_legend(solicitud):
    """The apoderado group renders as a fieldset with its title as legend."""
    html = str(render_form(solicitud))

    assert '<legend class="fs-6 fw-semibold px-1 w-auto">Apoderado</legend>' in html


@pytest.mark.parametrize("text", ["<script>alert(1)</script>", "'; DROP TABLE x;--", '"><img src=x onerror=alert(1)>'])
def test_hostile_values_are_rendered_escaped(solicitud, valid_solicitud, text):
    """Markup typed by a user is shown as text, in inputs, textareas and messages."""
    data = {**valid_solicitud, "nombre": text, "motivo": text}

    html = str(render_form(solicitud, data=data, errors={"nombre": [text]}))

    assert "<script>alert" not in html
    assert "<img" not in html
    if "<script>" in text:
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert Controls(html).control("id_nombre")["value"] == text


def test_read_only_mode_disables_every_control_and_hides_submit(solicitud, valid_solicitud):
    """disabled=True renders the data for viewing: every control disabled, no submit button."""
    html = str(render_form(solicitud, data=valid_solicitud, disabled=True))
    page = Controls(html)

    assert page.controls
    assert all("disabled" in control for control in page.controls)
    assert page.control("id_nombre")["value"] == "Rosa Quispe Mamani"
    assert 'type="submit"' not in html


def test_submit_button_uses_the_ui_label(solicitud):
    """ui.submit labels the button."""
    assert '<button type="submit" class="btn btn-primary">Registrar</button>' in str(render_form(solicitud))


def test_prefix_applies_to_names_and_ids(solicitud):
    """A prefix keeps two forms on one page apart."""
    page = Controls(render_form(solicitud, prefix="t1-"))

    assert page.control("id_t1-dni")["name"] == "t1-dni"


def test_file_field_renders_accept_from_the_schema():
    """A document field is a file input accepting the schema's types."""
    page = Controls(render_form(load_form("adjuntos")))

    assert page.control("id_oficio")["type"] == "file"
    assert page.control("id_oficio")["accept"] == "application/pdf"
    assert page.control("id_acta")["accept"] == "application/pdf,image/jpeg,image/png"


@pytest.mark.django_db
def test_attached_document_is_named_and_kept_in_a_hidden_input(media, user):
    """After a failed submit the attached document's name shows and its UUID is re-sent."""
    form = load_form("adjuntos")
    pdf = SimpleUploadedFile("oficio <2025>.pdf", b"%PDF-1.4\nstartxref\n0\n%%EOF\n")
    document = document_store(file=pdf, field_schema=form.schema["properties"]["oficio"], user=user)

    html = str(render_form(form, data={"oficio": str(document.id)}, errors={"foto": ["x"]}, user=user))
    hidden = [c for c in Controls(html).controls if c.get("type") == "hidden" and c.get("name") == "oficio"]

    assert "oficio &lt;2025&gt;.pdf" in html
    assert hidden and hidden[0]["value"] == str(document.id)
    assert "required" not in Controls(html).control("id_oficio")


@pytest.mark.django_db
def test_another_users_document_is_not_named(media, user, other_user):
    """A UUID of someone else's document in the data does not reveal its name."""
    form = load_form("adjuntos")
    pdf = SimpleUploadedFile("expediente-secreto.pdf", b"%PDF-1.4\nstartxref\n0\n%%EOF\n")
    document = document_store(file=pdf, field_schema=form.schema["properties"]["oficio"], user=other_user)

    html = str(render_form(form, data={"oficio": str(document.id)}, user=user))

    assert "expediente-secreto" not in html
    assert str(document.id) not in html
