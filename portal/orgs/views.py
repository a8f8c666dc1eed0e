"""Administration of offices (org units) and positions, for administrators only.

Writes go through portal.orgs.services (one transaction and one audit row each); an
OrgError is shown on the form that caused it, with what was typed kept.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from portal.shared.http import officer_view, paginate

from . import access, selectors, services
from .forms import PositionAssignForm, PositionEndForm, PositionReplaceForm, UnitFilterForm, UnitForm
from .models import OrgUnit, Position, UnitKind

UNITS_PER_PAGE = 50
# The kind of unit one creates below a unit from its page; none from MINEDU's or an IE's.
CHILD_KIND: dict[str, str] = {UnitKind.MINEDU: "", UnitKind.DRE: UnitKind.UGEL, UnitKind.UGEL: UnitKind.IE}


@officer_view
def unit_list(request: HttpRequest, scope: access.Scope) -> HttpResponse:
    access.require_admin(scope)
    form = UnitFilterForm(request.GET or None)
    filters = form.filters()
    qs = selectors.unit_list(q=filters.get("q", ""), kind=filters.get("tipo", ""), dre=filters.get("dre", ""),
                             active={"si": True, "no": False}.get(filters.get("activa", "")))
    page = paginate(request, qs, per_page=UNITS_PER_PAGE)
    for unit in page["items"]:
        # A class per level (portal.css: .nivel-0 … .nivel-6), not style="": the CSP refuses
        # inline style attributes.
        unit.depth = min(max(unit.path.count("/") - 2, 0), 6)
    return render(request, "orgs/unit_list.html", {"form": form, "units": page, "filtered": bool(filters)})


@require_http_methods(["GET", "POST"])
@officer_view
def unit_create(request: HttpRequest, scope: access.Scope) -> HttpResponse:
    access.require_admin(scope)
    return _unit_form(request, None)


@require_http_methods(["GET", "POST"])
@officer_view
def unit_edit(request: HttpRequest, scope: access.Scope, code: str) -> HttpResponse:
    return _unit_form(request, access.unit_for_admin(scope, code))


def _unit_form(request: HttpRequest, unit: OrgUnit | None) -> HttpResponse:
    if request.method == "POST":
        form = UnitForm(request.POST, instance=unit)
        if form.is_valid():
            try:
                saved = services.unit_save(unit=form.apply(), by=request.user)
            except services.OrgError as exc:
                form.add_error(None, str(exc))
                if unit is not None:
                    unit.refresh_from_db()
            else:
                messages.success(request, _("Se guardó la unidad %(unit)s.") % {"unit": saved})
                return redirect("work:orgs:unit_detail", code=saved.code)
        status = 400
    else:
        initial = {}
        parent = request.GET.get("depende_de", "").strip().upper()
        if unit is None and parent:
            initial = {"parent": parent}
        form = UnitForm(None, instance=unit)
        form.initial.update(initial)
        status = 200
    return render(request, "orgs/unit_form.html", {"form": form, "unit": unit}, status=status)


def _detail(request: HttpRequest, unit: OrgUnit, *, assign: PositionAssignForm | None = None,
            replace: PositionReplaceForm | None = None, end_forms: dict[int, PositionEndForm] | None = None,
            status: int = 200) -> HttpResponse:
    active = selectors.unit_active_positions(unit)
    end_forms = end_forms or {}
    for position in active:
        position.end_form = (  # type: ignore[attr-defined]  # for the template
            end_forms.get(position.pk) or PositionEndForm(prefix=f"cese-{position.pk}"))
    past = selectors.unit_past_positions(unit)
    replace = replace or PositionReplaceForm(unit=unit)
    return render(request, "orgs/unit_detail.html", {
        "unit": unit,
        "children": selectors.unit_children(unit)[:200],
        "children_count": selectors.unit_children(unit).count(),
        "active_positions": active,
        "past_positions": past,
        "assign_form": assign or PositionAssignForm(unit=unit),
        "replace_form": replace,
        "can_replace": bool(replace.roles),
        "child_kind": CHILD_KIND.get(unit.kind),
    }, status=status)


@officer_view
def unit_detail(request: HttpRequest, scope: access.Scope, code: str) -> HttpResponse:
    return _detail(request, access.unit_for_admin(scope, code))


@require_POST
@officer_view
def position_assign(request: HttpRequest, scope: access.Scope, code: str) -> HttpResponse:
    unit = access.unit_for_admin(scope, code)
    form = PositionAssignForm(request.POST, unit=unit)
    if form.is_valid():
        data = form.cleaned_data
        try:
            position = services.position_assign(user=data["usuario"], role=data["rol"], unit=unit,
                                                by=request.user, reason=data["motivo"], nivel=data["nivel"])
        except services.OrgError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Se asignó el cargo %(role)s a %(person)s.") % _names(position))
            return redirect("work:orgs:unit_detail", code=unit.code)
    return _detail(request, unit, assign=form, status=400)


@require_POST
@officer_view
def position_replace(request: HttpRequest, scope: access.Scope, code: str) -> HttpResponse:
    unit = access.unit_for_admin(scope, code)
    form = PositionReplaceForm(request.POST, unit=unit)
    if form.is_valid():
        data = form.cleaned_data
        try:
            position = services.position_replace(unit=unit, role=data["rol"], user=data["usuario"],
                                                 by=request.user, reason=data["motivo"], nivel=data["nivel"])
        except services.OrgError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("%(person)s es ahora %(role)s; el titular anterior cesó.") % _names(position))
            return redirect("work:orgs:unit_detail", code=unit.code)
    return _detail(request, unit, replace=form, status=400)


@require_POST
@officer_view
def position_end(request: HttpRequest, scope: access.Scope, pk: int) -> HttpResponse:
    position = access.position_for_admin(scope, pk)
    form = PositionEndForm(request.POST, prefix=f"cese-{position.pk}")
    if form.is_valid():
        try:
            services.position_end(position=position, by=request.user, reason=form.cleaned_data["motivo"])
        except services.OrgError as exc:
            # e.g. "Este cargo ya terminó": the position is no longer listed with a form.
            messages.error(request, str(exc))
        else:
            messages.success(request, _("Cesó el cargo %(role)s de %(person)s.") % _names(position))
        return redirect("work:orgs:unit_detail", code=position.unit.code)
    return _detail(request, position.unit, end_forms={position.pk: form}, status=400)


def _names(position: Position) -> dict[str, Any]:
    user = position.user
    return {"role": position.role.name, "person": user.get_full_name() or user.get_username()}
