"""QR codes: inline SVG whose dark modules are exactly the QR code of the text."""

from __future__ import annotations

import re

import qrcode

import pdf

from .conftest import LINK


def _modules(svg: str) -> set[tuple[int, int]]:
    """The dark modules drawn by an SvgPathImage path: one square per module
    ("M x,y H.. V.. H.. z"), in mm, 0.8 mm a module at box_size 8, after a 4-module border."""
    found = re.search(r'<path d="([^"]+)"', svg)
    assert found is not None, svg
    path = found.group(1)
    return {(round(float(y) / 0.8) - 4, round(float(x) / 0.8) - 4)
            for x, y in re.findall(r"M([\d.]+),([\d.]+)", path)}


def test_qr_svg_is_inline_svg_of_the_text():
    svg = pdf.qr_svg(LINK)
    assert svg.startswith("<svg") and "<?xml" not in svg and "<image" not in svg
    code = qrcode.QRCode()
    code.add_data(LINK)
    code.make()
    matrix = code.get_matrix()
    border = (len(matrix) - code.modules_count) // 2
    expected = {(r - border, c - border) for r, row in enumerate(matrix) for c, dark in enumerate(row) if dark}
    assert _modules(svg) == expected


def test_the_acta_carries_the_qr_of_its_link(acta_context):
    html = pdf.render_html("acta_entrega.html", acta_context)
    assert str(pdf.qr_svg(acta_context["enlace"])) in html
