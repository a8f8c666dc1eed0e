"""The alta/baja procedures (processes/accounts/): what a request means in the org tree,
and the service-task handlers the diagrams call.

A request is read the same way by the start-form validator, by `cuentas.preparar` in the
engine step and by the live pre-checks on the verifier's page: `resolve()` turns the form
data, the requesting unit and role into the account's role, unit and nivel.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l

from engine.errors import ServiceTaskError
from engine.registry import ServiceContext
from portal.core import identity
from portal.orgs.models import OrgUnit, Person, Position, Role, UnitKind
from portal.orgs.roles import catalogue

FAMILIES = ("minedu", "dre_ugel", "director_ie", "personal_ie")
# Roles fixed by the family (the form has no `rol` field).
FIXED_ROLE = {"director_ie": "director_ie", "personal_ie": "personal_ie"}
# Section VI of seed 003: who may sign the oficio, by the kind of the requesting unit.
SIGNATORIES = {
    UnitKind.DRE: ("director_dre", "jefe_area_dre"),
    UnitKind.UGEL: ("director_ugel", "jefe_area_ugel"),
    UnitKind.IE: ("director_ie",),
}
# Document codes of the catalogue → where the start form keeps them and how to name them.
DOCUMENTS = {
    "correo_solicitud": ("correo_solicitud", _l("el correo de solicitud")),
    "formulario_s09": ("formulario_s09", _l("el formulario S09")),
    "oficio": ("oficio.archivo", _l("el oficio escaneado")),
    "rd": ("rd.archivo", _l("la RD de designación")),
    "solicitud": ("solicitud.archivo", _l("la solicitud de la persona")),
    "copia_dni": ("copia_dni", _l("la copia del DNI")),
    "especialista_siagie_ugel": ("especialista_siagie_ugel.dni",
                                 _l("el Especialista SIAGIE de la UGEL que nombra el oficio")),
}
DATE_FIELDS = {"oficio.fecha": _l("fecha del oficio"), "rd.fecha": _l("fecha de la RD"),
               "correo_solicitud.fecha": _l("fecha del correo"), "solicitud.fecha": _l("fecha de la solicitud")}


# --- Reading the catalogue and a request ---------------------------------------------------


def split_key(key: str) -> tuple[str, str]:
    """"alta_dre_ugel" or "cuenta_alta_dre_ugel" → ("alta", "dre_ugel")."""
    key = key.removeprefix("cuenta_").removeprefix("verificar_")
    tramite, _sep, family = key.partition("_")
    if tramite not in ("alta", "baja") or family not in FAMILIES:
        raise ValueError(f"not an account procedure: {key!r}")
    return tramite, family


def account_rule(role_code: str) -> dict[str, Any]:
    return catalogue().get(role_code, {}).get("cuentas") or {}


def roles_of_family(family: str) -> list[str]:
    return [code for code, entry in catalogue().items() if (entry.get("cuentas") or {}).get("procedimiento") == family]


def value_at(data: Any, path: str) -> Any:
    for part in path.split("."):
        if not isinstance(data, dict):
            return None
        data = data.get(part)
    return data


@dataclass
class Request:
    """An account request placed in the org tree. `problem` says (in Spanish) why it
    cannot be placed; the rest is then partial."""

    tramite: str
    family: str
    role: Role | None = None
    unit: OrgUnit | None = None
    nivel: str = ""
    requester_unit: OrgUnit | None = None
    requester_role: str = ""
    problem: str = ""
    dni: str = ""
    data: dict[str, Any] = field(default_factory=dict)

    @property
    def alta(self) -> bool:
        return self.tramite == "alta"

    def required_documents(self) -> list[str]:
        """The catalogue's documents for this role, as this requester files them: a UGEL
        registering a Director's baja attaches its oficio instead of the DNI copy; a
        member of the staff asking for their own baja needs no solicitud."""
        if self.role is None:
            return []
        docs = list(account_rule(self.role.code).get(f"documentos_{self.tramite}") or [])
        if self.family == "director_ie" and not self.alta and self.requester_role == "especialista_siagie_ugel":
            docs = ["oficio" if d == "copia_dni" else d for d in docs]
        if self.family == "personal_ie" and not self.alta and self.requester_role == "personal_ie":
            docs = [d for d in docs if d != "solicitud"]
        return docs


def resolve(data: dict[str, Any], *, key: str, requester_unit: OrgUnit | str | None,
            requester_role: str) -> Request:
    tramite, family = split_key(key)
    if isinstance(requester_unit, str):
        requester_unit = OrgUnit.objects.filter(code=requester_unit).first()
    request = Request(tramite=tramite, family=family, requester_unit=requester_unit,
                      requester_role=requester_role or "", dni=str(data.get("dni") or ""), data=data)
    code = FIXED_ROLE.get(family) or str(data.get("rol") or "")
    if code not in roles_of_family(family):
        request.problem = _("El cargo «%(role)s» no se tramita por este procedimiento.") % {"role": code}
        return request
    request.role = role = Role.objects.get(code=code)
    if role.per_nivel:
        request.nivel = str(data.get("nivel") or "")
    if family == "minedu":
        request.unit = OrgUnit.objects.filter(code=role.home_unit_code).first()
    elif family == "director_ie" and requester_unit is not None and requester_unit.kind == UnitKind.UGEL:
        code_ie = identity.ie_code(data.get("codigo_modular"))
        request.unit = OrgUnit.objects.filter(kind=UnitKind.IE, code=code_ie).first() if code_ie else None
        if request.unit is None:
            request.problem = (_("No hay una IE registrada con el código modular «%(code)s».") % {"code": code_ie}
                               if code_ie else _("Indique el código modular de la IE."))
    else:
        request.unit = requester_unit
    if request.unit is not None and not request.problem and request.unit.kind != role.unit_level \
            and not role.home_unit_code:
        request.problem = _("«%(role)s» no se ejerce en %(unit)s.") % {"role": role.name, "unit": request.unit}
    return request


def verification_working_days() -> int:
    return int(getattr(settings, "ACCOUNTS_VERIFICATION_WORKING_DAYS", 3))


# --- Service-task handlers ---------------------------------------------------------------------


def _instance(ctx: ServiceContext):
    from engine.models import ProcessInstance

    return ProcessInstance.objects.select_related("definition", "started_by").get(pk=ctx.instance_id)


def _actor(ctx: ServiceContext) -> Any:
    if ctx.actor_id is None:
        return None
    return get_user_model().objects.filter(pk=ctx.actor_id).first()


def _request_of(ctx: ServiceContext) -> Request:
    data = dict(ctx.data)
    return resolve(data, key=ctx.definition_key, requester_unit=ctx.org_unit,
                   requester_role=str(data.get("solicitante_rol") or ""))


def preparar(ctx: ServiceContext, **unknown: Any) -> dict[str, Any]:
    """Place the request (role, unit, nivel), run the automatic pre-checks and fix the
    verification deadline. Result variable `preparacion`."""
    from . import prechecks

    if unknown:
        raise ServiceTaskError(_("El servicio cuentas.preparar no recibe parámetros."))
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


def failed_requirements(data: dict[str, Any], form_key: str) -> list[dict[str, str]]:
    """The verification's «no cumple» items with their titles and observations."""
    from portal.schemaforms.loader import FormError, load_form

    try:
        properties = load_form(form_key).schema.get("properties", {})
    except FormError:
        properties = {}
    failed = []
    for name, value in data.items():
        if name.startswith("req_") and isinstance(value, dict) and value.get("cumple") == "no":
            title = (properties.get(name) or {}).get("title") or name
            failed.append({"requisito": title, "observacion": str(value.get("observacion") or "")})
    return failed


