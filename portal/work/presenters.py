"""What the work pages show beside the records: names, badges, flags and rendered forms.

Presenters decorate a page of rows already read by the selectors (a fixed number of
queries per page, never one per row) and render schema forms; they decide nothing
about access and write nothing.
"""

from __future__ import annotations

import logging
from typing import Any

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from engine.models import HumanTask, InstanceStatus, ProcessInstance
from portal.orgs.access import Scope
from portal.orgs.roles import role_name
from portal.orgs.selectors import unit_names
from portal.schemaforms.loader import FormDefinition, FormError, load_form
from portal.schemaforms.rendering import render_form

from . import selectors, timeline
from .forms import InstanceAction

logger = logging.getLogger(__name__)

STATUS_BADGES: dict[str, str] = {
    InstanceStatus.RUNNING: "text-bg-primary",
    InstanceStatus.WAITING: "text-bg-info",
    InstanceStatus.COMPLETED: "text-bg-success",
    InstanceStatus.CANCELLED: "text-bg-secondary",
    InstanceStatus.SUSPENDED: "text-bg-warning",
    InstanceStatus.INCIDENT: "text-bg-danger",
}


def decorate_tasks(tasks: list[HumanTask], *, names: dict[str, str] | None = None) -> list[HumanTask]:
    """Attach what the rows show (names, overdue flag) without one query per row."""
    names = names if names is not None else selectors.process_names()
    units = unit_names(t.unit for t in tasks)
    now = timezone.now()
    today_end = timezone.localtime(now).replace(hour=23, minute=59, second=59)
    # URLs built once per page, not three reverse() calls per row in the template.
    page_url, claim_url, unclaim_url = (reverse(name, args=[0]).rsplit("/0/", 1) for name in (
        "work:task", "work:claim", "work:unclaim"))
    for task in tasks:
        task.url = f"{page_url[0]}/{task.pk}/{page_url[1]}"  # type: ignore[attr-defined]
        task.claim_url = f"{claim_url[0]}/{task.pk}/{claim_url[1]}"  # type: ignore[attr-defined]
        task.unclaim_url = f"{unclaim_url[0]}/{task.pk}/{unclaim_url[1]}"  # type: ignore[attr-defined]
        task.process_name = names.get(task.process_key, task.process_key)  # type: ignore[attr-defined]
        task.unit_name = units.get(task.unit, task.unit)  # type: ignore[attr-defined]
        task.role_name = role_name(task.role)  # type: ignore[attr-defined]
        task.overdue = bool(task.due_at and task.due_at < now)  # type: ignore[attr-defined]
        task.due_today = bool(task.due_at and not task.overdue and task.due_at <= today_end)  # type: ignore[attr-defined]
    return tasks


def decorate_instances(instances: list[ProcessInstance]) -> list[ProcessInstance]:
    """Status badge, unit name and current steps of a page of instances (3 queries)."""
    ids = [i.pk for i in instances]
    steps = selectors.open_tasks_by_instance(ids)
    incidents = selectors.open_incident_by_instance(ids)
    units = unit_names([i.org_unit for i in instances] + [t.unit for ts in steps.values() for t in ts])
    for inst in instances:
        inst.badge = STATUS_BADGES.get(inst.status, "text-bg-light")  # type: ignore[attr-defined]
        inst.unit_name = units.get(inst.org_unit, inst.org_unit)  # type: ignore[attr-defined]
        inst.open_steps = [  # type: ignore[attr-defined]
            {"title": t.title, "office": timeline.office_label(t.role, units.get(t.unit, t.unit))}
            for t in steps.get(inst.pk, [])
        ]
        inst.open_incident = incidents.get(inst.pk)  # type: ignore[attr-defined]
    return instances


def my_units(scope: Scope) -> list[tuple[str, str]]:
    seen: dict[str, str] = {}
    for position in scope.positions:
        seen.setdefault(position.unit.code, position.unit.name)
    return sorted(seen.items(), key=lambda item: item[1])


def nav_flags(scope: Scope) -> dict[str, bool]:
    return {"supervises": scope.supervises, "admin": scope.admin}


def available_actions(instance: ProcessInstance) -> list[tuple[str, str]]:
    """The administrator's actions that fit the instance's status, with their labels."""
    status = instance.status
    actions = []
    if status == InstanceStatus.INCIDENT:
        actions.append(InstanceAction.RETRY)
    if status in (InstanceStatus.RUNNING, InstanceStatus.WAITING, InstanceStatus.INCIDENT):
        actions.append(InstanceAction.SUSPEND)
    if status == InstanceStatus.SUSPENDED:
        actions.append(InstanceAction.RESUME)
    if status not in (InstanceStatus.COMPLETED, InstanceStatus.CANCELLED):
        actions.append(InstanceAction.CANCEL)
    return [(a, str(InstanceAction.LABELS[a])) for a in actions]


def load_page_form(form_key: str) -> tuple[FormDefinition | None, str]:
    """(form definition or None, Spanish problem or "") for a page to show."""
    if not form_key:
        return None, ""
    try:
        return load_form(form_key), ""
    except FormError:
        logger.exception("form %s could not be loaded", form_key)
        return None, _("El formulario de este paso no está disponible. Avise al administrador del sistema.")


def form_html(form: FormDefinition, data: dict[str, Any] | None, errors: dict[str, Any] | None, *, disabled: bool,
              prefix: str = "", user: Any = None, instance: ProcessInstance | None = None) -> str:
    """The schema form as HTML; documents of `instance` link to the case's download."""

    def document_url(document: Any) -> str:
        return reverse("work:instance_document", args=[instance.pk, document.pk]) if instance else ""

    return render_form(form, data=data or None, errors=errors or None, disabled=disabled, prefix=prefix,
                       user=user, document_url=document_url if instance is not None else None)
