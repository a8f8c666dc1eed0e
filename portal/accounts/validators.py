"""Form validators of the alta/baja procedures (registered in AccountsConfig.ready()).

- `solicitud_cuenta` (root of every start form `cuenta_<alta|baja>_<family>`): the
  requester's position may ask for this role in this unit, and every document the
  catalogue asks for is attached. Messages sit on the field to change.
- `verificacion_cuenta` (root of the verification forms): the decision agrees with the
  checklist, and every unmet requirement says why (the requester will read it).
- `fecha_no_futura`: a document cannot be dated after today (Lima).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from engine.models import ProcessInstance
from portal.core import identity
from portal.orgs.models import UnitKind
from portal.orgs.roles import catalogue
from portal.schemaforms.registry import register_validator
from portal.work.selectors import REJECTED, corrected_by, outcomes

from . import prechecks
from .procedures import DOCUMENTS, resolve, split_key, value_at


def fecha_no_futura(value: Any, context: Mapping[str, Any]) -> str | None:
    try:
        day = dt.date.fromisoformat(str(value))
    except ValueError:
        return None  # the `date` format already reported it
    today = timezone.localdate()
    if day > today:
        return _("La fecha no puede ser posterior a hoy (%(today)s).") % {"today": f"{today:%d/%m/%Y}"}
    return None


def _own_dni(position: Any) -> str:
    person = getattr(position.user, "person", None) if position is not None else None
    return person.document_number if person is not None else ""


def _is_own_rejected(pk: Any, user: Any, key: str) -> bool:
    if not isinstance(pk, int) or getattr(user, "pk", None) is None:
        return False
    exists = ProcessInstance.objects.filter(pk=pk, started_by=user, definition__key=key).exists()
    return exists and outcomes([pk]).get(pk) == REJECTED


def solicitud_cuenta(data: Any, context: Mapping[str, Any]) -> str | dict[str, str] | None:
    if not isinstance(data, dict):
        return None
    try:
        tramite, family = split_key(str(context.get("form_key") or ""))
    except ValueError:
        return None  # used on another form: nothing of ours to check
    position = context.get("position")
    if position is None:
        # work.services validates a start form with the position it is filed from; a
        # request cannot be checked without knowing who files it.
        return _("Elija desde cuál de sus cargos presenta la solicitud.")
    errors: dict[str, str] = {}
    request = resolve(data, key=f"{tramite}_{family}", requester_unit=position.unit,
                      requester_role=position.role_id)
    role = request.role
    if family == "dre_ugel" and role is not None and position.unit.kind != role.unit_level:
        # The oficio asks for the DRE's or UGEL's own account: a DRE role from a DRE.
        levels: dict[str, str] = {UnitKind.DRE: "DRE", UnitKind.UGEL: "UGEL"}
        level = levels.get(role.unit_level, role.unit_level)
        errors["rol"] = _("«%(role)s» se solicita desde una %(level)s para sí misma; usted está en %(unit)s.") % {
            "role": role.name, "level": level, "unit": position.unit.name}
        return errors
    if request.problem:
        field = "codigo_modular" if family == "director_ie" else "rol"
        errors[field] = request.problem
        return errors
    assert role is not None and request.unit is not None
    requester_name = catalogue().get(position.role_id, {}).get("name", position.role_id)
    if family == "minedu":
        allowed = (catalogue()[role.code].get("cuentas") or {}).get("solicitan") or []
        if position.role_id not in allowed:
            errors["rol"] = _("Como %(mine)s usted no puede solicitar cuentas de «%(role)s»; las solicita: "
                              "%(who)s.") % {"mine": requester_name, "role": role.name, "who": ", ".join(
                                  catalogue().get(c, {}).get("name", c) for c in allowed)}
    elif family == "director_ie":
        code = str(data.get("codigo_modular") or "").strip()
        if position.unit.kind == UnitKind.IE:
            if code and identity.ie_code(code) != position.unit.code:
                errors["codigo_modular"] = _("Usted solo puede presentar solicitudes de su IE (%(ie)s).") % {
                    "ie": position.unit.name}
            if tramite == "baja" and data.get("dni") != _own_dni(position):
                errors["dni"] = _("La baja del Director la pide el propio Director con su DNI; para otra persona, "
                                  "la UGEL registra el oficio.")
        elif position.unit.kind == UnitKind.UGEL:
            if position.unit.code not in request.unit.ancestor_codes()[:-1]:
                errors["codigo_modular"] = _("La IE %(ie)s no pertenece a su UGEL (%(ugel)s).") % {
                    "ie": request.unit.name, "ugel": position.unit.name}
    elif family == "personal_ie" and position.role_id == "personal_ie":
        if tramite == "alta":
            errors["dni"] = _("El alta del personal la registra el Director de la IE.")
        elif data.get("dni") != _own_dni(position):
            errors["dni"] = _("Usted solo puede pedir su propia baja; la de otra persona la tramita el Director.")
    if tramite == "alta":
        held = prechecks.held_post(request)
        if held is not None:
            errors["dni"] = prechecks.already_holds_message(held)
    corrige = data.get("corrige_a")
    if corrige is not None and not _is_own_rejected(corrige, context.get("user"), f"{tramite}_{family}"):
        errors["corrige_a"] = _("La solicitud N.º %(n)s no es una solicitud suya rechazada de este trámite.") % {
            "n": corrige}
    elif corrige is not None:
        newer = corrected_by(corrige, user_id=context["user"].pk, key=f"{tramite}_{family}")
        if newer:
            errors["corrige_a"] = _("La solicitud N.º %(n)s ya se corrigió con la N.º %(m)s; si esa también fue "
                                    "rechazada, corrija esa.") % {"n": corrige, "m": newer[-1]}
    for code in request.required_documents():
        path, label = DOCUMENTS.get(code, (code, code))
        if not value_at(data, path):
            errors.setdefault(path, _("Adjunte %(doc)s: el procedimiento lo exige para «%(role)s».") % {
                "doc": label, "role": role.name})
    return errors or None


def verificacion_cuenta(data: Any, context: Mapping[str, Any]) -> dict[str, str] | None:
    if not isinstance(data, dict):
        return None
    items = {name: value for name, value in data.items() if name.startswith("req_") and isinstance(value, dict)}
    failed = [name for name, value in items.items() if value.get("cumple") == "no"]
    errors: dict[str, str] = {}
    for name in failed:
        if not str(items[name].get("observacion") or "").strip():
            errors[f"{name}.observacion"] = _("Explique por qué no se cumple: el solicitante leerá esta observación.")
    decision = data.get("cumple_requisitos")
    if decision == "si" and failed:
        errors["cumple_requisitos"] = _("Hay requisitos marcados «No cumple»: la solicitud no puede aprobarse.")
    elif decision == "no" and not failed:
        errors["cumple_requisitos"] = _("Marque qué requisito no se cumple y por qué; el solicitante lo verá.")
    return errors or None


def register() -> None:
    register_validator("fecha_no_futura", fecha_no_futura)
    register_validator("solicitud_cuenta", solicitud_cuenta)
    register_validator("verificacion_cuenta", verificacion_cuenta)
