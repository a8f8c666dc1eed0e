"""Templates to HTML (Django's template language, a standalone engine) and HTML to PDF
(WeasyPrint). See docs/pdf.md."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.template import Engine

if TYPE_CHECKING:
    from weasyprint.urls import URLFetcherResponse

ROOT = Path(__file__).resolve().parent
TEMPLATES_DIR = ROOT / "templates"
PDF_A_VARIANT = "pdf/a-3b"


@cache
def engine() -> Engine:
    """The documents' own template engine: pdf/templates only, autoescaped, whatever the
    project's TEMPLATES setting says (a portal template can never shadow a document, nor
    a context processor add request data to one)."""
    return Engine(
        dirs=[str(TEMPLATES_DIR)],
        libraries={
            "i18n": "django.templatetags.i18n",
            "l10n": "django.templatetags.l10n",
            "tz": "django.templatetags.tz",
            "documents": "pdf.tags",
        },
        autoescape=True,
    )


def render_html(template: str, context: dict[str, Any]) -> str:
    """The HTML of `template` (a name under pdf/templates) with `context`. Values are
    escaped; pass plain values (str, numbers, dates, dicts), not model instances, so a
    document shows only what its caller chose to give it."""
    return engine().render_to_string(template, context)


def _within_package(url: str) -> bool:
    from urllib.parse import unquote, urlsplit

    parts = urlsplit(url)
    if parts.scheme != "file":
        return False
    return Path(unquote(parts.path)).resolve().is_relative_to(ROOT)


@cache
def _fetcher() -> Any:
    """A URL fetcher that reads only pdf/'s own files (stylesheets, fonts) and data: URLs,
    and fails the render otherwise: a document never reaches the network or the rest of
    the disk, and a missing font stops the render instead of falling back to whatever
    fonts the machine has."""
    from weasyprint.urls import URLFetcher

    class PackageFetcher(URLFetcher):  # type: ignore[misc]  # weasyprint has no type information
        def fetch(self, url: str, headers: Any = None) -> URLFetcherResponse:
            if not (url.startswith("data:") or _within_package(url)):
                raise ValueError(f"A document may only use files of pdf/: {url}")
            return super().fetch(url, headers)

    return PackageFetcher(fail_on_errors=True)


def render_pdf(template: str, context: dict[str, Any], *, pdf_a: bool = False) -> bytes:
    """The PDF of `template` with `context` (see render_html). The title and language
    of the PDF come from the template's <title> and <html lang> (es-PE in base.html).

    pdf_a: write PDF/A-3b (ISO 19005-3, basic conformance: fonts embedded, sRGB output
    intent, XMP metadata), the archival form for documents that must stay readable and
    verifiable for years (certificates, constancias).

    WeasyPrint is imported here, not at module level: it is heavy, and most processes
    (the worker, management commands, most requests) never render a document."""
    from weasyprint import HTML
    from weasyprint.text.fonts import FontConfiguration

    html = render_html(template, context)
    options: dict[str, Any] = {"pdf_variant": PDF_A_VARIANT} if pdf_a else {}
    document = HTML(string=html, base_url=ROOT.as_uri() + "/", url_fetcher=_fetcher())
    pdf: bytes = document.write_pdf(font_config=FontConfiguration(), **options)
    return pdf
