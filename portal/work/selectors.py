"""Reads for the inbox and the case pages, shared by the pages and the API."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any, cast

from django.db.models import Count, Exists, F, OuterRef, Prefetch, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from engine.models import AuditAction, AuditEvent, HumanTask, HumanTaskState, Incident, ProcessInstance
from portal.orgs.access import Scope
from portal.orgs.models import OrgUnit, Position
from portal.schemaforms.loader import FormError, load_form
from portal.schemaforms.models import Document

from . import access
from .models import CaseCorrection, CaseDocument

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

DUE_FILTERS = ("overdue", "today", "week", "none", "escalated")


def inbox(scope: Scope, *, process: str = "", unit: str = "", due: str = "",
          held: bool | None = None, instance: int | None = None) -> QuerySet[HumanTask]:
    """Open tasks the user may work, overdue first (earliest due date first, tasks
    without a due date last), then oldest first. `held`: True = claimed by me,
    False = unclaimed, None = both; `instance`: only that case's."""
    qs = access.workable_tasks(scope)
    if instance is not None:
        qs = qs.filter(instance_id=instance)
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
    if due == "escalated":
        return qs.filter(escalated_at__isnull=False)
    return qs


def supervision(scope: Scope, *, process: str = "", due: str = "") -> QuerySet[HumanTask]:
    """Open tasks of the user's remit that they may see but not work (read-only), in the
    inbox's order."""
    if not scope.supervises:
        return HumanTask.objects.none()
    qs = access.visible_tasks(scope).filter(state=HumanTaskState.OPEN).exclude(access.workable_q(scope))
    if process:
        qs = qs.filter(process_key=process)
    return _due(qs, due).select_related("instance", "claimed_by").order_by(F("due_at").asc(nulls_last=True), "pk")


def inbox_counts(scope: Scope) -> list[dict[str, Any]]:
    """Open workable tasks per process: [{"process_key", "n"}], largest first."""
    rows = access.workable_tasks(scope).values("process_key").annotate(n=Count("*")).order_by("-n", "process_key")
    # Plain dicts the caller may add keys to; the stubs type values() rows as a TypedDict.
    return cast("list[dict[str, Any]]", list(rows))


def instance_timeline(instance: ProcessInstance) -> QuerySet[AuditEvent]:
    return AuditEvent.objects.filter(instance=instance).select_related("actor").order_by("created_at", "pk")


def my_instances(user) -> QuerySet[ProcessInstance]:
    return ProcessInstance.objects.filter(started_by=user).select_related("definition").order_by("-started_at")


# How a case ended, in words: a service step whose result carries "estado" records it
# (the alta/baja procedures: accounts.informar). Apps add their labels with
# register_outcome_labels in their ready().
OUTCOME_LABELS: dict[str, StrOrPromise] = {}
REJECTED = "rechazada"


def register_outcome_labels(labels: dict[str, Any]) -> None:
    """Name the outcome codes an app's processes record (code → Spanish label)."""
    OUTCOME_LABELS.update(labels)


def startable_keys() -> set[str]:
    """The keys of the processes deployed now (their latest versions can be started)."""
    return set(access.latest_definitions().values_list("key", flat=True))


def outcomes(instance_ids: list[int]) -> dict[int, str]:
    """instance id → the last recorded outcome code ("rechazada", "creada"...)."""
    if not instance_ids:
        return {}
    rows = (AuditEvent.objects.filter(instance_id__in=instance_ids, action=AuditAction.SERVICE_CALL,
                                      data__result__estado__isnull=False)
            .order_by("pk").values_list("instance_id", "data"))
    found: dict[int, str] = {}
    for instance_id, data in rows:
        result = (data or {}).get("result")
        if isinstance(result, dict) and isinstance(result.get("estado"), str):
            found[instance_id] = result["estado"]
    return found


def outcome_label(code: str) -> StrOrPromise:
    return OUTCOME_LABELS.get(code, code.replace("_", " ").capitalize()) if code else ""


def failed_items(instance: ProcessInstance) -> list[dict[str, str]]:
    """The requirements a verifier marked «no cumple», with the observations, from the
    last completed task whose form has a checklist (`req_*` items)."""
    events = (AuditEvent.objects.filter(instance=instance, action=AuditAction.COMPLETE).order_by("-pk")
              .values_list("data", "task_id"))
    for data, task_id in events:
        values = (data or {}).get("data") or {}
        items = {k: v for k, v in values.items() if k.startswith("req_") and isinstance(v, dict)}
        if not items:
            continue
        form_key = (HumanTask.objects.filter(instance=instance, task_id=task_id)
                    .values_list("form_key", flat=True).first() or "") if task_id is not None else ""
        titles = {}
        if form_key:
            try:
                titles = {k: v.get("title", k) for k, v in load_form(form_key).schema.get("properties", {}).items()}
            except FormError:
                titles = {}
        failed = [{"requisito": titles.get(k, k), "observacion": str(v.get("observacion") or "")}
                  for k, v in items.items() if v.get("cumple") == "no"]
        general = str(values.get("observacion_general") or "")
        if general:
            failed.append({"requisito": str(_("Observación general")), "observacion": general})
        return failed
    return []


