"""Automatic pre-checks of an account request, shown to the verifier.

Each check is {"codigo", "titulo", "ok": True | False | None (does not apply), "detalle"}.
They run when the request arrives (`accounts.preparar` stores them in the case) and
again, live, every time the verifier opens the task (`live_checks`), so what the
verifier sees is the org tree as it is now: a signatory who left office, a holder
appointed meanwhile.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l

from portal.core import identity
from portal.orgs.models import OrgUnit, Position, Role, UnitKind
from portal.orgs.roles import catalogue
from portal.work.selectors import start_data

from .procedures import DATE_FIELDS, DOCUMENTS, SIGNATORIES, Request, account_rule, person_of, resolve, value_at

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

SIGNATORY_NAMES: dict[str, StrOrPromise] = {
    UnitKind.DRE: _l("el Director de %(unit)s o un Director/Jefe de área de %(unit)s"),
    UnitKind.UGEL: _l("el Director de %(unit)s o un Director/Jefe de área de %(unit)s"),
    UnitKind.IE: _l("el Director de la IE %(unit)s"),
}


def _check(codigo: str, titulo: str, ok: bool | None, detalle: str) -> dict[str, Any]:
    return {"codigo": codigo, "titulo": titulo, "ok": ok, "detalle": detalle}


def _name(user: Any) -> str:
    return user.get_full_name() or user.get_username()


def _active_positions(dni: str) -> list[Position]:
    person = person_of(dni)
    if person is None:
        return []
    return list(Position.objects.select_related("role", "unit", "user").filter(
        user_id=person.user_id, until__isnull=True))


def _who_signs(unit: OrgUnit) -> str:
    return str(SIGNATORY_NAMES.get(unit.kind, _l("una autoridad de %(unit)s"))) % {"unit": unit.name}


def signatory(request: Request) -> dict[str, Any]:
    titulo = _("Firma del oficio (sección VI)")
    oficio = request.data.get("oficio")
    if not isinstance(oficio, dict) or not oficio.get("firmante_dni"):
        return _check("firmante_autorizado", titulo, None, _("La solicitud no lleva oficio."))
    dni = str(oficio["firmante_dni"])
    # The oficio speaks for the unit that asks: the DRE/UGEL itself, or the IE whose
    # Director is being named (a new Director signs with their RD of designation); a UGEL
    # registering a Director's oficio may also have signed it itself (section VI names the
    # UGEL's Director and area heads too).
    unit = request.unit if request.family == "director_ie" else request.requester_unit
    if unit is None:
        return _check("firmante_autorizado", titulo, False, _("No se pudo ubicar la unidad que firma el oficio."))
    units = [unit]
    origin = request.requester_unit
    if request.family == "director_ie" and origin is not None and origin.kind == UnitKind.UGEL \
            and origin.pk != unit.pk:
        units.append(origin)
    if request.family == "director_ie" and request.alta and dni == request.dni:
        return _check("firmante_autorizado", titulo, True,
                      _("Lo firma la persona designada Director(a) por la RD que se adjunta."))
    positions = _active_positions(dni)
    for position in positions:
        for where in units:
            if position.role_id in SIGNATORIES.get(where.kind, ()) and position.unit_id == where.pk:
                return _check("firmante_autorizado", titulo, True, _("Lo firma %(who)s, %(role)s de %(unit)s.") % {
                    "who": _name(position.user), "role": position.role.name, "unit": where.name})
    values = {"dni": dni, "name": oficio.get("firmante_nombre", ""), "unit": unit.name,
              "expected": _("%(first)s o %(second)s") % {"first": _who_signs(units[0]), "second": _who_signs(units[1])}
              if len(units) > 1 else _who_signs(unit),
              "held": "; ".join(f"{p.role.name} en {p.unit.name}" for p in positions)}
    if positions:
        detail = _("El firmante (DNI %(dni)s, %(name)s) es %(held)s: no puede firmar este oficio; debe firmarlo "
                   "%(expected)s.") % values
    else:
        detail = _("El DNI %(dni)s del firmante (%(name)s) no tiene un cargo registrado en el portal; debe firmar "
                   "%(expected)s.") % values
    return _check("firmante_autorizado", titulo, False, detail)


def requesting_unit(request: Request) -> dict[str, Any]:
    titulo = _("Unidad que solicita")
    unit, origin = request.unit, request.requester_unit
    if unit is None or origin is None or request.role is None:
        return _check("unidad_solicitante", titulo, False, request.problem or _("No se pudo ubicar la unidad."))
    if request.family == "minedu":
        allowed = (catalogue().get(request.role.code, {}).get("cuentas") or {}).get("solicitan") or []
        ok = request.requester_role in allowed
        names = ", ".join(catalogue().get(code, {}).get("name", code) for code in allowed)
        return _check("unidad_solicitante", titulo, ok,
                      _("Lo solicita %(who)s (%(unit)s).") % {"who": catalogue().get(request.requester_role, {})
                                                              .get("name", request.requester_role),
                                                              "unit": origin.name}
                      if ok else _("Esta cuenta la solicita: %(names)s.") % {"names": names})
    if origin.pk == unit.pk:
        return _check("unidad_solicitante", titulo, True,
                      _("La solicita la misma unidad donde se ejercerá el cargo (%(unit)s).") % {"unit": unit.name})
    if request.family == "director_ie" and origin.kind == UnitKind.UGEL and origin.code in unit.ancestor_codes():
        return _check("unidad_solicitante", titulo, True,
                      _("La registra %(ugel)s, la UGEL de la IE %(ie)s.") % {"ugel": origin.name, "ie": unit.name})
    return _check("unidad_solicitante", titulo, False,
                  _("La solicita %(origin)s, que no es %(unit)s ni la UGEL de la que depende.") % {
                      "origin": origin.name, "unit": unit.name})


def formats(request: Request) -> list[dict[str, Any]]:
    dni_ok = identity.is_dni(request.dni)
    checks = [_check("formato_dni", _("DNI"), dni_ok,
                     _("DNI de 8 dígitos.") if dni_ok else _("«%(dni)s» no es un DNI de 8 dígitos.") % {
                         "dni": request.dni})]
    email = str(request.data.get("correo") or "").strip()
    if not email:
        needed = request.alta and request.family in ("minedu", "dre_ugel")
        checks.append(_check("formato_correo", _("Correo electrónico"), False if needed else None,
                             _("Falta el correo: el procedimiento lo pide para enviar el usuario.") if needed
                             else _("No se indicó correo: el usuario se entrega con el acta.")))
        return checks
    try:
        validate_email(email)
        checks.append(_check("formato_correo", _("Correo electrónico"), True, email))
    except ValidationError:
        checks.append(_check("formato_correo", _("Correo electrónico"), False,
                             _("«%(email)s» no es un correo válido.") % {"email": email}))
    return checks


def dates(request: Request) -> dict[str, Any]:
    titulo = _("Fechas de los documentos")
    today = timezone.localdate()
    found, future = [], []
    for path, label in DATE_FIELDS.items():
        value = value_at(request.data, path)
        if not value:
            continue
        try:
            day = dt.date.fromisoformat(str(value))
        except ValueError:
            future.append(f"{label}: «{value}»")
            continue
        found.append(f"{label} {day:%d/%m/%Y}")
        if day > today:
            future.append(f"{label} {day:%d/%m/%Y}")
    if not found and not future:
        return _check("fechas", titulo, None, _("La solicitud no lleva documentos fechados."))
    if future:
        return _check("fechas", titulo, False, _("Fechas futuras o inválidas: %(list)s.") % {"list": ", ".join(future)})
    return _check("fechas", titulo, True, _("Ninguna es futura: %(list)s.") % {"list": ", ".join(found)})


def held_post(request: Request) -> Position | None:
    """The person's active position in the post the request names (role, unit, nivel), if any."""
    person = person_of(request.dni)
    if person is None or request.role is None or request.unit is None:
        return None
    return Position.objects.select_related("user", "role", "unit").filter(
        user_id=person.user_id, role=request.role, unit=request.unit, nivel=request.nivel,
        until__isnull=True).first()


