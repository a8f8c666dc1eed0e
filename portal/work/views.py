"""Officer pages: inbox, task, start, case file, my requests, instance administration.

Views are thin: `access` decides who sees what (NotVisible → 404, NotAllowed → 403),
`services` writes, `selectors` and `timeline` read. Every write answers a plain POST with
a redirect, so the pages work without JavaScript; htmx requests get partials instead.
"""

from __future__ import annotations

import json
import logging
import re
import uuid
from collections.abc import Callable, Iterable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from engine.errors import ConflictError, EngineError, StepFailed
from engine.models import (
    AuditAction,
    AuditEvent,
    HumanTask,
    HumanTaskState,
    Incident,
    InstanceStatus,
    ProcessInstance,
)
from portal.core.models import log_activity
from portal.orgs.models import OrgUnit
from portal.orgs.roles import role_name

from . import access, panels, selectors, services, timeline
from .forms import (
    AdminInstanceFilterForm,
    InboxFilterForm,
    InstanceAction,
    InstanceActionForm,
    SupervisionFilterForm,
)

logger = logging.getLogger(__name__)

PER_PAGE = 25
VERSION_FIELD = "_version"
POSITION_FIELD = "_cargo"
SUBMISSION_FIELD = "_envio"  # start-form token: a resent form does not start a second case
STATUS_BADGES = {
    InstanceStatus.RUNNING: "text-bg-primary",
    InstanceStatus.WAITING: "text-bg-info",
    InstanceStatus.COMPLETED: "text-bg-success",
    InstanceStatus.CANCELLED: "text-bg-secondary",
    InstanceStatus.SUSPENDED: "text-bg-warning",
    InstanceStatus.INCIDENT: "text-bg-danger",
}
UUID_RE = re.compile(r"^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$")


# --- Plumbing --------------------------------------------------------------------------


def officer_view(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Login required; the user's access scope is passed in (and kept on the request for
    the navigation menu); NotVisible answers 404 and NotAllowed 403, both in Spanish."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        scope = access.scope_for(request.user)
        request.work_scope = scope  # type: ignore[attr-defined]
        try:
            return view(request, scope, *args, **kwargs)
        except access.NotVisible:
            return render(request, "work/404.html", status=404)
        except access.NotAllowed as exc:
            return render(request, "work/403.html", {"reason": str(exc)}, status=403)

    return wrapper


def _is_htmx(request: HttpRequest) -> bool:
    return bool(getattr(request, "htmx", False)) or request.headers.get("HX-Request") == "true"


def safe_next(request: HttpRequest, default: str) -> str:
    """The `next` URL of a form if it points into this site, else `default`."""
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(candidate, allowed_hosts={request.get_host()},
                                                     require_https=request.is_secure()):
        return candidate
    return default


def paginate(request: HttpRequest, items: Any, param: str = "pagina", per_page: int = PER_PAGE) -> dict[str, Any]:
    """A page of `items` and the links to its neighbours, keeping the other GET filters."""
    page = Paginator(items, per_page).get_page(request.GET.get(param))

    def link(number: int) -> str:
        query = request.GET.copy()
        query[param] = str(number)
        return "?" + query.urlencode()

    return {
        "page": page,
        "items": list(page.object_list),
        "prev_url": link(page.previous_page_number()) if page.has_previous() else "",
        "next_url": link(page.next_page_number()) if page.has_next() else "",
    }


def process_names() -> dict[str, str]:
    return {key: name or key for key, name in access.latest_definitions().values_list("key", "name")}


def unit_names(codes: Iterable[str]) -> dict[str, str]:
    codes = {c for c in codes if c}
    if not codes:
        return {}
    return dict(OrgUnit.objects.filter(code__in=codes).values_list("code", "name"))


def decorate_tasks(tasks: list[HumanTask], *, names: dict[str, str] | None = None) -> list[HumanTask]:
    """Attach what the rows show (names, overdue flag) without one query per row."""
    names = names if names is not None else process_names()
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
    steps: dict[int, list[HumanTask]] = {}
    for task in HumanTask.objects.filter(instance_id__in=ids, state=HumanTaskState.OPEN).order_by("pk"):
        steps.setdefault(task.instance_id, []).append(task)
    incidents: dict[int, Incident] = {}
    for incident in Incident.objects.filter(instance_id__in=ids, resolved_at__isnull=True).order_by("pk"):
        incidents.setdefault(incident.instance_id, incident)
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


