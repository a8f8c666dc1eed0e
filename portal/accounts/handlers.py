"""The service-task operators of the alta/baja diagrams (processes/accounts/), registered by
`register()` from AccountsConfig.ready():

- `accounts.preparar`: place the request in the org tree, run the pre-checks, fix the deadline.
- `accounts.alta` / `accounts.baja`: create the account and position / end them.
- `accounts.informar`: tell the people concerned (e-mail + Avisos, through the outbox).
- `accounts.enviar_acceso`: e-mail the new user their one-time activation link.
- `accounts.recordatorio`: a task is overdue: remind and escalate (again every
  ACCOUNTS_REMINDER_REPEAT_WORKING_DAYS working days while it stays open).

A diagram calls `accounts.alta` after the verifier approved the request:

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
from django.utils import timezone
from django.utils.translation import gettext as _

from engine.errors import ConflictError, ServiceTaskError
from engine.models import AuditAction, AuditEvent, HumanTask, HumanTaskState, ProcessInstance
from engine.registry import ServiceContext, ServiceHandler, registry
from engine.services import escalate_task
from portal.notify.services import notify
from portal.orgs.models import OrgUnit, Position, Role
from portal.orgs.roles import catalogue
from portal.orgs.selectors import supervisor_unit

from . import prechecks, services
from .procedures import (
    HANDOVER_FAMILIES,
    Request,
    confirmation_working_days,
    failed_requirements,
    reminder_repeat_working_days,
    resolve,
    split_key,
    verification_working_days,
)

# Operator names the diagrams used before they took the app's name (issue 10). An instance
# started on an older deployed version still calls them; remove once none is running.
LEGACY_OPERATORS = {
    "cuentas.preparar": "accounts.preparar",
    "cuentas.informar": "accounts.informar",
    "cuentas.enviar_acceso": "accounts.enviar_acceso",
    "cuentas.recordatorio": "accounts.recordatorio",
}


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
    assert nombres is not None and apellidos is not None and document_number is not None  # _check refused None
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
    summary = _("el usuario %(username)s queda como %(role)s en %(unit)s") % {
        "username": user.get_username(), "role": role_row.name, "unit": unit_row.name}
    if replaced is not None:
        summary += _("; cesó en ese cargo %(name)s (%(document)s)") % {
            "name": replaced["nombre"], "document": replaced["documento"] or replaced["nombre"]}
        if replaced["cuenta_desactivada"]:
            summary += _(", cuya cuenta quedó desactivada")
    if result.email_not_applied:
        summary += _("; el correo de la solicitud no se aplicó: la cuenta ya existía y conserva el correo "
                     "que tiene registrado (solo un administrador lo cambia, con la persona)")
    return {
        "usuario": user.get_username(),
        "user_id": user.pk,
        "position_id": result.position.pk,
        "cuenta_nueva": result.created_user,
        "correo_no_aplicado": result.email_not_applied,
        "reemplazado": replaced,
        "resumen": summary,
        "activacion": _activation(ctx, user, created=result.created_user, send=_flag(send_activation)),
    }


def _activation(ctx: ServiceContext, user: Any, *, created: bool, send: bool) -> str:
    """What becomes of the new user's one-time link. Only an account this case created
    gets one from the procedure: an existing person's account (found by document) is
    theirs, and a request that names them must not open it for whoever filed or handed
    it over; an administrator re-sends its link to the address on file. The link itself
    never enters the case data (the audit keeps it for ever)."""
    if not created:
        return "no_requerida" if user.has_usable_password() else "cuenta_existente"
    if send:
        return services.account_activation_send(user=user, by=_actor(ctx), instance=ctx.instance_id)
    return "pendiente"


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
    assert document_number is not None  # _check refused None
    role_row, unit_row = _role_and_unit(role, unit)
    try:
        result = services.account_baja(
            document_type=document_type, document_number=document_number, role=role_row, unit=unit_row,
            nivel=nivel, by=_actor(ctx), reason=reason or _default_reason(ctx, _("Baja")))
    except services.AccountError as exc:
        raise ServiceTaskError(str(exc)) from exc
    user = result.position.user
    summary = _("%(name)s (%(username)s) cesó como %(role)s en %(unit)s") % {
        "name": user.get_full_name() or user.get_username(), "username": user.get_username(),
        "role": result.position.role.name, "unit": result.position.unit.name}
    if result.deactivated:
        summary += _("; su cuenta quedó desactivada")
    return {
        "usuario": user.get_username(),
        "user_id": user.pk,
        "position_id": result.position.pk,
        "cuenta_desactivada": result.deactivated,
        "tareas_liberadas": result.released_tasks,
        "resumen": summary,
    }


# --- The request's own steps ----------------------------------------------------------------


def _instance(ctx: ServiceContext) -> ProcessInstance:
    return ProcessInstance.objects.select_related("definition", "started_by").get(pk=ctx.instance_id)


def _request_of(ctx: ServiceContext) -> Request:
    data = dict(ctx.data)
    return resolve(data, key=ctx.definition_key, requester_unit=ctx.org_unit,
                   requester_role=str(data.get("solicitante_rol") or ""))


def preparar(ctx: ServiceContext, **unknown: Any) -> dict[str, Any]:
    """Place the request (role, unit, nivel), run the automatic pre-checks and fix the
    verification deadline. Result variable `preparacion`."""
    if unknown:
        raise ServiceTaskError(_("El servicio accounts.preparar no recibe parámetros."))
    request = _request_of(ctx)
    if request.problem or request.role is None or request.unit is None:
        raise ServiceTaskError(request.problem or _("No se pudo ubicar la unidad de la cuenta."))
    data = dict(ctx.data)
    holder = prechecks.holder_info(request)
    return {
        "tramite": request.tramite,
        "rol": request.role.code,
        "rol_nombre": request.role.name,
        "unidad": request.unit.code,
        "unidad_nombre": request.unit.name,
        "nivel": request.nivel,
        "persona": f"{str(data.get('apellidos', '')).upper()}, {data.get('nombres', '')}".strip(", "),
        "correo": str(data.get("correo") or ""),  # optional on some forms: the diagram reads it from here
        "plazo_dias": verification_working_days(),
        "plazo_confirmacion_dias": confirmation_working_days(),
        "recordatorio_cada_dias": reminder_repeat_working_days(),
        "titular": holder,
        "verificaciones": prechecks.run(request, holder),
    }


def _case_context(instance: Any, data: dict[str, Any]) -> dict[str, Any]:
    prep = data.get("preparacion") or {}
    return {
        "expediente": instance.pk,
        "proceso": instance.definition.name or instance.definition.key,
        "persona": prep.get("persona") or f"{data.get('apellidos', '')}, {data.get('nombres', '')}",
        "rol": prep.get("rol_nombre", ""),
        "unidad": prep.get("unidad_nombre", ""),
        "tramite": _("alta") if prep.get("tramite") == "alta" else _("baja"),
    }


def informar(ctx: ServiceContext, *, aviso: str | None = None, **unknown: Any) -> dict[str, Any]:
    """Tell the people the seed says are informed (e-mail + Avisos, through the outbox)."""
    if unknown or aviso not in ("rechazada", "alta", "baja"):
        raise ServiceTaskError(_("accounts.informar necesita el parámetro aviso: rechazada, alta o baja."))
    instance = _instance(ctx)
    data = dict(ctx.data)
    context = _case_context(instance, data)
    link = f"/expedientes/{instance.pk}/"
    requester = instance.started_by
    sent = 0

    def tell(template: str, user: Any, extra: dict[str, Any] | None = None, *, case_link: bool = True) -> None:
        nonlocal sent
        if user is None:
            return
        # Only the requester can open the case page; the person replaced or removed gets
        # the notice without a link to a page they may not see.
        notify(template=template, user=user, instance=instance, link=link if case_link else "",
               context={**context, "nombre": user.get_full_name() or user.get_username(), **(extra or {})})
        sent += 1

    cuenta = data.get("cuenta") or {}
    if aviso == "rechazada":
        failed = failed_requirements(data, f"cuenta_verificar_{instance.definition.key}")
        tell("cuenta_rechazada", requester, {"fallidos": failed,
                                             "observacion_general": str(data.get("observacion_general") or "")})
        return {"estado": "rechazada", "avisos": sent, "fallidos": len(failed)}
    User = get_user_model()  # noqa: N806
    if aviso == "alta":
        tell("cuenta_creada", requester, {"usuario": cuenta.get("usuario", "")})
        new_user = User.objects.filter(pk=cuenta["user_id"]).first() if cuenta.get("user_id") else None
        family = split_key(instance.definition.key)[1]
        if family in HANDOVER_FAMILIES and new_user is not None and new_user != requester and new_user.email:
            # No e-mail carries their link (the acta does): tell them the account exists and who hands it over.
            tell("cuenta_por_entregar", new_user, {"usuario": cuenta.get("usuario", ""),
                                                  "entrega": HANDOVER_FAMILIES[family]}, case_link=False)
        replaced = cuenta.get("reemplazado") or {}
        if replaced.get("user_id"):
            tell("cuenta_reemplazada", User.objects.filter(pk=replaced["user_id"]).first(),
                 {"desactivada": replaced.get("cuenta_desactivada")}, case_link=False)
        return {"estado": "creada", "avisos": sent}
    removed_id = cuenta.get("user_id")
    removed = User.objects.filter(pk=removed_id).first() if removed_id else None
    if removed is not None and removed == requester:
        # A former Director or a member of the staff who asked for their own baja: one
        # notice, the one that says what became of their account.
        tell("cuenta_baja_persona", removed, {"desactivada": cuenta.get("cuenta_desactivada")})
        return {"estado": "baja", "avisos": sent}
    tell("cuenta_baja", requester, {"usuario": cuenta.get("usuario", "")})
    if removed is not None:
        tell("cuenta_baja_persona", removed, {"desactivada": cuenta.get("cuenta_desactivada")}, case_link=False)
    return {"estado": "baja", "avisos": sent}


def enviar_acceso(ctx: ServiceContext, **unknown: Any) -> str:
    """Step D: e-mail the new user their username and a one-time link to set a password."""
    if unknown:
        raise ServiceTaskError(_("El servicio accounts.enviar_acceso no recibe parámetros."))
    cuenta = ctx.data.get("cuenta") or {}
    user_id = cuenta.get("user_id")
    user = get_user_model().objects.filter(pk=user_id).first() if user_id else None
    if user is None:
        raise ServiceTaskError(_("No se encontró la cuenta creada en este expediente."))
    if not cuenta.get("cuenta_nueva"):  # not this case's to open: see _activation
        return "no_requerida" if user.has_usable_password() else "cuenta_existente"
    return services.account_activation_send(user=user, by=_actor(ctx), instance=ctx.instance_id)


def _holders(role_code: str, unit_code: str) -> list[Any]:
    positions = Position.objects.select_related("user").filter(
        role_id=role_code, unit__code=unit_code, until__isnull=True, user__is_active=True)
    return [p.user for p in positions]


# Which open task a reminder is about (the `tarea` parameter), and whom it flags when the
# role has no supervisor in roles.json ("solicitante": the person who asked for the account).
REMINDED_TASKS = ("verificar", "confirmar_recepcion")


def recordatorio(ctx: ServiceContext, *, tarea: str = "verificar", **unknown: Any) -> dict[str, Any]:
    """A task is overdue (the verification, or a new MINEDU user's confirmation of receipt):
    remind whoever must do it and flag it to their supervisor (for the confirmation, the
    requester of the account). The task stays where it is (the timer does not interrupt it)."""
    if unknown or tarea not in REMINDED_TASKS:
        raise ServiceTaskError(_("accounts.recordatorio admite solo el parámetro tarea: %(tasks)s.")
                               % {"tasks": ", ".join(REMINDED_TASKS)})
    instance = _instance(ctx)
    task = HumanTask.objects.filter(instance_id=instance.pk, element_id=tarea,
                                    state=HumanTaskState.OPEN).select_related("claimed_by").first()
    if task is None:
        return {"recordatorio_a": 0, "supervisores": 0}
    # The timer repeats every few working days while the task is open: count the earlier
    # reminders of this very task by its escalations (one per reminder, in the engine's audit).
    number = AuditEvent.objects.filter(instance_id=instance.pk, task_id=task.task_id,
                                       action=AuditAction.ESCALATE).count() + 1
    context = {**_case_context(instance, dict(ctx.data)), "tarea": task.title,
               "vencio": timezone.localtime(task.due_at).strftime("%d/%m/%Y %H:%M") if task.due_at else "",
               "confirmacion": tarea == "confirmar_recepcion", "numero": number,
               # Cases started on a diagram version whose timer fired once promise no repeat.
               "cada_dias": ((ctx.data.get("preparacion") or {}).get("recordatorio_cada_dias")
                             if "working_days_cycle(" in instance.definition.xml else None)}
    link = f"/tareas/{task.pk}/"
    verifiers = [task.claimed_by] if task.claimed_by else [
        u for u in _holders(task.role, task.unit) if u.pk != task.barred_user_id]  # never the filer (four eyes)
    for user in verifiers:
        notify(template="cuenta_recordatorio", user=user, instance=instance, link=link,
               context={**context, "nombre": user.get_full_name() or user.get_username()})
    supervisor_role = catalogue().get(task.role, {}).get("escalates_to") or ""
    if tarea == "confirmar_recepcion":
        supervisors = [instance.started_by] if instance.started_by else []
        supervisor_name = _("quien solicitó la cuenta")
    else:
        unit = supervisor_unit(supervisor_role, task.unit) if supervisor_role else None
        supervisors = _holders(supervisor_role, unit) if unit else []
        supervisor_name = catalogue().get(supervisor_role, {}).get("name", supervisor_role or "—")
    who = ", ".join(u.get_full_name() or u.get_username() for u in verifiers) or _("nadie (puesto sin titular)")
    for user in supervisors:
        notify(template="cuenta_escalada", user=user, instance=instance, link=f"/expedientes/{instance.pk}/",
               context={**context, "nombre": user.get_full_name() or user.get_username(), "responsables": who,
                        "rol_verificador": catalogue().get(task.role, {}).get("name", task.role)})
    note = _("Plazo vencido; se avisó a %(n)s supervisor(es) (%(role)s).") % {
        "n": len(supervisors), "role": supervisor_name}
    if number > 1:
        note = _("%(number)s.º recordatorio: vencida desde el %(since)s; se avisó a %(n)s supervisor(es) "
                 "(%(role)s).") % {"number": number, "since": context["vencio"], "n": len(supervisors),
                                   "role": supervisor_name}
    escalate_task(task_id=task.pk, note=note)
    return {"recordatorio_a": len(verifiers), "supervisores": len(supervisors)}


OPERATORS: dict[str, ServiceHandler] = {
    "accounts.preparar": preparar,
    "accounts.alta": alta,
    "accounts.baja": baja,
    "accounts.informar": informar,
    "accounts.enviar_acceso": enviar_acceso,
    "accounts.recordatorio": recordatorio,
}


def register() -> None:
    """Register every operator with the engine (and the legacy names of running instances)."""
    for name, handler in OPERATORS.items():
        registry.register_service(name, handler)
    for old, name in LEGACY_OPERATORS.items():
        registry.register_service(old, OPERATORS[name])
