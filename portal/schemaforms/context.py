"""The validation under way in this thread or task: the caller's context and the root schema.

`validate` sets it for the length of one call; the `document` format, the
`unevaluatedProperties` rule and domain validators read it. A ContextVar, so threads
and asyncio tasks validating at the same time never see each other's user.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

_state: ContextVar[tuple[Mapping[str, Any], dict[str, Any]]] = ContextVar(
    "schemaforms_state", default=({}, {})
)


@contextmanager
def validating(context: Mapping[str, Any], root: dict[str, Any]) -> Iterator[None]:
    """Make `context` and the root schema `root` current for the block."""
    token = _state.set((context, root))
    try:
        yield
    finally:
        _state.reset(token)


def current_context() -> Mapping[str, Any]:
    """The caller's context of the validation under way ({} outside one)."""
    return _state.get()[0]


def current_root() -> dict[str, Any]:
    """The root schema of the validation under way ({} outside one)."""
    return _state.get()[1]
