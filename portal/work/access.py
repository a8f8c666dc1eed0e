"""Who may see and do what with tasks, instances and processes.

One rule set for the pages and the API. Records outside a user's remit answer exactly
like records that do not exist (404), so a UGEL officer cannot learn what another UGEL
has. Rules:
- a task is workable (claim, complete) by holders of its (role, unit);
- holders of a supervising role (roles.json `supervises`) see, read-only, the tasks and
  instances of their unit and the units below it ('subtree') or of every unit ('national');
- administrators (superusers and holders of a role with `supervises: all`) see
  everything and may administer;
- a person always sees the instances they started.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import reduce
from operator import or_
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery

from engine.models import HumanTask, HumanTaskState, InstanceStatus, ProcessDefinition, ProcessInstance
from portal.orgs.models import OrgUnit, Position


class NotVisible(Exception):
    """The record does not exist or is not the user's to see (answered as 404)."""


class NotAllowed(Exception):
    """The user sees the record but may not do this with it (answered as 403)."""


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
    def is_staff(self) -> bool:
        """Holds a position or administers: sees officers' names (requesters see offices)."""
        return bool(self.positions) or self.admin


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


def pairs_q(pairs: frozenset[tuple[str, str]], prefix: str = "") -> Q:
    if not pairs:
        return Q(pk__in=[])
    return reduce(or_, (Q(**{f"{prefix}role": r, f"{prefix}unit": u}) for r, u in sorted(pairs)))


def _subtree_codes(paths: tuple[str, ...]) -> Subquery:
    q = reduce(or_, (Q(path__startswith=p) for p in paths))
    return Subquery(OrgUnit.objects.filter(q).values("code"))


def workable_tasks(scope: Scope) -> QuerySet[HumanTask]:
    """Open tasks this user may claim or complete."""
    return HumanTask.objects.filter(pairs_q(scope.pairs), state=HumanTaskState.OPEN)


def visible_tasks(scope: Scope) -> QuerySet[HumanTask]:
    qs = HumanTask.objects.all()
    if scope.sees_everything:
        return qs
    q = pairs_q(scope.pairs)
    if scope.subtree_paths:
        q |= Q(unit__in=_subtree_codes(scope.subtree_paths))
    return qs.filter(q)


def visible_instances(scope: Scope) -> QuerySet[ProcessInstance]:
    qs = ProcessInstance.objects.all()
    if scope.sees_everything:
        return qs
    q = Q(started_by=scope.user) if getattr(scope.user, "pk", None) else Q(pk__in=[])
    if scope.pairs:
        q |= Exists(HumanTask.objects.filter(pairs_q(scope.pairs), instance=OuterRef("pk")))
    if scope.subtree_paths:
        codes = _subtree_codes(scope.subtree_paths)
        q |= Q(org_unit__in=codes) | Exists(HumanTask.objects.filter(instance=OuterRef("pk"), unit__in=codes))
    return qs.filter(q)


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


def task_for_view(scope: Scope, task_pk: Any) -> HumanTask:
    try:
        return visible_tasks(scope).select_related("instance__definition", "claimed_by").get(pk=int(task_pk))
    except (HumanTask.DoesNotExist, ValueError, TypeError):
        raise NotVisible from None


def can_work(scope: Scope, task: HumanTask) -> bool:
    return task.state == HumanTaskState.OPEN and (task.role, task.unit) in scope.pairs


ACTIVE_INSTANCE_STATUSES = (InstanceStatus.RUNNING, InstanceStatus.WAITING, InstanceStatus.INCIDENT)


def can_act(scope: Scope, task: HumanTask) -> bool:
    """May the user complete `task` right now: workable by them, not held by someone else,
    and its case still moving (not suspended, cancelled or finished)."""
    return (can_work(scope, task)
            and task.claimed_by_id in (None, getattr(scope.user, "pk", None))
            and task.instance.status in ACTIVE_INSTANCE_STATUSES)


def task_for_work(scope: Scope, task_pk: Any) -> HumanTask:
    """A task the user may claim/complete; 404 if not visible, 403 if only visible."""
    task = task_for_view(scope, task_pk)
    if (task.role, task.unit) not in scope.pairs:
        raise NotAllowed("Usted puede ver esta tarea, pero no le corresponde trabajarla.")
    return task


def instance_for_view(scope: Scope, instance_pk: Any) -> ProcessInstance:
    try:
        return visible_instances(scope).select_related("definition", "started_by").get(pk=int(instance_pk))
    except (ProcessInstance.DoesNotExist, ValueError, TypeError):
        raise NotVisible from None


def require_admin(scope: Scope) -> None:
    if not scope.admin:
        raise NotAllowed("Esta acción es solo para administradores.")


def latest_definitions() -> QuerySet[ProcessDefinition]:
    """The newest version of every deployed process."""
    newer = ProcessDefinition.objects.filter(key=OuterRef("key"), version__gt=OuterRef("version"))
    return ProcessDefinition.objects.filter(~Exists(newer)).order_by("name")


def startable_definitions(scope: Scope) -> list[ProcessDefinition]:
    return [d for d in latest_definitions().defer("xml") if set(d.start_roles) & scope.roles]


def start_positions(scope: Scope, definition: ProcessDefinition) -> list[Position]:
    """The positions from which the user may start `definition` (the instance belongs to
    the position's unit)."""
    return [p for p in scope.positions if p.role_id in set(definition.start_roles)]