def already_holds_message(position: Position) -> str:
    """What the request form says when the person already has the account it asks for."""
    return _("La persona ya tiene el usuario %(user)s para «%(role)s» en %(unit)s (desde el %(since)s): no hay "
             "nada que dar de alta. Si no puede ingresar, pida un enlace nuevo para crear su contraseña.") % {
        "user": position.user.get_username(), "role": position.role.name, "unit": position.unit.name,
        "since": f"{timezone.localtime(position.since):%d/%m/%Y}" if position.since else "—"}


def current_post(request: Request) -> dict[str, Any]:
    titulo = _("Cargo actual de la persona")
    if request.role is None or request.unit is None:
        return _check("cargo_actual", titulo, None, request.problem)
    holds = held_post(request) is not None
    where = {"role": request.role.name, "unit": request.unit.name}
    if request.alta:
        if holds:
            return _check("cargo_actual", titulo, False,
                          _("Ya es %(role)s en %(unit)s: no hay nada que dar de alta.") % where)
        return _check("cargo_actual", titulo, True, _("No es %(role)s en %(unit)s.") % where)
    if holds:
        return _check("cargo_actual", titulo, True, _("Es %(role)s en %(unit)s.") % where)
    return _check("cargo_actual", titulo, False,
                  _("No es %(role)s en %(unit)s: no hay nada que dar de baja.") % where)