def my_units(scope: access.Scope) -> list[tuple[str, str]]:
    seen: dict[str, str] = {}
    for position in scope.positions:
        seen.setdefault(position.unit.code, position.unit.name)
    return sorted(seen.items(), key=lambda item: item[1])


# --- Navigation ------------------------------------------------------------------------


def nav_flags(scope: access.Scope) -> dict[str, bool]:
    return {"supervises": bool(scope.subtree_paths or scope.sees_everything), "admin": scope.admin}


# --- Inbox -----------------------------------------------------------------------------


@officer_view
def inbox(request: HttpRequest, scope: access.Scope) -> HttpResponse:
    names = process_names()
    counts = selectors.inbox_counts(scope)
    for row in counts:
        row["name"] = names.get(row["process_key"], row["process_key"])
    form = InboxFilterForm(
        request.GET or None,
        processes=[(row["process_key"], row["name"]) for row in counts],
        units=my_units(scope),
    )
    filters = form.filters()
    held = paginate(request, selectors.inbox(scope, held=True, **filters), "pagina_tengo")
    free = paginate(request, selectors.inbox(scope, held=False, **filters), "pagina")
    decorate_tasks(held["items"], names=names)
    decorate_tasks(free["items"], names=names)
    return render(request, "work/inbox.html", {
        "form": form,
        "filters": filters,
        "filtered": any(filters.values()),
        "counts": counts,
        "total": sum(row["n"] for row in counts),
        "held": held,
        "free": free,
        "return_to": request.get_full_path(),
        "has_positions": bool(scope.positions),
        **nav_flags(scope),
    })


@officer_view
def supervision(request: HttpRequest, scope: access.Scope) -> HttpResponse:
    """Open tasks of the user's remit that they may see but not work: read-only."""
    names = process_names()
    form = SupervisionFilterForm(request.GET or None, processes=sorted(names.items(), key=lambda kv: kv[1]))
    filters = form.filters()
    supervises = bool(scope.subtree_paths or scope.sees_everything)
    qs = selectors.supervision(scope, process=filters["process"], due=filters["due"])
    tasks = paginate(request, qs)
    decorate_tasks(tasks["items"], names=names)
    return render(request, "work/supervision.html", {
        "form": form, "tasks": tasks, "supervises": supervises, **nav_flags(scope),
    })


def _row_response(request: HttpRequest, task: HumanTask, *, message: str, ok: bool) -> HttpResponse:
    decorate_tasks([task])
    response = render(request, "work/_task_row.html", {
        "task": task, "row_message": message, "row_ok": ok,
        "return_to": safe_next(request, reverse("work:inbox")),
    })
    response["HX-Trigger"] = json.dumps({"avisoBandeja": message})
    return response


def _claim_action(request: HttpRequest, scope: access.Scope, pk: int, *, release: bool) -> HttpResponse:
    try:
        if release:
            task = services.task_unclaim(user=request.user, task_pk=pk)
            message, ok = _("Liberó la tarea «%(title)s».") % {"title": task.title}, True
        else:
            task = services.task_claim(user=request.user, task_pk=pk)
            message, ok = _("Tomó la tarea «%(title)s».") % {"title": task.title}, True
    except ConflictError as exc:
        task = access.task_for_view(scope, pk)
        message, ok = str(exc), False
    if _is_htmx(request):
        task = access.task_for_view(scope, pk)  # fresh, with its relations
        return _row_response(request, task, message=message, ok=ok)
    (messages.success if ok else messages.error)(request, message)
    return redirect(safe_next(request, reverse("work:inbox")))


@require_POST
@officer_view
def task_claim(request: HttpRequest, scope: access.Scope, pk: int) -> HttpResponse:
    return _claim_action(request, scope, pk, release=False)


@require_POST
@officer_view
def task_unclaim(request: HttpRequest, scope: access.Scope, pk: int) -> HttpResponse:
    return _claim_action(request, scope, pk, release=True)


# --- Forms (JSON Schema) ---------------------------------------------------------------


def _load(form_key: str) -> tuple[Any, str]:
    """(form definition or None, Spanish problem or "")."""
    if not form_key:
        return None, ""
    from portal.schemaforms.loader import FormError, load_form

    try:
        return load_form(form_key), ""
    except FormError:
        logger.exception("form %s could not be loaded", form_key)
        return None, _("El formulario de este paso no está disponible. Avise al administrador del sistema.")


