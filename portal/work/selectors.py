"""Reads for the inbox and the case pages, shared by the pages and the API."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db.models import Count, F, QuerySet, Subquery
from django.utils import timezone

from engine.models import AuditAction, AuditEvent, HumanTask, HumanTaskState, ProcessInstance
from portal.core.models import log_activity
from portal.orgs.models import OrgUnit

from . import access

DUE_FILTERS = ("overdue", "today", "week", "none")


def inbox(scope: access.Scope, *, process: str = "", unit: str = "", due: str = "",
          held: bool | None = None) -> QuerySet[HumanTask]:
    """Open tasks the user may work, overdue first (earliest due date first, tasks
    without a due date last), then oldest first. `held`: True = claimed by me,
    False = unclaimed, None = both."""
    qs = access.workable_tasks(scope)
    if process:
        qs = qs.filter(process_key=process)
    if unit:
        qs = qs.filter(unit=unit)
    qs = _due(qs, due)
    if held is True:
        qs = qs.filter(claimed_by=scope.user)
    elif held is False:
        qs = qs.filter(claimed_by__isnull=True)
    return qs.select_related("instance__definition", "claimed_by").order_by(
        F("due_at").asc(nulls_last=True), "pk")


def _due(qs: QuerySet[HumanTask], due: str) -> QuerySet[HumanTask]:
    now = timezone.now()
    if due == "overdue":
        return qs.filter(due_at__lt=now)
    if due == "today":
        return qs.filter(due_at__lt=timezone.localtime(now).replace(hour=23, minute=59, second=59))
    if due == "week":
        return qs.filter(due_at__lt=now + timedelta(days=7))
    if due == "none":
        return qs.filter(due_at__isnull=True)
    return qs


def supervision(scope: access.Scope, *, process: str = "", due: str = "") -> QuerySet[HumanTask]:
    """Open tasks of the user's remit that they may see but not work (read-only), in the
    inbox's order."""
    if not (scope.subtree_paths or scope.sees_everything):
        return HumanTask.objects.none()
    qs = access.visible_tasks(scope).filter(state=HumanTaskState.OPEN).exclude(access.pairs_q(scope.pairs))
    if process:
        qs = qs.filter(process_key=process)
    return _due(qs, due).select_related("instance", "claimed_by").order_by(F("due_at").asc(nulls_last=True), "pk")


def inbox_counts(scope: access.Scope) -> list[dict]:
    """Open workable tasks per process: [{"process_key", "n"}], largest first."""
    return list(
        access.workable_tasks(scope).values("process_key").annotate(n=Count("*")).order_by("-n", "process_key")
    )


def instance_timeline(instance: ProcessInstance) -> QuerySet[AuditEvent]:
    return AuditEvent.objects.filter(instance=instance).select_related("actor").order_by("created_at", "pk")


def my_instances(user) -> QuerySet[ProcessInstance]:
    return ProcessInstance.objects.filter(started_by=user).select_related("definition").order_by("-started_at")


def start_data(instance: ProcessInstance) -> dict[str, Any]:
    """The values of the start form, as the audit trail recorded them."""
    event = (AuditEvent.objects.filter(instance=instance, action=AuditAction.START)
             .order_by("pk").only("data").first())
    return dict((event.data or {}).get("data") or {}) if event else {}


def completed_data(task: HumanTask) -> dict[str, Any]:
    """The values submitted when `task` was completed."""
    event = (AuditEvent.objects.filter(instance_id=task.instance_id, task_id=task.task_id,
                                       action=AuditAction.COMPLETE).order_by("-pk").only("data").first())
    return dict((event.data or {}).get("data") or {}) if event else {}


def record_case_read(user, instance: ProcessInstance, *, via: str) -> None:
    """Ley 29733: who read a case file with personal data, when, and through what."""
    log_activity(actor=user, action="case_viewed", obj=instance, unit=instance.org_unit, data={"via": via})


def admin_instances(scope: access.Scope, *, status: str = "", process: str = "", unit: str = "",
                    since=None, until=None) -> QuerySet[ProcessInstance]:
    """Instances for the administration list, newest first: `unit` includes the units
    below it; `since`/`until` are dates the instance started between (inclusive)."""
    qs = access.visible_instances(scope).select_related("definition", "started_by")
    if status:
        qs = qs.filter(status=status)
    if process:
        qs = qs.filter(definition__key=process)
    if unit:
        path = OrgUnit.objects.filter(code=unit).values_list("path", flat=True).first()
        qs = (qs.filter(org_unit__in=Subquery(OrgUnit.objects.filter(path__startswith=path).values("code")))
              if path else qs.filter(org_unit=unit))
    if since:
        qs = qs.filter(started_at__date__gte=since)
    if until:
        qs = qs.filter(started_at__date__lte=until)
    return qs.order_by("-started_at", "-pk")
