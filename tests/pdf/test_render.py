"""pdf.render_pdf: a template of pdf/templates and plain values become a PDF with that
text, the project's own fonts, and PDF/A-3b metadata when asked."""

from __future__ import annotations

import io
import re
from typing import Any

import pytest
from django.template import TemplateDoesNotExist
from pypdf import PdfReader

import pdf
from pdf import rendering

from .conftest import LINK, embedded_fonts, pdf_text


def _xmp(content: bytes) -> str:
    catalog: Any = PdfReader(io.BytesIO(content)).trailer["/Root"]
    return catalog["/Metadata"].get_object().get_data().decode() if "/Metadata" in catalog else ""


def test_the_acta_renders_to_a_pdf_with_its_text(acta_context):
    content = pdf.render_pdf("acta_entrega.html", acta_context)
    assert content.startswith(b"%PDF")
    text = pdf_text(content)
    for expected in ("ACTA DE ENTREGA DE USUARIO SIAGIE", "Expediente N.º 4321", "QUISPE MAMANI, Lizbeth",
                     "70000203", "lquispe", "Código modular", "0584714", "Docente", "72 horas",
                     "Rosa Díaz Flores", "Página 1 de 1"):
        assert expected in text, expected
    assert LINK in re.sub(r"\s+", "", text)


def test_the_pdf_metadata_has_the_title_and_the_language(acta_context):
    reader = PdfReader(io.BytesIO(pdf.render_pdf("acta_entrega.html", acta_context)))
    assert reader.metadata.title == "Acta de entrega de usuario SIAGIE — expediente N.º 4321"
    assert reader.trailer["/Root"]["/Lang"] == "es-PE"


def test_pdf_a_writes_a_pdf_a_3b(acta_context):
    """PDF/A-3b: identified as part 3, conformance B, in the XMP metadata (which also
    carries the title), with an output intent; a plain render claims nothing."""
    content = pdf.render_pdf("acta_entrega.html", acta_context, pdf_a=True)
    xmp = _xmp(content)
    part = re.search(r"pdfaid:part(?:>|=\")\s*(\d)", xmp)
    conformance = re.search(r"pdfaid:conformance(?:>|=\")\s*(\w)", xmp)
    assert part and part.group(1) == "3", xmp
    assert conformance and conformance.group(1) == "B", xmp
    assert "Acta de entrega de usuario SIAGIE" in xmp
    reader = PdfReader(io.BytesIO(content))
    assert "/OutputIntents" in reader.trailer["/Root"] and reader.trailer["/Root"]["/Lang"] == "es-PE"
    assert "ACTA DE ENTREGA DE USUARIO SIAGIE" in pdf_text(content)

    assert "pdfaid" not in _xmp(pdf.render_pdf("acta_entrega.html", acta_context))


def test_documents_embed_only_the_projects_fonts(acta_context):
    """Noto Sans and Noto Sans Mono from pdf/fonts, Latin Extended when a name needs it:
    never a font the machine happens to have (DejaVu, Liberation...)."""
    acta_context["nombres"] = "Łucja Ødegård"  # outside Latin-1: the Latin Extended file
    content = pdf.render_pdf("acta_entrega.html", acta_context)
    assert embedded_fonts(content) == {"Noto-Sans", "Noto-Sans-Bold", "Noto-Sans-Latin-Ext",
                                       "Noto-Sans-Mono", "Noto-Sans-Mono-Bold"}
    assert "Łucja Ødegård" in pdf_text(content)


def test_context_values_are_escaped(acta_context):
    acta_context["nombres"] = "<b>Lizbeth</b>"
    html = pdf.render_html("acta_entrega.html", acta_context)
    assert "&lt;b&gt;Lizbeth&lt;/b&gt;" in html and "<b>Lizbeth</b>" not in html


def test_the_acta_without_a_link_has_no_qr_and_says_why(acta_context):
    acta_context["enlace"] = ""
    html = pdf.render_html("acta_entrega.html", acta_context)
    assert "<svg" not in html and "/cuenta/activar/" not in html
    assert "ya creó su contraseña" in pdf_text(pdf.render_pdf("acta_entrega.html", acta_context))


def test_templates_come_from_pdf_templates_only(settings, acta_context):
    """The documents' engine ignores the project's TEMPLATES: it renders without them,
    and a portal template is not a document."""
    settings.TEMPLATES = []
    assert "lquispe" in pdf.render_html("acta_entrega.html", acta_context)
    with pytest.raises(TemplateDoesNotExist):
        pdf.render_html("accounts/_entrega.html", {})


def test_a_document_reads_only_files_of_the_package():
    """No network, no file outside pdf/; the package's own stylesheet and fonts load."""
    fetcher = rendering._fetcher()
    for url in ("file:///etc/passwd", "https://example.com/logo.png",
                (rendering.ROOT / ".." / "pyproject.toml").as_uri()):
        with pytest.raises(ValueError, match="only use files of pdf/"):
            fetcher.fetch(url)
    response = fetcher.fetch((rendering.ROOT / "styles" / "base.css").as_uri())
    try:
        assert b"@font-face" in response.read()
    finally:
        response.close()


def test_a_resource_outside_the_package_fails_the_render(monkeypatch, acta_context):
    """Better no document than one quietly missing a part (or reaching out for it)."""
    from weasyprint.urls import FatalURLFetchingError

    real = rendering.render_html
    monkeypatch.setattr(rendering, "render_html", lambda template, context: real(template, context).replace(
        "</body>", '<img src="file:///etc/hostname"></body>'))
    with pytest.raises(FatalURLFetchingError):
        pdf.render_pdf("acta_entrega.html", acta_context)


def test_a_missing_font_fails_the_render(monkeypatch, acta_context):
    """No silent fallback to the machine's fonts."""
    from weasyprint.urls import FatalURLFetchingError

    real = rendering.render_html
    face = ('<style>@font-face { font-family: "Gone"; src: url("fonts/gone.woff2") format("woff2"); }'
            ' h1 { font-family: "Gone"; }</style></head>')
    monkeypatch.setattr(rendering, "render_html",
                        lambda template, context: real(template, context).replace("</head>", face))
    with pytest.raises(FatalURLFetchingError):
        pdf.render_pdf("acta_entrega.html", acta_context)


def test_the_demo_document_renders():
    assert "Oficio de prueba" in pdf_text(pdf.render_pdf("documento_demo.html", {"titulo": "Oficio de prueba"}))
