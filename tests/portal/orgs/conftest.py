"""Fixtures for the administration of offices and positions (the org tree and the
`officer` factory are tests/portal/conftest.py's)."""

from __future__ import annotations

import pytest


@pytest.fixture
def director(officer):
    """The Director of AUGUSTO B. LEGUIA (UGEL-03)."""
    return officer("director_ie", "0584714-0", username="director")
