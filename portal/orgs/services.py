"""Writes on offices and positions. Each service is one transaction with an audit row."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import CharField, Value
from django.db.models.functions import Concat, Substr
from django.utils import timezone
from django.utils.translation import gettext as _

from engine import services as engine
from engine.errors import ConflictError
from engine.models import HumanTask, HumanTaskState, TaskRouting
from portal.core import identity
from portal.core.services import activity_log, api_tokens_revoke_all

from .models import OrgUnit, Position, Role, UnitKind
from .resolver import route, workers

PARENT_KIND = {
    UnitKind.MINEDU_OFFICE: {UnitKind.MINEDU},
    UnitKind.DRE: {UnitKind.MINEDU},
    UnitKind.UGEL: {UnitKind.DRE},
    UnitKind.IE: {UnitKind.UGEL},
    UnitKind.MINEDU: set(),
}


class OrgError(Exception):
    """A change to offices or positions was refused; the message is for the user."""


def _check_unit(unit: OrgUnit) -> None:
    allowed = PARENT_KIND[UnitKind(unit.kind)]
    parent_kind = unit.parent.kind if unit.parent is not None else None
    if allowed and parent_kind not in allowed:
        raise OrgError(_("Una unidad de tipo %(kind)s debe depender de: %(allowed)s.") % {
            "kind": UnitKind(unit.kind).label, "allowed": ", ".join(str(UnitKind(k).label) for k in allowed)})
    if not allowed and unit.parent_id:
        raise OrgError(_("MINEDU es la raíz del árbol y no depende de otra unidad."))
    if unit.kind == UnitKind.IE:
        if not identity.is_codigo_modular(unit.codigo_modular, anexo=False):
            raise OrgError(_("El código modular tiene 7 dígitos."))
        if not identity.is_anexo(unit.anexo):
            raise OrgError(_("El anexo es un dígito (0 para la sede principal)."))
        unit.code = identity.ie_code(unit.codigo_modular, unit.anexo)
        if not (unit.nivel and unit.modalidad and unit.gestion):
            raise OrgError(_("Indique nivel, modalidad y gestión de la IE."))


@transaction.atomic
def unit_save(*, unit: OrgUnit, by: Any) -> OrgUnit:
    """Create or update a unit; moving it re-paths its whole subtree."""
    creating = unit.pk is None
    _check_unit(unit)
    try:
        unit.full_clean(exclude=["path", "parent"], validate_unique=False, validate_constraints=False)
    except ValidationError as exc:
        raise OrgError(" ".join(m for msgs in exc.message_dict.values() for m in msgs)) from exc
    old_path = None if creating else OrgUnit.objects.values_list("path", flat=True).get(pk=unit.pk)
    if unit.parent is not None and old_path is not None and unit.parent.path.startswith(old_path):
        raise OrgError(_("Una unidad no puede depender de sí misma ni de una unidad que depende de ella."))
    unit.path = unit.compute_path()
    try:
        with transaction.atomic():
            unit.save()
    except IntegrityError as exc:
        raise OrgError(_("Ya existe una unidad con el código %(code)s.") % {"code": unit.code}) from exc
    if old_path and old_path != unit.path:  # the whole subtree moves with it, in one UPDATE
        OrgUnit.objects.filter(path__startswith=old_path).exclude(pk=unit.pk).update(
            path=Concat(Value(unit.path), Substr("path", len(old_path) + 1), output_field=CharField()))
    activity_log(actor=by, action="unit_created" if creating else "unit_updated", obj=unit, unit=unit.code,
                 data={"name": unit.name, "kind": unit.kind, "active": unit.active,
                       "parent": unit.parent.code if unit.parent is not None else None})
    return unit


def _validate_assignment(role: Role, unit: OrgUnit, nivel: str) -> str:
    if role.home_unit_code:
        if unit.code != role.home_unit_code:
            raise OrgError(_("El rol «%(role)s» se ejerce en %(home)s.") % {
                "role": role.name, "home": role.home_unit_code})
    elif role.unit_level != unit.kind:
        raise OrgError(_("El rol «%(role)s» se ejerce en una unidad de tipo %(level)s, no en %(kind)s.") % {
            "role": role.name, "level": UnitKind(role.unit_level).label, "kind": UnitKind(unit.kind).label})
    if not unit.active:
        raise OrgError(_("La unidad %(unit)s está inactiva: no se le asignan cargos.") % {"unit": unit})
    if role.per_nivel and not nivel:
        raise OrgError(_("Indique el nivel educativo del especialista."))
    return nivel if role.per_nivel else ""


def current_holder(*, role: Role, unit: OrgUnit, nivel: str = "", lock: bool = False) -> Position | None:
    """The active position for (role, unit, nivel), if any (for one-holder roles, the
    holder). `lock` takes a row lock: call inside the transaction that acts on it."""
    qs = Position.objects.select_related("user").filter(role=role, unit=unit, nivel=nivel, until__isnull=True)
    return (qs.select_for_update(of=("self",)) if lock else qs).first()


def _create(user, role, unit, nivel, by, reason) -> Position:
    try:
        with transaction.atomic():
            return Position.objects.create(user=user, role=role, unit=unit, nivel=nivel, assigned_by=by
                                           if getattr(by, "pk", None) else None, reason=reason[:500])
    except IntegrityError as exc:
        if Position.objects.filter(user=user, role=role, unit=unit, nivel=nivel, until__isnull=True).exists():
            raise OrgError(_("Esta persona ya ocupa ese cargo en esa unidad.")) from exc
        raise OrgError(_("Esta unidad ya tiene un titular activo para este rol; use «Reemplazar».")) from exc


def _log_position(action: str, position: Position, by: Any, **data) -> None:
    activity_log(actor=by, action=action, obj=position, unit=position.unit.code,
                 data={"role": position.role_id, "user": position.user_id, "nivel": position.nivel, **data})


@transaction.atomic
def position_assign(*, user: Any, role: Role, unit: OrgUnit, by: Any, reason: str = "", nivel: str = "") -> Position:
    """Give `user` the role in `unit`. A one-holder role whose unit already has a holder
    is refused (the database refuses it too): replacing is a separate, explicit act."""
    nivel = _validate_assignment(role, unit, nivel)
    if role.one_holder and current_holder(role=role, unit=unit, nivel=nivel, lock=True) is not None:
        raise OrgError(_("Esta unidad ya tiene un titular activo para este rol; use «Reemplazar»."))
    position = _create(user, role, unit, nivel, by, reason)
    _log_position("position_assigned", position, by, reason=reason)
    return_routed_tasks(position=position, by=by)
    return position


def deactivate_if_idle(user: Any, *, by: Any, reason: str) -> bool:
    """Close the account of a user left without active positions (staff and superusers
    keep theirs: they administer without a position). A pending activation link dies
    with it (the unusable password is rotated, which changes the token hash)."""
    user = get_user_model().objects.select_for_update().get(pk=user.pk)
    if user.is_staff or user.is_superuser:
        return False
    if Position.objects.filter(user=user, until__isnull=True).exists():
        return False
    revoked = not user.has_usable_password()
    if not user.is_active and not revoked:
        return True
    user.is_active = False
    if revoked:
        user.set_unusable_password()
    user.save(update_fields=["is_active", "password"])
    api_tokens_revoke_all(user=user, by=by, reason="cuenta_cerrada")
    activity_log(actor=by, action="account_deactivated", obj=user,
                 data={"username": user.username, "reason": reason, "activation_revoked": revoked})
    return True


@transaction.atomic
def release_claimed_tasks(*, user: Any, by: Any, reason: str) -> int:
    """Return to the pool the open tasks `user` has claimed for a (role, unit) they no
    longer hold; each release is an engine REASSIGN audit event. Returns how many."""
    held = set(Position.objects.filter(user=user, until__isnull=True).values_list("role_id", "unit__code"))
    # Lock first, so no completion or re-claim slips in between the choice and the release.
    rows = (HumanTask.objects.select_for_update(no_key=True)
            .filter(claimed_by=user, state=HumanTaskState.OPEN).order_by("pk")
            .values_list("pk", "role", "unit"))
    released = 0
    for pk, role, unit in list(rows):
        if (role, unit) in held:
            continue
        try:
            engine.reassign(task_id=pk, to_user=None, by=by, reason=reason)
        except ConflictError:
            continue
        released += 1
    return released


def flag_unheld_tasks(*, role_code: str, unit: OrgUnit, by: Any) -> int:
    """When nobody may work the open, unclaimed tasks of (role, unit) any more (a baja
    left the post empty), send them up the `escalates_to` chain to the first level that
    someone holds (`resolver.route`), flagged, keeping where they came from; a role with
    nobody above keeps them here, flagged (the supervision tab and the administrators'
    list of tasks without a holder show them) until someone is designated. Returns how
    many were moved or flagged."""
    rows = list(HumanTask.objects.filter(role=role_code, unit=unit.code, state=HumanTaskState.OPEN,
                                         claimed_by__isnull=True)
                .values_list("pk", "nivel", "barred_user_id", "escalated_at"))
    note = _("El puesto quedó sin titular en %(unit)s: nadie puede atender esta tarea hasta que se designe uno.") % {
        "unit": unit.name}
    done = 0
    for pk, nivel, barred, escalated_at in rows:
        if workers(role_code, unit.code, nivel, barred):
            continue
        target = route(role_code, unit.code, nivel=nivel, barred=barred)
        try:
            if (target.role, target.unit) != (role_code, unit.code):
                engine.route_task(task_id=pk, role=target.role, unit=target.unit, note=target.note,
                                  routed=TaskRouting.UNHELD, by=by)
            elif escalated_at is None:
                engine.escalate_task(task_id=pk, note=note, by=by)
            else:
                continue
        except ConflictError:
            continue  # closed or claimed meanwhile
        done += 1
    return done


def return_routed_tasks(*, position: Position, by: Any) -> int:
    """Someone holds (role, unit) again: the tasks sent up for lack of a holder that
    nobody has claimed meanwhile come back (flag cleared, audited). Tasks sent up by four
    eyes stay where they are: the person who filed the case still may not work them.
    Returns how many came back."""
    rows = HumanTask.objects.filter(state=HumanTaskState.OPEN, routed=TaskRouting.UNHELD, claimed_by__isnull=True,
                                    home_role=position.role_id, home_unit=position.unit.code)
    if position.nivel:
        rows = rows.filter(nivel__in=["", position.nivel])
    back = 0
    for pk in list(rows.exclude(barred_user=position.user).values_list("pk", flat=True)):
        try:
            engine.route_task(task_id=pk, role=position.role_id, unit=position.unit.code, by=by,
                              note=_("%(role)s de %(unit)s tiene titular de nuevo.") % {
                                  "role": position.role.name, "unit": position.unit.name})
        except ConflictError:
            continue
        back += 1
    return back


@transaction.atomic
def position_end(*, position: Position, by: Any, reason: str, successor: bool = False) -> Position:
    """End a position. Unless a successor takes it in the same transaction
    (position_replace), tasks left with nobody holding their (role, unit) go up or are flagged."""
    reason = (reason or "").strip()
    if not reason:
        raise OrgError(_("Indique el motivo del cese."))
    position = Position.objects.select_for_update(of=("self",)).select_related("unit", "user").get(pk=position.pk)
    if position.until is not None:
        raise OrgError(_("Este cargo ya terminó."))
    position.until = max(timezone.now(), position.since)
    position.ended_by = by if getattr(by, "pk", None) else None
    position.end_reason = reason[:500]
    position.save(update_fields=["until", "ended_by", "end_reason"])
    _log_position("position_ended", position, by, reason=reason)
    # A token was issued for the remit the person had then: after a baja (or replacement)
    # they ask for a new one, even if other positions remain.
    api_tokens_revoke_all(user=position.user, by=by, reason="baja")
    # Whoever ends a position (baja, replacement, the administration pages): the tasks the
    # person had claimed for it go back to the office's pool, and an account left with
    # no position is closed.
    # Results for the caller, not fields (read by accounts.account_baja and the pages).
    position.released_tasks = release_claimed_tasks(  # type: ignore[attr-defined]
        user=position.user, by=by, reason=reason)
    if not successor:
        flag_unheld_tasks(role_code=position.role_id, unit=position.unit, by=by)
    position.account_deactivated = deactivate_if_idle(  # type: ignore[attr-defined]
        position.user, by=by, reason=reason)
    return position


@transaction.atomic
def position_replace(*, unit: OrgUnit, role: Role, user: Any, by: Any, reason: str, nivel: str = "") -> Position:
    """End the current holder's position (if any) and give the role to `user`, in one
    transaction: there is never a moment with two holders or a half-done change."""
    reason = (reason or "").strip()
    if not reason:
        raise OrgError(_("Indique el motivo del reemplazo."))
    nivel = _validate_assignment(role, unit, nivel)
    current = current_holder(role=role, unit=unit, nivel=nivel, lock=True)
    if current is not None:
        if current.user_id == user.pk:
            raise OrgError(_("Esa persona ya es la titular."))
        current = position_end(position=current, by=by, reason=reason, successor=True)
    position = _create(user, role, unit, nivel, by, reason)
    # The ended position, with released_tasks / account_deactivated (a result, not a field).
    position.replaced = current  # type: ignore[attr-defined]
    _log_position("position_replaced", position, by, reason=reason,
                  previous_user=current.user_id if current else None)
    return_routed_tasks(position=position, by=by)
    return position
