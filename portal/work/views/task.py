"""The task page: the request being worked on, the task's form, panels, the timeline."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from engine.errors import ConflictError, EngineError, StepFailed
from engine.models import AuditAction, HumanTaskState
from portal.orgs.access import Scope
from portal.orgs.selectors import unit_names
from portal.schemaforms.submission import FormPost
from portal.shared.errors import FormInvalid
from portal.shared.http import int_or_none, officer_view

from .. import access, panels, selectors, services, timeline
from ..presenters import STATUS_BADGES, decorate_tasks, form_html, load_page_form

VERSION_FIELD = "_version"


@require_http_methods(["GET", "POST"])
@officer_view
def task_page(request: HttpRequest, scope: Scope, pk: int) -> HttpResponse:
    task = access.task_for_view(scope, pk)
    form, form_problem = load_page_form(task.form_key)
    data: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    conflict = ""
    status = 200
    if request.method == "POST" and form_problem:
        access.task_for_work(scope, pk)  # nothing to send; still 403 for supervisors, who only read
    elif request.method == "POST":
        answer = FormPost(request.POST, request.FILES)
        try:
            services.task_complete(user=request.user, task_pk=task.pk, data=answer,
                                   expected_version=int_or_none(request.POST.get(VERSION_FIELD)))
        except FormInvalid as exc:
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
        data = answer.values_for_display(form)
        task = access.task_for_view(scope, pk)  # the state after the attempt
    else:
        services.case_read_log(user=request.user, instance=task.instance, via="page:task")
        if task.state == HumanTaskState.COMPLETED:
            data = selectors.completed_data(task)
    return _render_task(request, scope, task, form=form, form_problem=form_problem, data=data, errors=errors,
                        conflict=conflict, status=status)


def _render_task(request: HttpRequest, scope: Scope, task: Any, *, form: Any, form_problem: str,
                 data: dict[str, Any], errors: dict[str, list[str]], conflict: str, status: int) -> HttpResponse:
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
    start_form, _problem = load_page_form(instance.definition.start_form_key)
    start_html = ""
    if start_form is not None and task.state == HumanTaskState.OPEN:
        start_html = form_html(start_form, selectors.start_data(instance), None, disabled=True, prefix="solicitud-",
                               instance=instance)
    context = {
        "task": task,
        "instance": instance,
        "unit_name": unit_names([instance.org_unit]).get(instance.org_unit, instance.org_unit),
        "started_by_office": next((e.who for e in entries if e.action == AuditAction.START), ""),
        "entries": entries,
        "form": form,
        "form_problem": form_problem,
        "form_html": form_html(form, data, errors, disabled=not workable, user=request.user if workable else None,
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
