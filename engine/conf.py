"""The engine's settings: the `ENGINE` dict of the Django settings, with its defaults."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings

DEFAULT_MAX_BPMN_BYTES = 2 * 1024 * 1024


def engine_settings() -> dict[str, Any]:
    value: dict[str, Any] = getattr(settings, "ENGINE", {})
    return value


def max_bpmn_bytes() -> int:
    """The largest BPMN file the engine accepts (the upload form and deployment alike)."""
    return int(engine_settings().get("MAX_BPMN_BYTES", DEFAULT_MAX_BPMN_BYTES))


DEFAULT_SCRIPT_MAX_OPERATIONS = 1_000_000
DEFAULT_SCRIPT_MAX_SECONDS = 5.0
DEFAULT_SCRIPT_MAX_VALUE_BYTES = 10 * 1024 * 1024
DEFAULT_STEP_MAX_SECONDS = 30.0


@dataclass(frozen=True)
class ScriptLimits:
    """The budget of one run of a script or expression (see engine.scripting.Budget)."""

    operations: int
    seconds: float
    value_bytes: int


def script_limits() -> ScriptLimits:
    engine = engine_settings()
    return ScriptLimits(
        operations=int(engine.get("SCRIPT_MAX_OPERATIONS", DEFAULT_SCRIPT_MAX_OPERATIONS)),
        seconds=float(engine.get("SCRIPT_MAX_SECONDS", DEFAULT_SCRIPT_MAX_SECONDS)),
        value_bytes=int(engine.get("SCRIPT_MAX_VALUE_BYTES", DEFAULT_SCRIPT_MAX_VALUE_BYTES)),
    )


def step_max_seconds() -> float:
    """How long the engine part of one step may run before it is stopped and rolled back."""
    return float(engine_settings().get("STEP_MAX_SECONDS", DEFAULT_STEP_MAX_SECONDS))
