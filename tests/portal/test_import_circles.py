"""No late import anywhere in the product exists only to dodge an import circle (issue 10)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from django.conf import settings

PACKAGES = ["engine", "portal", "pdf"]


def test_no_function_level_import_dodges_a_circle():
    """engine, portal and pdf import one way: hoisting any late import would not close a circle."""
    root = Path(settings.BASE_DIR)
    result = subprocess.run([sys.executable, str(root / "scripts" / "late_imports.py"), *PACKAGES],
                            cwd=root, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 function-level import(s) dodging a circle" in result.stdout
