"""Reads of the org tree and its positions, shared by the pages, the API and other apps."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Q, QuerySet

from .models import OrgUnit, Position
from .roles import catalogue


def unit_names(codes: Iterable[str]) -> dict[str, str]:
    """{code: name} of the given units, in one query (unknown codes are left out)."""
    wanted = {c for c in codes if c}
    if not wanted:
        return {}
    return dict(OrgUnit.objects.filter(code__in=wanted).values_list("code", "name"))


def unit_list(*, q: str = "", kind: str = "", parent: str = "", dre: str = "",
              active: bool | None = None) -> QuerySet[OrgUnit]:
    """Units in tree order. `q` matches the name or code (contains) and the código
    modular (prefix); `parent` keeps the direct children of one unit, `dre` the whole
    subtree of one DRE."""
    units = OrgUnit.objects.select_related("parent").order_by("path")
    term = q.strip()
    if term:
        units = units.filter(Q(name__icontains=term) | Q(code__icontains=term) | Q(codigo_modular__startswith=term))
    if kind:
        units = units.filter(kind=kind)
    if parent:
        units = units.filter(parent__code=parent)
    if dre:
        dre_path = OrgUnit.objects.filter(code=dre).values_list("path", flat=True).first() or "-"
        units = units.filter(path__startswith=dre_path)
    if active is not None:
        units = units.filter(active=active)
    return units


def unit_children(unit: OrgUnit) -> QuerySet[OrgUnit]:
    return OrgUnit.objects.filter(parent=unit).order_by("name")


def unit_active_positions(unit: OrgUnit) -> list[Position]:
    return list(Position.objects.filter(unit=unit, until__isnull=True)
                .select_related("user", "user__person", "role", "assigned_by").order_by("role__name", "nivel", "since"))


def unit_past_positions(unit: OrgUnit, *, limit: int = 25) -> list[Position]:
    return list(Position.objects.filter(unit=unit, until__isnull=False)
                .select_related("user", "user__person", "role", "ended_by").order_by("-until")[:limit])


def position_list(positions: QuerySet[Position], *, unit: str = "", role: str = "",
                  active: bool | None = None) -> QuerySet[Position]:
    """`positions` (the ones the user may see: access.visible_positions) filtered by unit
    code, role code and whether they are current, in tree order."""
    if unit:
        positions = positions.filter(unit__code=unit)
    if role:
        positions = positions.filter(role_id=role)
    if active is not None:
        positions = positions.filter(until__isnull=active)
    return positions.order_by("unit__path", "role_id", "-since", "pk")


def supervisor_unit(role_code: str, unit_code: str) -> str | None:
    """Where `role_code` is held for work at `unit_code`: its fixed MINEDU office, the
    unit itself, or the nearest unit above at the role's level."""
    entry = catalogue().get(role_code)
    if entry is None:
        return None
    if entry.get("unit"):
        return entry["unit"]
    unit = OrgUnit.objects.filter(code=unit_code).first()
    if unit is None:
        return None
    if unit.kind == entry["unit_level"]:
        return unit.code
    return (OrgUnit.objects.filter(code__in=unit.ancestor_codes(), kind=entry["unit_level"])
            .values_list("code", flat=True).first())


def holder_ids(role_code: str, unit_code: str, nivel: str = "") -> set[int]:
    """The users holding (role, unit) now; of that nivel when `nivel` is not blank."""
    qs = Position.objects.filter(role_id=role_code, unit__code=unit_code, until__isnull=True)
    if nivel:
        qs = qs.filter(nivel=nivel)
    return set(qs.values_list("user_id", flat=True))
