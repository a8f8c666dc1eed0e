"""The case file: status, current steps, timeline, diagram, documents, admin actions."""

from __future__ import annotations

import logging
import uuid

from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from engine.errors import EngineError, StepFailed
from portal.orgs.access import Scope, require_admin
from portal.orgs.selectors import unit_names
from portal.shared.errors import FormInvalid
from portal.shared.http import officer_view, safe_next

from .. import access, selectors, services, timeline
from ..forms import InstanceAction, InstanceActionForm
from ..presenters import STATUS_BADGES, available_actions

logger = logging.getLogger(__name__)


@officer_view
def instance_page(request: HttpRequest, scope: Scope, pk: int) -> HttpResponse:
    instance = access.instance_for_view(scope, pk)
    staff = scope.is_staff
    services.case_read_log(user=request.user, instance=instance, via="page:instance")
    entries = timeline.build(instance, staff=staff)
    steps = timeline.current_steps(instance, staff=staff)
    visible_ids = access.visible_task_ids(scope, [s["task"].pk for s in steps])
    for step in steps:
        step["visible"] = step["task"].pk in visible_ids
    states = timeline.element_states(instance)
    has_di, names = timeline.diagram_info(instance.definition.xml)
    outcome = selectors.outcomes([instance.pk]).get(instance.pk, "")
    rejected = outcome == selectors.REJECTED
    mine = instance.started_by_id == request.user.pk
    corrections = selectors.corrections(instance)
    return render(request, "work/instance.html", {
        "instance": instance,
        "outcome": outcome,
        "outcome_label": selectors.outcome_label(outcome),
        "failed_items": selectors.failed_items(instance) if rejected and (mine or staff) else [],
        "can_correct": access.may_correct(scope, instance, rejected=rejected,
                                          corrected=bool(corrections["corregida_por"])),
        "corrections": corrections,
        "status_badge": STATUS_BADGES.get(instance.status, ""),
        "unit_name": unit_names([instance.org_unit]).get(instance.org_unit, instance.org_unit),
        "entries": entries,
        "steps": steps,
        "states": states,
        "completed_names": list(dict.fromkeys(names.get(e, e) for e in states["completed"])),
        "active_names": list(dict.fromkeys(names.get(e, e) for e in states["active"])),
        "has_di": has_di,
        "documents": selectors.case_documents(instance),
        "admin": scope.admin,
        "actions": available_actions(instance) if scope.admin else [],
        "incidents": selectors.instance_open_incidents(instance) if scope.admin else [],
        "action_form": InstanceActionForm(),
    })


@officer_view
def instance_diagram(request: HttpRequest, scope: Scope, pk: int) -> HttpResponse:
    instance = access.instance_for_view(scope, pk)
    response = HttpResponse(instance.definition.xml, content_type="application/xml; charset=utf-8")
    response["Cache-Control"] = "private, max-age=300"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@officer_view
def instance_document(request: HttpRequest, scope: Scope, pk: int, doc: uuid.UUID) -> FileResponse:
    instance, document = access.document_for_case(scope, pk, doc)
    try:
        handle = document.file.open("rb")
    except (FileNotFoundError, OSError):
        logger.warning("document %s of instance %s is missing from storage", doc, pk)
        raise Http404 from None
    services.case_document_read_log(user=request.user, instance=instance, document=document)
    response = FileResponse(handle, as_attachment=True, filename=document.original_name,
                            content_type=document.content_type)
    response["Cache-Control"] = "private, no-store"
    return response


ACTION_SERVICES = {
    InstanceAction.RETRY: services.instance_retry,
    InstanceAction.SUSPEND: services.instance_suspend,
    InstanceAction.RESUME: services.instance_resume,
    InstanceAction.CANCEL: services.instance_cancel,
}


@require_POST
@officer_view
def instance_action(request: HttpRequest, scope: Scope, pk: int) -> HttpResponse:
    """An administrator's retry / suspend / resume / cancel: reason required, then a
    confirmation page, then the service (which writes the audit entry)."""
    require_admin(scope)
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
        ACTION_SERVICES[action](user=request.user, instance_pk=instance.pk, reason=reason)
    except FormInvalid as exc:
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
