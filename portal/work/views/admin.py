"""Administration of instances: every case by status, process, unit and date; incidents."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from portal.orgs.access import Scope, require_admin
from portal.shared.http import officer_view, paginate

from .. import selectors
from ..forms import AdminInstanceFilterForm, InstanceActionForm
from ..presenters import available_actions, decorate_instances, decorate_tasks


@officer_view
def admin_instances(request: HttpRequest, scope: Scope) -> HttpResponse:
    require_admin(scope)
    names = selectors.process_names()
    form = AdminInstanceFilterForm(request.GET or None, processes=sorted(names.items(), key=lambda kv: kv[1]))
    filters = form.filters()
    qs = selectors.admin_instances(scope, status=filters.get("estado", ""), process=filters.get("proceso", ""),
                                   unit=filters.get("unidad", ""), since=filters.get("desde"),
                                   until=filters.get("hasta"))
    page = paginate(request, qs)
    decorate_instances(page["items"])
    for inst in page["items"]:
        inst.actions = available_actions(inst)
    open_incidents, open_incident_count = selectors.open_incidents()
    unheld, unheld_count = selectors.unheld_tasks()
    decorate_tasks(unheld)
    return render(request, "work/admin_instances.html", {
        "form": form, "instances": page, "open_incidents": open_incidents,
        "open_incident_count": open_incident_count,
        "unheld_tasks": unheld, "unheld_count": unheld_count,
        "return_to": request.get_full_path(), "action_form": InstanceActionForm(),
    })
