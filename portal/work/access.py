"""Who may see and do what with tasks, instances, processes and their documents.

One rule set for the pages and the API; the user's scope (positions, supervision,
administration) comes from portal.orgs.access. Records outside a user's remit answer
exactly like records that do not exist (NotVisible → 404). Rules:
- a task is workable (claim, complete) by holders of its (role, unit) — of its nivel,
  when it has one — except the person it is barred to (four eyes: who filed the case);
- supervisors see, read-only, the tasks and instances of their remit;
- administrators see everything and may administer;
- a person always sees the instances they started, and may correct the ones rejected;
- documents are read through the case they belong to.
"""

from __future__ import annotations

import uuid
from functools import reduce
from operator import or_
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.db.models.expressions import Combinable
from django.utils.translation import gettext as _

from engine.models import (
    HumanTask,
    HumanTaskState,
    InstanceStatus,
    ProcessDefinition,
    ProcessInstance,
)
from engine.services import four_eyes_refusal
from portal.orgs.access import Scope, pairs_q, subtree_codes
from portal.orgs.models import Position
from portal.schemaforms.models import Document
from portal.schemaforms.selectors import documents_of
from portal.shared.errors import NotAllowed, NotVisible

from .models import CaseDocument


def workable_q(scope: Scope) -> Q:
    """Task rows the user may work: of a (role, unit) they hold — a position held by
    nivel takes that nivel's tasks and those without one — and not barred to them. Plain
    column tests the inbox index covers (role, unit, …, nivel, barred_user)."""
    held = sorted({(p.role_id, p.unit.code, p.nivel) for p in scope.positions})
    if not held:
        return Q(pk__in=[])
    q = reduce(or_, (Q(role=r, unit=u, nivel__in=["", n]) if n else Q(role=r, unit=u) for r, u, n in held))
    user_id = getattr(scope.user, "pk", None)
    return q & ~Q(barred_user_id=user_id) if user_id is not None else q


def workable_tasks(scope: Scope) -> QuerySet[HumanTask]:
    """Open tasks this user may claim or complete."""
    return HumanTask.objects.filter(workable_q(scope), state=HumanTaskState.OPEN)


def _holds_for(scope: Scope, task: HumanTask) -> bool:
    """The user holds the task's (role, unit), of its nivel if it has one."""
    return any(p.role_id == task.role and p.unit.code == task.unit and (not p.nivel or task.nivel in ("", p.nivel))
               for p in scope.positions)


def _barred(scope: Scope, task: HumanTask) -> bool:
    return task.barred_user_id is not None and task.barred_user_id == getattr(scope.user, "pk", None)


def visible_tasks(scope: Scope) -> QuerySet[HumanTask]:
    qs = HumanTask.objects.all()
    if scope.sees_everything:
        return qs
    q = pairs_q(scope.pairs)
    if scope.subtree_paths:
        q |= Q(unit__in=subtree_codes(scope.subtree_paths))
    return qs.filter(q)


def visible_task_ids(scope: Scope, task_ids: list[int]) -> set[int]:
    """Which of `task_ids` the user may open (the case page links only those)."""
    if not task_ids:
        return set()
    return set(visible_tasks(scope).filter(pk__in=task_ids).values_list("pk", flat=True))


def visible_instances(scope: Scope) -> QuerySet[ProcessInstance]:
    qs = ProcessInstance.objects.all()
    if scope.sees_everything:
        return qs
    # Q | Exists is a Q at run time; the stubs type it as a Combinable.
    q: Q | Combinable = Q(started_by=scope.user) if getattr(scope.user, "pk", None) else Q(pk__in=[])
    if scope.pairs:
        q |= Exists(HumanTask.objects.filter(pairs_q(scope.pairs), instance=OuterRef("pk")))
    if scope.subtree_paths:
        codes = subtree_codes(scope.subtree_paths)
        q |= Q(org_unit__in=codes) | Exists(HumanTask.objects.filter(instance=OuterRef("pk"), unit__in=codes))
    return qs.filter(q)


def task_for_view(scope: Scope, task_pk: Any) -> HumanTask:
    try:
        return visible_tasks(scope).select_related("instance__definition", "claimed_by").get(pk=int(task_pk))
    except (HumanTask.DoesNotExist, ValueError, TypeError):
        raise NotVisible from None


def can_work(scope: Scope, task: HumanTask) -> bool:
    return task.state == HumanTaskState.OPEN and _holds_for(scope, task) and not _barred(scope, task)