def corrections(instance: ProcessInstance) -> dict[str, Any]:
    """The case this one corrects (start data `corrige_a`) and the newer cases that
    correct it, as ids."""
    corrects = (CaseCorrection.objects.filter(correction=instance, corrected__started_by_id=instance.started_by_id)
                .values_list("corrected_id", flat=True).first())
    newer = corrected_by(instance.pk, user_id=instance.started_by_id, key=instance.definition.key)
    return {"corrige_a": corrects, "corregida_por": newer}


def corrected_by(instance_pk: Any, *, user_id: int | None, key: str) -> list[int]:
    """The newer case of the same requester and process that corrects case `instance_pk`
    (a CaseCorrection row: one at most), as a list. Narrowed to that requester's cases:
    a link no one else can make."""
    if user_id is None or isinstance(instance_pk, bool) or not isinstance(instance_pk, int):
        return []
    return list(CaseCorrection.objects.filter(
        corrected_id=instance_pk, correction__started_by_id=user_id, correction__definition__key=key)
        .values_list("correction_id", flat=True).order_by("correction_id"))


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


def admin_instances(scope: Scope, *, status: str = "", process: str = "", unit: str = "",
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


def open_tasks_by_instance(instance_ids: list[int]) -> dict[int, list[HumanTask]]:
    """instance id → its open tasks, oldest first (one query for a page of instances)."""
    steps: dict[int, list[HumanTask]] = {}
    for task in HumanTask.objects.filter(instance_id__in=instance_ids, state=HumanTaskState.OPEN).order_by("pk"):
        steps.setdefault(task.instance_id, []).append(task)
    return steps


def open_incident_by_instance(instance_ids: list[int]) -> dict[int, Incident]:
    """instance id → its oldest unresolved incident."""
    incidents: dict[int, Incident] = {}
    for incident in Incident.objects.filter(instance_id__in=instance_ids, resolved_at__isnull=True).order_by("pk"):
        incidents.setdefault(incident.instance_id, incident)
    return incidents


def open_incidents(*, limit: int = 20) -> tuple[list[Incident], int]:
    """The newest unresolved incidents (for the administration page) and how many there are."""
    pending = Incident.objects.filter(resolved_at__isnull=True)
    return list(pending.select_related("instance__definition").order_by("-created_at")[:limit]), pending.count()


def instance_open_incidents(instance: ProcessInstance) -> list[Incident]:
    return list(instance.incidents.filter(resolved_at__isnull=True).order_by("pk"))


def case_documents(instance: ProcessInstance) -> list[Document]:
    """The documents attached to a case through its forms' document fields, oldest first."""
    linked = CaseDocument.objects.filter(instance=instance).values("document_id")
    return list(Document.objects.filter(pk__in=Subquery(linked)).order_by("created_at"))


def own_rejected_case(scope: Scope, instance_pk: Any, *, key: str) -> ProcessInstance | None:
    """The user's own rejected case of process `key` that they may correct, or None."""
    try:
        pk = int(instance_pk)
    except (TypeError, ValueError):
        return None
    old = ProcessInstance.objects.select_related("definition").filter(
        pk=pk, started_by=scope.user, definition__key=key).first()
    if old is None or not access.may_correct(scope, old, rejected=outcomes([old.pk]).get(old.pk) == REJECTED,
                                             corrected=bool(corrected_by(old.pk, user_id=old.started_by_id, key=key))):
        return None
    return old


def incident_instance_id(incident_id: int | None) -> int | None:
    """The instance an incident belongs to (a failed step names only its incident)."""
    if incident_id is None:
        return None
    return Incident.objects.filter(pk=incident_id).values_list("instance_id", flat=True).first()


def process_names(keys: set[str] | None = None) -> dict[str, str]:
    """{process key: name} of the latest deployed versions (all, or only `keys`)."""
    definitions = access.latest_definitions()
    if keys is not None:
        definitions = definitions.filter(key__in=keys)
    return {key: name or key for key, name in definitions.values_list("key", "name")}


def with_open_tasks(queryset: QuerySet[ProcessInstance]) -> QuerySet[ProcessInstance]:
    """Instances with their definition and their open tasks prefetched (`open_tasks`)."""
    open_tasks = HumanTask.objects.filter(state=HumanTaskState.OPEN).order_by("pk")
    return queryset.select_related("definition").prefetch_related(
        Prefetch("human_tasks", queryset=open_tasks, to_attr="open_tasks"))


def with_open_incident_count(queryset: QuerySet[ProcessInstance]) -> QuerySet[ProcessInstance]:
    return queryset.annotate(open_incidents=Count("incidents", filter=Q(incidents__resolved_at__isnull=True)))


def unheld_tasks(*, limit: int = 50) -> tuple[list[HumanTask], int]:
    """Open tasks nobody can work now: nobody holds their (role, unit) — of their nivel,
    if they have one — but the person they are barred to (a baja left the post empty, the
    diagram routes to a post never filled, the only verifier filed the case). Oldest
    first, with how many there are."""
    holders = (Position.objects.filter(role_id=OuterRef("role"), unit__code=OuterRef("unit"), until__isnull=True)
               .exclude(user_id=Coalesce(OuterRef("barred_user_id"), Value(0))))
    held = (Q(nivel="") & Exists(holders)) | Exists(holders.filter(nivel=OuterRef("nivel")))
    pending = HumanTask.objects.filter(state=HumanTaskState.OPEN).exclude(held)
    rows = list(pending.select_related("instance__definition").order_by("created_at", "pk")[:limit])
    return rows, pending.count()