def _render(form: Any, data: dict | None, errors: dict | None, *, disabled: bool, prefix: str = "",
            user: Any = None, instance: ProcessInstance | None = None) -> str:
    from portal.schemaforms.rendering import render_form

    def document_url(document: Any) -> str:
        return reverse("work:instance_document", args=[instance.pk, document.pk]) if instance else ""

    return render_form(form, data=data or None, errors=errors or None, disabled=disabled, prefix=prefix,
                       user=user, document_url=document_url if instance is not None else None)


def _read_post(request: HttpRequest, form: Any) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """Typed values and field errors (uploads stored and checked) of a schema form POST."""
    if form is None:
        return {}, {}
    from portal.schemaforms.validation import validate_post

    return validate_post(form, request.POST, request.FILES, user=request.user)


# --- Task page -------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@officer_view
def task_page(request: HttpRequest, scope: access.Scope, pk: int) -> HttpResponse:
    task = access.task_for_view(scope, pk)
    if request.method == "POST":
        access.task_for_work(scope, pk)  # 403 for supervisors: they only read
    else:
        selectors.record_case_read(request.user, task.instance, via="page:task")
    form, form_problem = _load(task.form_key)
    data: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    conflict = ""
    status = 200
    if request.method == "POST" and not form_problem:
        data, errors = _read_post(request, form)
        version = _int_or_none(request.POST.get(VERSION_FIELD))
        if errors and access.can_act(scope, task):
            status = 400
        else:
            # Not workable any more: the service answers with the conflict, whatever was typed.
            errors = {}
            try:
                services.task_complete(user=request.user, task_pk=task.pk, data=data, expected_version=version)
            except services.FormInvalid as exc:
                errors, status = exc.errors, 400
            except ConflictError as exc:
                conflict, status = str(exc), 409
            except StepFailed:
                messages.warning(request, _(
                    "Su respuesta quedó registrada, pero un paso automático posterior falló. "
                    "El equipo de soporte fue alertado y lo reintentará; no necesita volver a enviarla."))
                return redirect("work:instance", pk=task.instance_id)
            except EngineError as exc:
                conflict, status = str(exc), 409
            else:
                messages.success(request, _("Tarea completada"))
                return redirect("work:inbox")
        task = access.task_for_view(scope, pk)  # the state after the attempt
    elif task.state == HumanTaskState.COMPLETED:
        data = selectors.completed_data(task)

    instance = task.instance
    instance.refresh_from_db(fields=["status", "lock_version"])
    workable = access.can_act(scope, task)
    panel = panels.panel_for(task, request.user) if task.state == HumanTaskState.OPEN else None
    if panel is not None and workable:
        posted = (panels.posted_fields(request.POST) | panels.posted_fields(request.FILES)
                  if request.method == "POST" else None)
        data = panels.merge_initial(data, panel, posted=posted, hidden=panels.hidden_fields(form))
    staff = scope.is_staff
    decorate_tasks([task])
    entries = timeline.build(instance, staff=staff)
    start_form, _problem = _load(instance.definition.start_form_key)
    start_html = ""
    if start_form is not None and task.state == HumanTaskState.OPEN:
        start_html = _render(start_form, selectors.start_data(instance), None, disabled=True, prefix="solicitud-",
                             instance=instance)
    context = {
        "task": task,
        "instance": instance,
        "unit_name": unit_names([instance.org_unit]).get(instance.org_unit, instance.org_unit),
        "started_by_office": next((e.who for e in entries if e.action == AuditAction.START), ""),
        "entries": entries,
        "form": form,
        "form_problem": form_problem,
        "form_html": _render(form, data, errors, disabled=not workable, user=request.user if workable else None,
                             instance=instance) if form is not None else "",
        "errors": errors,
        "conflict": conflict,
        "workable": workable,
        "can_claim": access.can_work(scope, task) and task.claimed_by_id is None,
        "can_release": access.can_work(scope, task) and task.claimed_by_id == request.user.pk,
        "version": instance.lock_version,
        "version_field": VERSION_FIELD,
        "start_html": start_html,
        "status_badge": STATUS_BADGES.get(instance.status, ""),
        "panel": panel,
        "panel_html": render_to_string(panel.template, panel.context, request=request)
        if panel is not None and panel.template else "",
    }
    return render(request, "work/task.html", context, status=status)


