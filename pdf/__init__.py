"""The documents of the portal: acta de entrega now; certificado de estudios, CLA
constancia and notices next. Imports nothing from portal/ (tests/pdf checks it): callers
pass plain values, the package turns them into a PDF.

API (details in docs/pdf.md):

- `render_pdf(template, context, *, pdf_a=False) -> bytes`: a template under
  pdf/templates (extending base.html) to PDF; `pdf_a=True` writes PDF/A-3b.
- `render_html(template, context) -> str`: the same document as HTML (tests, previews).
- `qr_svg(text) -> str`: a QR code as inline SVG; in templates `{% load documents %}{% qr value %}`.

Templates use Django's template language through the package's own engine (not the
project's TEMPLATES); pdf/styles/base.css gives A4 pages, margins, typography, header,
footer, tables and signature lines; fonts are the project's own (pdf/fonts).
"""

from .qr import qr_svg
from .rendering import render_html, render_pdf

__all__ = ["qr_svg", "render_html", "render_pdf"]