def informar(ctx: ServiceContext, *, aviso: str | None = None, **unknown: Any) -> dict[str, Any]:
    """Tell the people the seed says are informed (e-mail + Avisos, through the outbox)."""
    from portal.notify.services import notify

    if unknown or aviso not in ("rechazada", "alta", "baja"):
        raise ServiceTaskError(_("cuentas.informar necesita el parámetro aviso: rechazada, alta o baja."))
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
        replaced = cuenta.get("reemplazado") or {}
        if replaced.get("user_id"):
            tell("cuenta_reemplazada", User.objects.filter(pk=replaced["user_id"]).first(),
                 {"desactivada": replaced.get("cuenta_desactivada")}, case_link=False)
        return {"estado": "creada", "avisos": sent}
    removed = User.objects.filter(pk=cuenta.get("user_id")).first() if cuenta.get("user_id") else None
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
    from . import services

    if unknown:
        raise ServiceTaskError(_("El servicio cuentas.enviar_acceso no recibe parámetros."))
    user_id = (ctx.data.get("cuenta") or {}).get("user_id")
    user = get_user_model().objects.filter(pk=user_id).first() if user_id else None
    if user is None:
        raise ServiceTaskError(_("No se encontró la cuenta creada en este expediente."))
    return services.account_activation_send(user=user, by=_actor(ctx), instance=ctx.instance_id)


