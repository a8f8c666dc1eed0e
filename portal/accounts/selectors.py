"""Reads of the accounts procedures that pages and services share."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.utils.encoding import force_str
from django.utils.http import urlsafe_base64_decode

from engine import services as engine
from engine.models import AuditAction, AuditEvent, HumanTask, ProcessDefinition
from portal.schemaforms.loader import FormError, load_form


def open_task_data(task: HumanTask) -> dict[str, Any]:
    """The data an open task carries (the case so far), read from the stored workflow:
    task rows keep no data, and the hand-over step needs what the alta produced."""
    return engine.task_data(task=task)


ALTA_OPERATORS = ("accounts.alta", "cuentas.alta")  # the name cases started before issue 10 call


def alta_record(instance_id: int) -> dict[str, Any] | None:
    """What the case's `accounts.alta` step did, as the engine's audit recorded it when the
    step committed: `params` (the person, role and unit it was given) and `result` (the
    account and position it created). Unlike the case data, no later form can change it.
    None when the case has no alta step (yet)."""
    event = (AuditEvent.objects.filter(instance_id=instance_id, action=AuditAction.SERVICE_CALL,
                                       data__operator__in=ALTA_OPERATORS)
             .order_by("-created_at", "-pk").first())
    if event is None or not isinstance(event.data.get("result"), dict):
        return None
    return {"params": dict(event.data.get("params") or {}), "result": dict(event.data["result"])}


def cargo_ie_title(definition: ProcessDefinition, value: str) -> str:
    """The title the start form gives a `cargo_ie` value ("docente" → "Docente")."""
    if not value:
        return ""

    try:
        field = load_form(definition.start_form_key).schema.get("properties", {}).get("cargo_ie") or {}
    except FormError:
        return value
    return next((str(o.get("title") or value) for o in field.get("oneOf") or [] if o.get("const") == value), value)


def user_from_uid(uidb64: str) -> Any:
    """The account an activation link names (its base64 user id), or None."""
    try:
        pk = int(force_str(urlsafe_base64_decode(uidb64)))
    except (TypeError, ValueError, OverflowError):
        return None
    return get_user_model()._default_manager.filter(pk=pk).first()
