"""Documents rendered with plain context values: the pdf package needs no database and
no portal model."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest
from pypdf import PdfReader

LINK = "https://flujos.example.pe/cuenta/activar/MTIz/d4f9k2-0a1b2c3d4e5f60718293a4b5c6d7e8f9/"


@pytest.fixture
def acta_context() -> dict[str, Any]:
    when = dt.datetime(2026, 11, 20, 10, 30, tzinfo=dt.UTC)
    return {
        "expediente": 4321, "fecha": when,
        "unidad": {"name": "IE 1234 AUGUSTO B. LEGUIA", "codigo_modular": "0584714"},
        "rol": "Docente (SIAGIE)", "cargo_ie": "Docente",
        "apellidos": "Quispe Mamani", "nombres": "Lizbeth", "dni": "70000203",
        "usuario": "lquispe", "enlace": LINK, "horas": 72, "vence": when + dt.timedelta(hours=72),
        "entrega": "Rosa Díaz Flores",
    }


def pdf_text(content: bytes) -> str:
    return " ".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def embedded_fonts(content: bytes) -> set[str]:
    """The base names of the fonts the PDF embeds, without the subset tag ("Noto-Sans")."""
    names = set()
    for page in PdfReader(io.BytesIO(content)).pages:
        resources: Any = page["/Resources"]
        for font in resources["/Font"].values():
            names.add(str(font.get_object()["/BaseFont"]).lstrip("/").split("+", 1)[-1])
    return names
