"""Task panels: what a product module adds to a task page and to the API's task detail.

A provider is registered for the form keys starting with a prefix and is called with
the open task. It returns a Panel: a template (rendered above the form) with its
context, `initial` values the server puts into the form (hidden values computed from the
current state, e.g. the holder the verifier sees; they replace whatever was posted, so a
page re-rendered after a conflict carries the fresh value) and `api` data added to
`GET /api/v1/tasks/<id>/` under "panel".
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from engine.models import HumanTask, HumanTaskState


@dataclass
class Panel:
    template: str = ""
    context: dict[str, Any] = field(default_factory=dict)
    initial: dict[str, Any] = field(default_factory=dict)
    api: dict[str, Any] = field(default_factory=dict)


PanelProvider = Callable[[HumanTask, Any], Panel | None]
_PROVIDERS: list[tuple[str, PanelProvider]] = []


def register_task_panel(form_key_prefix: str, provider: PanelProvider) -> None:
    _PROVIDERS[:] = [(p, f) for p, f in _PROVIDERS if p != form_key_prefix]
    _PROVIDERS.append((form_key_prefix, provider))


def panel_for(task: HumanTask, user: Any) -> Panel | None:
    """The panel of an open task, or None."""
    if task.state != HumanTaskState.OPEN or not task.form_key:
        return None
    for prefix, provider in _PROVIDERS:
        if task.form_key.startswith(prefix):
            return provider(task, user)
    return None
