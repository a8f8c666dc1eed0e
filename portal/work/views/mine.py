"""Mis solicitudes: the cases the user started, how they ended, what to correct."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from portal.orgs.access import Scope
from portal.shared.http import officer_view, paginate

from .. import access, selectors
from ..presenters import decorate_instances


@officer_view
def mine(request: HttpRequest, scope: Scope) -> HttpResponse:
    page = paginate(request, selectors.my_instances(request.user))
    decorate_instances(page["items"])
    found = selectors.outcomes([i.pk for i in page["items"]])
    startable = selectors.startable_keys() if found else set()
    for inst in page["items"]:
        inst.outcome = found.get(inst.pk, "")
        inst.outcome_label = selectors.outcome_label(inst.outcome)
        rejected = inst.outcome == selectors.REJECTED
        inst.failed_items = selectors.failed_items(inst) if rejected else []
        corrected = rejected and bool(selectors.corrected_by(inst.pk, user_id=inst.started_by_id,
                                                             key=inst.definition.key))
        inst.can_correct = access.may_correct(scope, inst, rejected=rejected, startable=startable,
                                              corrected=corrected)
    return render(request, "work/mine.html", {"instances": page})
