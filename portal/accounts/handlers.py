"""Service-task handlers `accounts.alta` and `accounts.baja` (registered in AccountsConfig.ready).

A diagram calls them after the verifier approved the request:

    <spiffworkflow:serviceTaskOperator id="accounts.alta" resultVariable="cuenta">
      <spiffworkflow:parameters>
        <spiffworkflow:parameter id="nombres" type="str" value="nombres"/>
        <spiffworkflow:parameter id="role" type="str" value="'director_ie'"/>
        <spiffworkflow:parameter id="unit" type="str" value="unidad_origen"/>
        ...

They run inside the step's transaction; a refusal raises ServiceTaskError with the
Spanish message, the engine records an incident and the step (and any account change
made in it) rolls back. The actor is the person who completed the previous task.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.utils.translation import gettext as _

from engine.errors import ConflictError, ServiceTaskError
from engine.registry import ServiceContext
from portal.orgs.models import OrgUnit, Role

from . import services


def _check(operator: str, required: dict[str, Any], unknown: dict[str, Any]) -> None:
    if unknown:
        raise ServiceTaskError(_("El servicio %(op)s no reconoce los parámetros: %(names)s.") % {
            "op": operator, "names": ", ".join(sorted(unknown))})
    missing = [name for name, value in required.items() if value is None or value == ""]
    if missing:
        raise ServiceTaskError(_("Al servicio %(op)s le faltan los parámetros: %(names)s.") % {
            "op": operator, "names": ", ".join(missing)})


def _actor(ctx: ServiceContext) -> Any:
    if ctx.actor_id is None:
        return None
    return get_user_model().objects.filter(pk=ctx.actor_id).first()


def _role_and_unit(role: Any, unit: Any) -> tuple[Role, OrgUnit]:
    role_row = Role.objects.filter(code=str(role)).first()
    if role_row is None:
        raise ServiceTaskError(_("El rol «%(role)s» no existe.") % {"role": role})
    unit_row = OrgUnit.objects.filter(code=str(unit)).first()
    if unit_row is None:
        raise ServiceTaskError(_("No existe una unidad con el código «%(code)s».") % {"code": unit})
    return role_row, unit_row


def _flag(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in {"1", "true", "si", "sí", "yes"}
    return bool(value)


def _default_reason(ctx: ServiceContext, what: str) -> str:
    ref = ctx.business_key or f"{ctx.definition_key} n.º {ctx.instance_id}"
    return _("%(what)s aprobada en el trámite %(ref)s") % {"what": what, "ref": ref}


def alta(ctx: ServiceContext, *, nombres: str | None = None, apellidos: str | None = None,
         document_number: str | None = None, document_type: str = "dni", email: str = "",
         role: str | None = None, unit: str | None = None, nivel: str = "", reason: str = "",
         replace_holder: Any = None, expected_holder: Any = None, send_activation: Any = True,
         **unknown: Any) -> dict[str, Any]:
    """Create (or reuse) the person's account and give them the position. For a one-holder
    role `replace_holder` defaults to True: approving the request approved the replacement.

    `expected_holder` is the post as the verifier saw it: "ninguno" (no holder) or the
    holder's Position id. If the post changed meanwhile the step is refused with a
    ConflictError (no incident: the verifier looks again and decides). With
    `send_activation` false the diagram sends the activation link in a later step (or
    hands it over on the acta de entrega)."""
    _check("accounts.alta", {"nombres": nombres, "apellidos": apellidos, "document_number": document_number,
                             "role": role, "unit": unit}, unknown)
    role_row, unit_row = _role_and_unit(role, unit)
    replace = role_row.one_holder if replace_holder is None else _flag(replace_holder)
    try:
        result = services.account_alta(
            nombres=nombres, apellidos=apellidos, document_type=document_type, document_number=document_number,
            email=email, role=role_row, unit=unit_row, nivel=nivel, by=_actor(ctx),
            reason=reason or _default_reason(ctx, _("Alta")), replace_holder=replace,
            expected_holder=_expected_holder(expected_holder))
    except services.HolderConflict as exc:
        raise ConflictError(str(exc)) from exc
    except services.AccountError as exc:
        raise ServiceTaskError(str(exc)) from exc
    user = result.user
    replaced = None
    if result.replaced is not None:
        old = result.replaced.user
        person = getattr(old, "person", None)
        replaced = {"nombre": old.get_full_name() or old.get_username(),
                    "documento": person.masked_document if person else "",
                    "user_id": old.pk, "cuenta_desactivada": result.replaced_deactivated,
                    "tareas_liberadas": result.released_tasks}
    return {
        "usuario": user.get_username(),
        "user_id": user.pk,
        "position_id": result.position.pk,
        "cuenta_nueva": result.created_user,
        "reemplazado": replaced,
        # The link itself never enters the case data (the audit keeps it for ever).
        "activacion": (services.account_activation_send(user=user, by=_actor(ctx), instance=ctx.instance_id)
                       if _flag(send_activation) else "pendiente"),
    }


def _expected_holder(value: Any) -> Any:
    """"ninguno" → None (no holder); a Position id → int; empty → not checked."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return services.UNCHECKED
    text = str(value).strip().lower()
    if text == "ninguno":
        return None
    if text.isdigit():
        return int(text)
    raise ServiceTaskError(_("El dato del titular verificado no es válido: %(value)s.") % {"value": value})


def baja(ctx: ServiceContext, *, document_number: str | None = None, document_type: str = "dni",
         role: str | None = None, unit: str | None = None, nivel: str = "", reason: str = "",
         **unknown: Any) -> dict[str, Any]:
    """End the person's position; with no position left their account is deactivated."""
    _check("accounts.baja", {"document_number": document_number, "role": role, "unit": unit}, unknown)
    role_row, unit_row = _role_and_unit(role, unit)
    try:
        result = services.account_baja(
            document_type=document_type, document_number=document_number, role=role_row, unit=unit_row,
            nivel=nivel, by=_actor(ctx), reason=reason or _default_reason(ctx, _("Baja")))
    except services.AccountError as exc:
        raise ServiceTaskError(str(exc)) from exc
    user = result.position.user
    return {
        "usuario": user.get_username(),
        "user_id": user.pk,
        "position_id": result.position.pk,
        "cuenta_desactivada": result.deactivated,
        "tareas_liberadas": result.released_tasks,
    }