def holder_info(request: Request) -> dict[str, Any] | None:
    if request.role is None or request.unit is None:
        return None
    return current_holder_info(request.role, request.unit, request.nivel)


def current_holder_info(role: Role | str, unit: OrgUnit | str, nivel: str = "") -> dict[str, Any] | None:
    """Who holds a one-holder post now: {"position_id", "nombre", "usuario", "desde",
    "desde_texto"}, or None (post free, or a role several people hold)."""
    row = Role.objects.filter(code=role).first() if isinstance(role, str) else role
    if row is None or not row.one_holder:
        return None
    holder = Position.objects.select_related("user").filter(
        role=row, nivel=nivel or "", until__isnull=True,
        **({"unit__code": unit} if isinstance(unit, str) else {"unit": unit})).first()
    if holder is None:
        return None
    return {"position_id": holder.pk, "nombre": _name(holder.user), "usuario": holder.user.get_username(),
            "desde": holder.since.isoformat() if holder.since else "",
            "desde_texto": f"{timezone.localtime(holder.since):%d/%m/%Y}" if holder.since else ""}


def holder_check(request: Request, holder: dict[str, Any] | None) -> dict[str, Any]:
    titulo = _("Titular del puesto")
    if not request.alta:
        return _check("titular", titulo, None, _("Solo se revisa en un alta."))
    if request.role is None or not request.role.one_holder:
        return _check("titular", titulo, None, _("El cargo admite varias personas."))
    if holder is None:
        return _check("titular", titulo, True, _("El puesto está libre."))
    since = holder["desde_texto"]
    return _check("titular", titulo, True, _(
        "Titular actual: %(name)s (%(user)s) desde %(since)s. Al aprobar se le dará de baja y se le avisará.") % {
        "name": holder["nombre"], "user": holder["usuario"], "since": since})


def documents(request: Request) -> dict[str, Any]:
    titulo = _("Documentos adjuntos")
    required = request.required_documents()
    if not required:
        return _check("documentos", titulo, None, _("Este trámite no pide documentos."))
    missing = [str(DOCUMENTS[code][1]) for code in required
               if code in DOCUMENTS and not value_at(request.data, DOCUMENTS[code][0])]
    if missing:
        return _check("documentos", titulo, False, _("Falta: %(list)s.") % {"list": ", ".join(missing)})
    return _check("documentos", titulo, True, _("Están todos: %(list)s.") % {
        "list": ", ".join(str(DOCUMENTS[c][1]) for c in required if c in DOCUMENTS)})


_UNSET: Any = object()


def prechecks(data: dict[str, Any], requester_unit: OrgUnit | str | None, role: Role | str, unit: OrgUnit | str,
              nivel: str, tramite: str, *, requester_role: str = "") -> list[dict[str, Any]]:
    """The pre-checks of a request already placed in the tree (`role` at `unit`, `nivel`),
    filed from `requester_unit` by `requester_role` (default: the start data's
    `solicitante_rol`). `tramite` is "alta" or "baja"."""
    if isinstance(role, str):
        role = Role.objects.get(code=role)
    if isinstance(unit, str):
        unit = OrgUnit.objects.get(code=unit)
    if isinstance(requester_unit, str):
        requester_unit = OrgUnit.objects.filter(code=requester_unit).first()
    family = str((account_rule(role.code) or {}).get("procedimiento") or "")
    request = Request(tramite=tramite, family=family, role=role, unit=unit, nivel=nivel or "",
                      requester_unit=requester_unit,
                      requester_role=requester_role or str(data.get("solicitante_rol") or ""),
                      dni=str(data.get("dni") or ""), data=data)
    return run(request)


def run(request: Request, holder: Any = _UNSET) -> list[dict[str, Any]]:
    holder = holder_info(request) if holder is _UNSET else holder
    return [signatory(request), requesting_unit(request), *formats(request), dates(request),
            current_post(request), holder_check(request, holder), documents(request)]


def live_checks(instance: Any) -> dict[str, Any]:
    """The pre-checks for the open verification of `instance`, computed now, and the
    holder the verifier sees (`titular_visto`, echoed back by the verification form)."""
    data = start_data(instance)
    request = resolve(data, key=instance.definition.key, requester_unit=OrgUnit.objects.filter(
        code=instance.org_unit).first(), requester_role=str(data.get("solicitante_rol") or ""))
    holder = holder_info(request)
    return {
        "verificaciones": run(request, holder),
        "titular": holder,
        "titular_visto": str(holder["position_id"]) if holder else "ninguno",
    }
