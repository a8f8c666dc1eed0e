"""Identifiers that arrive as text: one rule for every app."""

from __future__ import annotations

import re
import uuid
from typing import Any

# Hex groups, hyphens optional, any case: how people and clients write UUIDs.
UUID_RE = re.compile(r"[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}")


def parse_uuid(value: Any) -> uuid.UUID | None:
    """The UUID `value` writes (see UUID_RE), or None for anything else."""
    if isinstance(value, uuid.UUID):
        return value
    if not isinstance(value, str) or not UUID_RE.fullmatch(value):
        return None
    return uuid.UUID(value)
