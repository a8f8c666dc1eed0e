"""Reads of the accounts procedures that pages and services share."""

from __future__ import annotations

from typing import Any

from engine.models import HumanTask, ProcessDefinition


def open_task_data(task: HumanTask) -> dict[str, Any]:
    """The data an open task carries (the case so far), read from the stored workflow:
    task rows keep no data, and the hand-over step needs what the alta produced."""
    from engine.runtime import load_workflow, loaded_spec
    from engine.serialization import all_tasks

    instance = task.instance
    wf = load_workflow(instance, loaded_spec(instance))
    found = next((t for t in all_tasks(wf) if t.id == task.task_id), None)
    return dict(found.data) if found is not None else {}


def cargo_ie_title(definition: ProcessDefinition, value: str) -> str:
    """The title the start form gives a `cargo_ie` value ("docente" → "Docente")."""
    if not value:
        return ""
    from portal.schemaforms.loader import FormError, load_form

    try:
        field = load_form(definition.start_form_key).schema.get("properties", {}).get("cargo_ie") or {}
    except FormError:
        return value
    return next((str(o.get("title") or value) for o in field.get("oneOf") or [] if o.get("const") == value), value)
