"""Starting a case: the list of processes the user may start and the start form."""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from engine.errors import EngineError, StepFailed
from engine.models import ProcessDefinition
from portal.orgs.access import Scope
from portal.schemaforms.loader import FormDefinition
from portal.schemaforms.schema import object_fields
from portal.schemaforms.submission import FormPost
from portal.shared.errors import FormInvalid
from portal.shared.http import officer_view

from .. import access, selectors, services
from ..presenters import form_html, load_page_form

POSITION_FIELD = "_cargo"
SUBMISSION_FIELD = services.SUBMISSION_FIELD


@officer_view
def start_list(request: HttpRequest, scope: Scope) -> HttpResponse:
    definitions = access.startable_definitions(scope)
    return render(request, "work/start_list.html", {"definitions": definitions})


def _correction_data(request: HttpRequest, scope: Scope, definition: ProcessDefinition, form: FormDefinition,
                     value: str) -> dict[str, Any]:
    """The start form of a rejected case of the same process that this user filed, to
    correct and send again (documents carried: they are still theirs); else nothing."""
    old = selectors.own_rejected_case(scope, value, key=definition.key)
    if old is not None:  # the whole earlier request is shown again (Ley 29733: a read of the case)
        services.case_read_log(user=request.user, instance=old, via="page:correction")
    if old is None:
        newer = selectors.corrected_by(_case_number(value), user_id=request.user.pk, key=definition.key)
        if newer:  # already corrected: point to that case rather than a blank form's vague refusal
            messages.warning(request, _("La solicitud N.º %(n)s ya se corrigió con la N.º %(m)s; no se puede corregir "
                                        "otra vez. Si esa también fue rechazada, corrija esa.") % {
                "n": _case_number(value), "m": newer[-1]})
            return {}
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


def _case_number(value: str) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


@require_http_methods(["GET", "POST"])
@officer_view
def start(request: HttpRequest, scope: Scope, key: str) -> HttpResponse:
    definition, positions = access.definition_for_start(scope, key)
    form, form_problem = load_page_form(definition.start_form_key)
    data: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    failure = ""
    chosen = ""
    status = 200
    submission = request.POST.get(SUBMISSION_FIELD) or str(uuid.uuid4())
    if request.method == "GET" and request.GET.get("corrige") and form is not None:
        data = _correction_data(request, scope, definition, form, request.GET["corrige"])
    if request.method == "POST" and not form_problem:
        chosen = request.POST.get(POSITION_FIELD, "")
        answer = FormPost(request.POST, request.FILES)
        try:
            instance = services.process_start(user=request.user, key=key, data=answer,
                                              position_pk=chosen or None, submission=submission)
        except services.AlreadyStarted as exc:
            messages.info(request, str(exc))
            if exc.instance_id is not None:
                return redirect("work:instance", pk=exc.instance_id)
            return redirect("work:mine")
        except services.ReplayMismatch as exc:
            # A fresh token: sending the form again now files it as a new request, knowingly.
            failure, status, submission = str(exc), 422, str(uuid.uuid4())
        except FormInvalid as exc:
            errors, status = exc.errors, 400
        except StepFailed as exc:
            messages.warning(request, _(
                "La solicitud quedó registrada, pero un paso automático falló. "
                "El equipo de soporte fue alertado y lo reintentará."))
            instance_id = selectors.incident_instance_id(exc.incident_id)
            if instance_id is not None:
                return redirect("work:instance", pk=instance_id)
            return redirect("work:mine")
        except EngineError as exc:
            failure, status = str(exc), 409
        else:
            messages.success(request, _("Trámite iniciado: expediente N.º %(number)s.") % {"number": instance.pk})
            return redirect("work:instance", pk=instance.pk)
        data = answer.values_for_display(form)
    position_choices = [{"pk": p.pk, "label": f"{p.role.name} — {p.unit.name}"} for p in positions]
    return render(request, "work/start.html", {
        "definition": definition,
        "form": form,
        "form_problem": form_problem,
        "form_html": form_html(form, data, errors, disabled=False, user=request.user) if form is not None else "",
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
