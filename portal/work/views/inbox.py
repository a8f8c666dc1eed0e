"""The inbox (tasks to work, claim / release in place) and the supervision tab."""

from __future__ import annotations

import json

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from engine.errors import ConflictError
from engine.models import HumanTask
from portal.orgs.access import Scope
from portal.shared.http import is_htmx, officer_view, paginate, safe_next

from .. import access, selectors, services
from ..forms import InboxFilterForm, SupervisionFilterForm
from ..presenters import decorate_tasks, my_units, nav_flags


@officer_view
def inbox(request: HttpRequest, scope: Scope) -> HttpResponse:
    names = selectors.process_names()
    counts = selectors.inbox_counts(scope)
    for row in counts:
        row["name"] = names.get(row["process_key"], row["process_key"])
    form = InboxFilterForm(
        request.GET or None,
        processes=[(row["process_key"], row["name"]) for row in counts],
        units=my_units(scope),
    )
    filters = form.filters()
    process, unit, due = filters["process"], filters["unit"], filters["due"]
    held = paginate(request, selectors.inbox(scope, held=True, process=process, unit=unit, due=due), "pagina_tengo")
    free = paginate(request, selectors.inbox(scope, held=False, process=process, unit=unit, due=due), "pagina")
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
def supervision(request: HttpRequest, scope: Scope) -> HttpResponse:
    """Open tasks of the user's remit that they may see but not work: read-only."""
    names = selectors.process_names()
    form = SupervisionFilterForm(request.GET or None, processes=sorted(names.items(), key=lambda kv: kv[1]))
    filters = form.filters()
    qs = selectors.supervision(scope, process=filters["process"], due=filters["due"])
    tasks = paginate(request, qs)
    decorate_tasks(tasks["items"], names=names)
    return render(request, "work/supervision.html", {
        "form": form, "tasks": tasks, "supervises": scope.supervises, **nav_flags(scope),
    })


def _row_response(request: HttpRequest, task: HumanTask, *, message: str, ok: bool) -> HttpResponse:
    decorate_tasks([task])
    response = render(request, "work/_task_row.html", {
        "task": task, "row_message": message, "row_ok": ok,
        "return_to": safe_next(request, reverse("work:inbox")),
    })
    response["HX-Trigger"] = json.dumps({"avisoBandeja": message})
    return response


def _claim_action(request: HttpRequest, scope: Scope, pk: int, *, release: bool) -> HttpResponse:
    try:
        if release:
            task = services.task_unclaim(user=request.user, task_pk=pk)
            message, ok = _("Liberó la tarea «%(title)s».") % {"title": task.title}, True
        else:
            task = services.task_claim(user=request.user, task_pk=pk)
            message, ok = _("Tomó la tarea «%(title)s».") % {"title": task.title}, True
    except ConflictError as exc:
        message, ok = str(exc), False
    if is_htmx(request):
        task = access.task_for_view(scope, pk)  # fresh, with its relations
        return _row_response(request, task, message=message, ok=ok)
    (messages.success if ok else messages.error)(request, message)
    return redirect(safe_next(request, reverse("work:inbox")))


@require_POST
@officer_view
def task_claim(request: HttpRequest, scope: Scope, pk: int) -> HttpResponse:
    return _claim_action(request, scope, pk, release=False)


@require_POST
@officer_view
def task_unclaim(request: HttpRequest, scope: Scope, pk: int) -> HttpResponse:
    return _claim_action(request, scope, pk, release=True)
