"""A user's scope: the positions they hold and what those open up, for every app.

Every app's access rules start from `scope_for(user)`. Records outside a user's remit
answer exactly like records that do not exist (NotVisible → 404), so a UGEL officer
cannot learn what another UGEL has. Rules kept here:
- holders of a supervising role (roles.json `supervises`) see, read-only, their unit
  and the units below it ('subtree') or every unit ('national');
- administrators (superusers and holders of a role with `supervises: all`) see
  everything and may administer;
- positions are visible within the units the user works in and below them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import reduce
from operator import or_
from typing import Any

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from portal.shared.errors import NotAllowed, NotVisible

from .models import OrgUnit, Position


@dataclass
class Scope:
    user: Any
    positions: list[Position]
    pairs: frozenset[tuple[str, str]]
    subtree_paths: tuple[str, ...]
    national: bool
    admin: bool
    roles: frozenset[str] = field(default_factory=frozenset)

    @property
    def sees_everything(self) -> bool:
        return self.admin or self.national

    @property
    def supervises(self) -> bool:
        """Sees, read-only, tasks beyond the ones they work (the supervision tab)."""
        return bool(self.subtree_paths) or self.sees_everything

    @property
    def is_staff(self) -> bool:
        """Holds a position or administers: sees officers' names (requesters see offices)."""
        return bool(self.positions) or self.admin

    @property
    def is_officer(self) -> bool:
        """Holds an active position, or administers: may read the org tree."""
        return self.is_staff


def scope_for(user: Any) -> Scope:
    """The user's active positions and what they open up; cached on the user object
    for the request."""
    cached = getattr(user, "_work_scope", None)
    if cached is not None:
        return cached
    positions: list[Position] = []
    if getattr(user, "is_authenticated", False):
        positions = list(
            Position.objects.filter(user=user, until__isnull=True).select_related("role", "unit").order_by("pk")
        )
    supervises = {p.role.supervises for p in positions}
    scope = Scope(
        user=user,
        positions=positions,
        pairs=frozenset((p.role_id, p.unit.code) for p in positions),
        subtree_paths=tuple(sorted({p.unit.path for p in positions if p.role.supervises == "subtree"})),
        national="national" in supervises,
        admin=bool(getattr(user, "is_superuser", False)) or "all" in supervises,
        roles=frozenset(p.role_id for p in positions),
    )
    if getattr(user, "is_authenticated", False):
        user._work_scope = scope
    return scope


def require_admin(scope: Scope) -> None:
    if not scope.admin:
        raise NotAllowed(_("Esta acción es solo para administradores."))


def require_officer(scope: Scope) -> None:
    if not scope.is_officer:
        raise NotAllowed(_("Esta consulta es solo para personal con un cargo vigente."))


def pairs_q(pairs: frozenset[tuple[str, str]], prefix: str = "") -> Q:
    """Rows whose (role, unit) is one of `pairs`."""
    if not pairs:
        return Q(pk__in=[])
    return reduce(or_, (Q(**{f"{prefix}role": r, f"{prefix}unit": u}) for r, u in sorted(pairs)))


def subtree_codes(paths: tuple[str, ...]) -> QuerySet[OrgUnit, str]:
    """Codes of the units at or below any of `paths` (a subquery)."""
    q = reduce(or_, (Q(path__startswith=p) for p in paths))
    return OrgUnit.objects.filter(q).values_list("code", flat=True)


def visible_positions(scope: Scope) -> QuerySet[Position]:
    """Positions of the units the user works in and the units below them (everything
    for administrators and national roles)."""
    positions = Position.objects.select_related("user__person", "role", "unit")
    if scope.sees_everything:
        return positions
    paths = sorted({p.unit.path for p in scope.positions})
    if not paths:
        return positions.none()
    return positions.filter(reduce(or_, (Q(unit__path__startswith=path) for path in paths)))


def unit_for_view(scope: Scope, code: str) -> OrgUnit:
    """A unit of the org tree, readable by every officer (the tree is not personal data)."""
    require_officer(scope)
    unit = OrgUnit.objects.select_related("parent").filter(code=code).first()
    if unit is None:
        raise NotVisible
    return unit


def unit_for_admin(scope: Scope, code: str) -> OrgUnit:
    require_admin(scope)
    return unit_for_view(scope, code)


def position_for_admin(scope: Scope, pk: Any) -> Position:
    require_admin(scope)
    try:
        return Position.objects.select_related("user__person", "role", "unit").get(pk=int(pk))
    except (Position.DoesNotExist, ValueError, TypeError):
        raise NotVisible from None


def active_position_for_admin(scope: Scope, pk: Any) -> Position:
    """A current position, for an administrator; an ended one answers like a missing one."""
    position = position_for_admin(scope, pk)
    if not position.active:
        raise NotVisible
    return position
