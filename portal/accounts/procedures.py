"""The alta/baja procedures (processes/accounts/): what a request means in the org tree.

A request is read the same way by the start-form validator, by `accounts.preparar` in the
engine step and by the live pre-checks on the verifier's page: `resolve()` turns the form
data, the requesting unit and role into the account's role, unit and nivel. The
service-task operators the diagrams call live in `handlers`; this module imports neither
it nor `prechecks`, which both read requests through it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l

from portal.core import identity
from portal.orgs.models import OrgUnit, Person, Role, UnitKind
from portal.orgs.roles import catalogue
from portal.schemaforms.loader import FormError, load_form

FAMILIES = ("minedu", "dre_ugel", "director_ie", "personal_ie")
# Roles fixed by the family (the form has no `rol` field).
FIXED_ROLE = {"director_ie": "director_ie", "personal_ie": "personal_ie"}
# Section VI of seed 003: who may sign the oficio, by the kind of the requesting unit.
SIGNATORIES: dict[str, tuple[str, ...]] = {
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
# The alta procedures whose new user gets the one-time link on a printed acta de entrega
# (never by e-mail), and who hands it over. The acta is printed only from their hand-over
# step ("entregar"): a step of that name in another process opens no account.
HANDOVER_FAMILIES = {"director_ie": _l("la UGEL"), "personal_ie": _l("el Director o la Directora de su IE")}
HANDOVER_PROCESSES = tuple(f"alta_{family}" for family in HANDOVER_FAMILIES)

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


def confirmation_working_days() -> int:
    return int(getattr(settings, "ACCOUNTS_CONFIRMATION_WORKING_DAYS", 3))


def reminder_repeat_working_days() -> int:
    """An overdue task's reminder repeats every this many working days until it is done."""
    return max(1, int(getattr(settings, "ACCOUNTS_REMINDER_REPEAT_WORKING_DAYS", 2)))


def failed_requirements(data: dict[str, Any], form_key: str) -> list[dict[str, str]]:
    """The verification's «no cumple» items with their titles and observations."""
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


def person_of(dni: str) -> Person | None:
    return Person.objects.select_related("user").filter(document_type="dni", document_number=dni).first() \
        if dni else None
