"""The engine's settings: the `ENGINE` dict of the Django settings, with its defaults."""

from __future__ import annotations

from typing import Any

from django.conf import settings

DEFAULT_MAX_BPMN_BYTES = 2 * 1024 * 1024


def engine_settings() -> dict[str, Any]:
    value: dict[str, Any] = getattr(settings, "ENGINE", {})
    return value


def max_bpmn_bytes() -> int:
    """The largest BPMN file the engine accepts (the upload form and deployment alike)."""
    return int(engine_settings().get("MAX_BPMN_BYTES", DEFAULT_MAX_BPMN_BYTES))
