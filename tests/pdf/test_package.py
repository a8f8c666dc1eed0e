"""The pdf package stands alone: nothing from portal/, WeasyPrint loaded only to render."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pdf

PACKAGE = Path(pdf.__file__).resolve().parent


def _imported_modules(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
    return names


def test_pdf_imports_nothing_from_portal():
    sources = sorted(PACKAGE.rglob("*.py"))
    assert len(sources) >= 4  # __init__, rendering, qr, tags: the walk finds the package
    offending = {f"{path.relative_to(PACKAGE)}: {name}" for path in sources
                 for name in _imported_modules(path) if name == "portal" or name.startswith("portal.")}
    assert not offending


def test_importing_pdf_does_not_load_weasyprint():
    """WeasyPrint is heavy: a process that never renders never pays for it."""
    check = "import sys, pdf; sys.exit('weasyprint' in sys.modules or 'qrcode' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", check], cwd=PACKAGE.parent, check=False).returncode == 0


def test_the_fonts_ship_with_their_licence():
    fonts = PACKAGE / "fonts"
    assert "SIL OPEN FONT LICENSE Version 1.1" in (fonts / "OFL.txt").read_text()
    css = (PACKAGE / "styles" / "base.css").read_text()
    for woff2 in fonts.glob("*.woff2"):
        assert f"../fonts/{woff2.name}" in css, woff2.name  # every file shipped is used