ACTIVE_INSTANCE_STATUSES = (InstanceStatus.RUNNING, InstanceStatus.WAITING, InstanceStatus.INCIDENT)


def can_act(scope: Scope, task: HumanTask) -> bool:
    """May the user complete `task` right now: workable by them, not held by someone else,
    and its case still moving (not suspended, cancelled or finished)."""
    return not work_refusal(scope, task) and task.instance.status in ACTIVE_INSTANCE_STATUSES


def task_for_work(scope: Scope, task_pk: Any) -> HumanTask:
    """A task the user may claim/complete; 404 if not visible, 403 if only visible."""
    task = task_for_view(scope, task_pk)
    if _barred(scope, task):  # said first: whether or not the task went up, this is why
        raise NotAllowed(four_eyes_refusal())
    if not _holds_for(scope, task):
        raise NotAllowed(_("Usted puede ver esta tarea, pero no le corresponde trabajarla."))
    return task


def work_refusal(scope: Scope, task: HumanTask) -> str:
    """Why the user may not complete `task` now ("" if they may), checked before their
    answer is read so nothing is stored for a task that is not theirs any more. The
    engine checks the same again inside the step, with the rows locked."""
    if _barred(scope, task):
        return four_eyes_refusal()
    if not can_work(scope, task):
        return _("Esta tarea ya no está pendiente.")
    if task.claimed_by_id not in (None, getattr(scope.user, "pk", None)):
        return _("Otra persona tomó esta tarea; ya no puede completarla usted.")
    return ""


def instance_for_view(scope: Scope, instance_pk: Any) -> ProcessInstance:
    try:
        return visible_instances(scope).select_related("definition", "started_by").get(pk=int(instance_pk))
    except (ProcessInstance.DoesNotExist, ValueError, TypeError):
        raise NotVisible from None


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


def definition_for_start(scope: Scope, key: str) -> tuple[ProcessDefinition, list[Position]]:
    """The latest version of process `key` and the user's positions that may start it;
    404 if no such process, 403 if none of their positions may."""
    definition = latest_definitions().filter(key=key).first()
    if definition is None:
        raise NotVisible
    positions = start_positions(scope, definition)
    if not positions:
        raise NotAllowed(_("Su cargo no le permite iniciar este trámite."))
    return definition, positions


def may_correct(scope: Scope, instance: ProcessInstance, *, rejected: bool, startable: set[str] | None = None,
                corrected: bool = False) -> bool:
    """May the user file a corrected request from `instance`: it is theirs, it was
    rejected (the caller read its outcome), and its process can still be started with a
    form. `startable`: the keys of the latest definitions, when a whole page is checked."""
    if not rejected or corrected or instance.started_by_id != getattr(scope.user, "pk", None):
        return False
    if not instance.definition.start_form_key:
        return False
    if startable is None:
        return latest_definitions().filter(key=instance.definition.key).exists()
    return instance.definition.key in startable


def case_document_ids(instance: ProcessInstance) -> set[uuid.UUID]:
    """The documents that belong to a case: the ones its forms attached through a document
    field (CaseDocument rows, written with the answer). A UUID mentioned anywhere else in
    the case data (observaciones) does not make a document the case's."""
    return set(CaseDocument.objects.filter(instance=instance).values_list("document_id", flat=True))


def document_for_case(scope: Scope, instance_pk: Any, document_pk: uuid.UUID) -> tuple[ProcessInstance, Document]:
    """A document of a case the user sees; 404 for any other, whether or not it exists."""
    instance = instance_for_view(scope, instance_pk)
    if not CaseDocument.objects.filter(instance=instance, document_id=document_pk).exists():
        raise NotVisible
    document = documents_of([document_pk]).first()
    if document is None:
        raise NotVisible
    return instance, document


def upload_form_keys(scope: Scope) -> set[str]:
    """Forms the user may upload documents for: the start forms of the processes they
    may start and the forms of the tasks they may work."""
    keys = {d.start_form_key for d in startable_definitions(scope)}
    keys |= set(workable_tasks(scope).values_list("form_key", flat=True).distinct())
    return keys - {""}


def require_upload_form(scope: Scope, form_key: str) -> None:
    if form_key not in upload_form_keys(scope):
        raise NotAllowed(_("Solo puede subir documentos para los formularios de trámites que usted inicia "
                           "o de tareas que le corresponden."))