def _holders(role_code: str, unit_code: str) -> list[Any]:
    positions = Position.objects.select_related("user").filter(
        role_id=role_code, unit__code=unit_code, until__isnull=True, user__is_active=True)
    return [p.user for p in positions]


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


def recordatorio(ctx: ServiceContext, **unknown: Any) -> dict[str, Any]:
    """The verification is overdue: remind the verifier and flag it to their supervisor.
    The task stays where it is (the timer does not interrupt it)."""
    from engine.models import HumanTask, HumanTaskState
    from engine.services import escalate_task
    from portal.notify.services import notify

    if unknown:
        raise ServiceTaskError(_("El servicio cuentas.recordatorio no recibe parámetros."))
    instance = _instance(ctx)
    task = HumanTask.objects.filter(instance_id=instance.pk, element_id="verificar",
                                    state=HumanTaskState.OPEN).select_related("claimed_by").first()
    if task is None:
        return {"recordatorio_a": 0, "supervisores": 0}
    context = {**_case_context(instance, dict(ctx.data)), "tarea": task.title,
               "vencio": timezone.localtime(task.due_at).strftime("%d/%m/%Y %H:%M") if task.due_at else ""}
    link = f"/tareas/{task.pk}/"
    verifiers = [task.claimed_by] if task.claimed_by else _holders(task.role, task.unit)
    for user in verifiers:
        notify(template="cuenta_recordatorio", user=user, instance=instance, link=link,
               context={**context, "nombre": user.get_full_name() or user.get_username()})
    supervisor_role = catalogue().get(task.role, {}).get("escalates_to") or ""
    unit = supervisor_unit(supervisor_role, task.unit) if supervisor_role else None
    supervisors = _holders(supervisor_role, unit) if unit else []
    who = ", ".join(u.get_full_name() or u.get_username() for u in verifiers) or _("nadie (puesto sin titular)")
    for user in supervisors:
        notify(template="cuenta_escalada", user=user, instance=instance, link=f"/expedientes/{instance.pk}/",
               context={**context, "nombre": user.get_full_name() or user.get_username(), "responsables": who,
                        "rol_verificador": catalogue().get(task.role, {}).get("name", task.role)})
    note = _("Plazo vencido; se avisó a %(n)s supervisor(es) (%(role)s).") % {
        "n": len(supervisors), "role": catalogue().get(supervisor_role, {}).get("name", supervisor_role or "—")}
    escalate_task(task_id=task.pk, note=note)
    return {"recordatorio_a": len(verifiers), "supervisores": len(supervisors)}


def person_of(dni: str) -> Person | None:
    return Person.objects.select_related("user").filter(document_type="dni", document_number=dni).first() \
        if dni else None


def register() -> None:
    from engine.registry import registry

    registry.register_service("cuentas.preparar", preparar)
    registry.register_service("cuentas.informar", informar)
    registry.register_service("cuentas.enviar_acceso", enviar_acceso)
    registry.register_service("cuentas.recordatorio", recordatorio)