def _int_or_none(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


# --- Start -----------------------------------------------------------------------------


@officer_view
def start_list(request: HttpRequest, scope: access.Scope) -> HttpResponse:
    definitions = access.startable_definitions(scope)
    return render(request, "work/start_list.html", {"definitions": definitions})


def _correction_data(request: HttpRequest, definition: Any, form: Any, value: str) -> dict[str, Any]:
    """The start form of a rejected case of the same process that this user filed, to
    correct and send again (documents carried: they are still theirs); else nothing."""
    from portal.schemaforms.validation import object_fields

    old = ProcessInstance.objects.filter(pk=_int_or_none(value) or 0, started_by=request.user,
                                         definition__key=definition.key).first()
    if old is None or selectors.outcomes([old.pk]).get(old.pk) != selectors.REJECTED:
        messages.warning(request, _("Solo puede corregir una solicitud suya que fue rechazada; se abre el formulario "
                                    "en blanco."))
        return {}
    fields = object_fields(form.schema, form.schema)
    data = {k: v for k, v in selectors.start_data(old).items() if k in fields}
    if "corrige_a" in fields:
        data["corrige_a"] = old.pk
    messages.info(request, _("Se copiaron los datos y documentos de la solicitud N.º %(n)s: corrija lo observado y "
                             "envíela.") % {"n": old.pk})
    return data


@require_http_methods(["GET", "POST"])
@officer_view
def start(request: HttpRequest, scope: access.Scope, key: str) -> HttpResponse:
    definition = access.latest_definitions().filter(key=key).first()
    if definition is None:
        raise access.NotVisible
    positions = access.start_positions(scope, definition)
    if not positions:
        raise access.NotAllowed(_("Su cargo no le permite iniciar este trámite."))
    form, form_problem = _load(definition.start_form_key)
    data: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    failure = ""
    chosen = ""
    status = 200
    submission = request.POST.get(SUBMISSION_FIELD) or str(uuid.uuid4())
    if request.method == "GET" and request.GET.get("corrige") and form is not None:
        data = _correction_data(request, definition, form, request.GET["corrige"])
    if request.method == "POST" and not form_problem:
        chosen = request.POST.get(POSITION_FIELD, "")
        data, errors = _read_post(request, form)
        if errors:
            status = 400
        else:
            try:
                instance = services.process_start(user=request.user, key=key, data=data,
                                                  position_pk=chosen or None, submission=submission)
            except services.AlreadyStarted as exc:
                messages.info(request, str(exc))
                if exc.instance_id is not None:
                    return redirect("work:instance", pk=exc.instance_id)
                return redirect("work:mine")
            except services.FormInvalid as exc:
                errors, status = exc.errors, 400
            except StepFailed as exc:
                incident = Incident.objects.filter(pk=exc.incident_id).only("instance_id").first()
                messages.warning(request, _(
                    "La solicitud quedó registrada, pero un paso automático falló. "
                    "El equipo de soporte fue alertado y lo reintentará."))
                if incident is not None:
                    return redirect("work:instance", pk=incident.instance_id)
                return redirect("work:mine")
            except EngineError as exc:
                failure, status = str(exc), 409
            else:
                messages.success(request, _("Trámite iniciado: expediente N.º %(number)s.") % {"number": instance.pk})
                return redirect("work:instance", pk=instance.pk)
    position_choices = [{"pk": p.pk, "label": f"{p.role.name} — {p.unit.name}"} for p in positions]
    return render(request, "work/start.html", {
        "definition": definition,
        "form": form,
        "form_problem": form_problem,
        "form_html": _render(form, data, errors, disabled=False, user=request.user) if form is not None else "",
        "general_errors": errors.get("__all__", []) if form is None else [],
        "position_error": bool(errors.get("__all__")) and len(positions) > 1,
        "failure": failure,
        "positions": position_choices if len(positions) > 1 else [],
        "chosen": str(chosen),
        "position_field": POSITION_FIELD,
        "submission_field": SUBMISSION_FIELD,
        "submission": submission,
        "single_position": position_choices[0]["label"] if len(positions) == 1 else "",
    }, status=status)


# --- Instance (case file) --------------------------------------------------------------


def _walk_strings(value: Any) -> Iterable[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _walk_strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _walk_strings(item)


def instance_document_ids(instance: ProcessInstance) -> set[uuid.UUID]:
    """UUIDs found in the data of the instance's start and completed steps."""
    found: set[uuid.UUID] = set()
    events = AuditEvent.objects.filter(
        instance=instance, action__in=[AuditAction.START, AuditAction.COMPLETE]).only("data")
    for event in events:
        for text in _walk_strings((event.data or {}).get("data")):
            if UUID_RE.match(text):
                found.add(uuid.UUID(text))
    return found


def _documents(instance: ProcessInstance) -> list[Any]:
    ids = instance_document_ids(instance)
    if not ids:
        return []
    from portal.schemaforms.models import Document

    return list(Document.objects.filter(pk__in=ids).order_by("created_at"))


def available_actions(instance: ProcessInstance) -> list[tuple[str, str]]:
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


@officer_view
def instance_page(request: HttpRequest, scope: access.Scope, pk: int) -> HttpResponse:
    instance = access.instance_for_view(scope, pk)
    staff = scope.is_staff
    selectors.record_case_read(request.user, instance, via="page:instance")
    entries = timeline.build(instance, staff=staff)
    steps = timeline.current_steps(instance, staff=staff)
    visible_ids = set(access.visible_tasks(scope).filter(pk__in=[s["task"].pk for s in steps])
                      .values_list("pk", flat=True)) if steps else set()
    for step in steps:
        step["visible"] = step["task"].pk in visible_ids
    states = timeline.element_states(instance)
    has_di, names = timeline.diagram_info(instance.definition.xml)
    outcome = selectors.outcomes([instance.pk]).get(instance.pk, "")
    rejected = outcome == selectors.REJECTED
    mine = instance.started_by_id == request.user.pk
    return render(request, "work/instance.html", {
        "instance": instance,
        "outcome": outcome,
        "outcome_label": selectors.outcome_label(outcome),
        "failed_items": selectors.failed_items(instance) if rejected and (mine or staff) else [],
        "can_correct": rejected and mine and bool(instance.definition.start_form_key)
        and access.latest_definitions().filter(key=instance.definition.key).exists(),
        "corrections": selectors.corrections(instance),
        "status_badge": STATUS_BADGES.get(instance.status, ""),
        "unit_name": unit_names([instance.org_unit]).get(instance.org_unit, instance.org_unit),
        "entries": entries,
        "steps": steps,
        "states": states,
        "completed_names": list(dict.fromkeys(names.get(e, e) for e in states["completed"])),
        "active_names": list(dict.fromkeys(names.get(e, e) for e in states["active"])),
        "has_di": has_di,
        "documents": _documents(instance),
        "admin": scope.admin,
        "actions": available_actions(instance) if scope.admin else [],
        "incidents": list(instance.incidents.filter(resolved_at__isnull=True).order_by("pk")) if scope.admin else [],
        "action_form": InstanceActionForm(),
    })


@officer_view
def instance_diagram(request: HttpRequest, scope: access.Scope, pk: int) -> HttpResponse:
    instance = access.instance_for_view(scope, pk)
    response = HttpResponse(instance.definition.xml, content_type="application/xml; charset=utf-8")
    response["Cache-Control"] = "private, max-age=300"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@officer_view
def instance_document(request: HttpRequest, scope: access.Scope, pk: int, doc: uuid.UUID) -> HttpResponse:
    instance = access.instance_for_view(scope, pk)
    if doc not in instance_document_ids(instance):
        raise access.NotVisible
    from portal.schemaforms.models import Document

    document = Document.objects.filter(pk=doc).first()
    if document is None:
        raise access.NotVisible
    try:
        handle = document.file.open("rb")
    except (FileNotFoundError, OSError):
        logger.warning("document %s of instance %s is missing from storage", doc, pk)
        raise Http404 from None
    log_activity(actor=request.user, action="document_downloaded", obj=document, unit=instance.org_unit,
                 data={"instance": instance.pk})
    response = FileResponse(handle, as_attachment=True, filename=document.original_name,
                            content_type=document.content_type)
    response["Cache-Control"] = "private, no-store"
    return response


@require_POST
@officer_view
def instance_action(request: HttpRequest, scope: access.Scope, pk: int) -> HttpResponse:
    """An administrator's retry / suspend / resume / cancel: reason required, then a
    confirmation page, then the service (which writes the audit entry)."""
    access.require_admin(scope)
    instance = access.instance_for_view(scope, pk)
    back = safe_next(request, reverse("work:instance", args=[instance.pk]))
    form = InstanceActionForm(request.POST)
    allowed = dict(available_actions(instance))
    if form.is_valid() and form.cleaned_data["accion"] not in allowed:
        form.add_error("accion", _("Esta acción no corresponde al estado actual del expediente (%(status)s).")
                       % {"status": instance.get_status_display()})
    if not form.is_valid() or not form.cleaned_data["confirmado"]:
        return render(request, "work/instance_action_confirm.html", {
            "instance": instance, "form": form, "back": back,
            "action_label": InstanceAction.LABELS.get(form.data.get("accion", ""), ""),
            "status_badge": STATUS_BADGES.get(instance.status, ""),
        }, status=200 if form.is_valid() else 400)
    action, reason = form.cleaned_data["accion"], form.cleaned_data["motivo"]
    try:
        if action == InstanceAction.RETRY:
            services.instance_retry(user=request.user, instance_pk=instance.pk, reason=reason)
        elif action == InstanceAction.SUSPEND:
            services.instance_suspend(user=request.user, instance_pk=instance.pk, reason=reason)
        elif action == InstanceAction.RESUME:
            services.instance_resume(user=request.user, instance_pk=instance.pk, reason=reason)
        else:
            services.instance_cancel(user=request.user, instance_pk=instance.pk, reason=reason)
    except services.FormInvalid as exc:
        messages.error(request, " ".join(m for msgs in exc.errors.values() for m in msgs))
    except StepFailed as exc:
        messages.error(request, _("El reintento volvió a fallar: %(error)s") % {"error": exc})
    except EngineError as exc:
        messages.error(request, str(exc))
    else:
        done = {
            InstanceAction.RETRY: _("Se reintentó el paso fallido del expediente N.º %(n)s."),
            InstanceAction.SUSPEND: _("El expediente N.º %(n)s quedó suspendido."),
            InstanceAction.RESUME: _("El expediente N.º %(n)s se reanudó."),
            InstanceAction.CANCEL: _("El expediente N.º %(n)s fue cancelado."),
        }[action]
        messages.success(request, done % {"n": instance.pk})
    return redirect(back)


# --- My requests -----------------------------------------------------------------------


@officer_view
def mine(request: HttpRequest, scope: access.Scope) -> HttpResponse:
    page = paginate(request, selectors.my_instances(request.user))
    decorate_instances(page["items"])
    found = selectors.outcomes([i.pk for i in page["items"]])
    startable = set(access.latest_definitions().values_list("key", flat=True)) if found else set()
    for inst in page["items"]:
        inst.outcome = found.get(inst.pk, "")
        inst.outcome_label = selectors.outcome_label(inst.outcome)
        rejected = inst.outcome == selectors.REJECTED
        inst.failed_items = selectors.failed_items(inst) if rejected else []
        inst.can_correct = (rejected and bool(inst.definition.start_form_key)
                            and inst.definition.key in startable)
    return render(request, "work/mine.html", {"instances": page})


# --- Administration: instances ---------------------------------------------------------


@officer_view
def admin_instances(request: HttpRequest, scope: access.Scope) -> HttpResponse:
    access.require_admin(scope)
    names = process_names()
    form = AdminInstanceFilterForm(request.GET or None, processes=sorted(names.items(), key=lambda kv: kv[1]))
    filters = form.filters()
    qs = selectors.admin_instances(scope, status=filters.get("estado", ""), process=filters.get("proceso", ""),
                                   unit=filters.get("unidad", ""), since=filters.get("desde"),
                                   until=filters.get("hasta"))
    page = paginate(request, qs)
    decorate_instances(page["items"])
    for inst in page["items"]:
        inst.actions = available_actions(inst)  # type: ignore[attr-defined]
    open_incidents = list(
        Incident.objects.filter(resolved_at__isnull=True).select_related("instance__definition")
        .order_by("-created_at")[:20])
    return render(request, "work/admin_instances.html", {
        "form": form, "instances": page, "open_incidents": open_incidents,
        "open_incident_count": Incident.objects.filter(resolved_at__isnull=True).count(),
        "return_to": request.get_full_path(), "action_form": InstanceActionForm(),
    })


