"""Task panels: what a product module adds to a task page and to the API's task detail.

A provider is registered for the form keys starting with a prefix and is called as
`provider(task, instance, user)` for an open task. It returns a dict (any key optional):

- "template" and "context": a template rendered above the task's form;
- "initial": values put into the form. On the first display they fill the form; when
  the page is shown again after a refused submission (400, 409) the user's posted values
  win, except for the form's hidden fields (ui widget "hidden"): nobody types those, they
  echo what the server computed for the page (e.g. the holder a verifier sees), so the
  fresh value replaces the stale one and the verifier can send the form again;
- "api": keys added at the top level of `GET /api/v1/tasks/<id>/` (and also kept
  together under "panel").

The provider may also return a `Panel` or None (no panel for this task).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from engine.models import HumanTask, HumanTaskState


@dataclass
class Panel:
    template: str = ""
    context: dict[str, Any] = field(default_factory=dict)
    initial: dict[str, Any] = field(default_factory=dict)
    api: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def of(cls, value: Panel | Mapping[str, Any] | None) -> Panel | None:
        if value is None or isinstance(value, Panel):
            return value
        return cls(template=str(value.get("template") or ""), context=dict(value.get("context") or {}),
                   initial=dict(value.get("initial") or {}), api=dict(value.get("api") or {}))


PanelProvider = Callable[[HumanTask, Any, Any], "Panel | Mapping[str, Any] | None"]
_PROVIDERS: list[tuple[str, PanelProvider]] = []


def register_task_panel(form_key_prefix: str, provider: PanelProvider) -> None:
    """Register (or replace) the provider for form keys starting with `form_key_prefix`.
    The longest matching prefix wins."""
    _PROVIDERS[:] = [(p, f) for p, f in _PROVIDERS if p != form_key_prefix]
    _PROVIDERS.append((form_key_prefix, provider))
    _PROVIDERS.sort(key=lambda row: -len(row[0]))


def panel_for(task: HumanTask, user: Any) -> Panel | None:
    """The panel of an open task, or None."""
    if task.state != HumanTaskState.OPEN or not task.form_key:
        return None
    for prefix, provider in _PROVIDERS:
        if task.form_key.startswith(prefix):
            return Panel.of(provider(task, task.instance, user))
    return None


def merge_initial(data: dict[str, Any], panel: Panel | None, *, posted: set[str] | None,
                  hidden: set[str]) -> dict[str, Any]:
    """The form values with the panel's `initial` merged in. `posted`: None on a first
    display (the initial values fill the form); after a refused submission, the top-level
    field names the user posted: those keep what was posted, except the `hidden` fields,
    which always take the fresh value."""
    if panel is None or not panel.initial:
        return data
    merged = dict(data)
    for key, value in panel.initial.items():
        if posted is None or key in hidden or key not in posted:
            merged[key] = value
    return merged


def posted_fields(post: Any) -> set[str]:
    """Top-level field names of a schema form POST (nested fields come as dotted names)."""
    return {name.split(".", 1)[0] for name in post}


def hidden_fields(form: Any) -> set[str]:
    """Top-level fields a form's ui.json renders as hidden inputs."""
    fields = (getattr(form, "ui", None) or {}).get("fields") or {}
    return {name for name, spec in fields.items()
            if "." not in name and isinstance(spec, dict) and spec.get("widget") == "hidden"}
