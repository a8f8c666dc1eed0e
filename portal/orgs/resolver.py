"""Lane resolution: which (role, unit) gets a READY user task.

Role: property `roleFrom` (a dotted path in the task data holding a role code, for a
step whose role depends on the request), else the `role` property, else the lane name
(a role code from roles.json).
Unit, first that applies:
1. property `unit`: a fixed unit code;
2. property `unitFrom`: a dotted path in the task data holding a unit code
   (`preparacion.unidad`);
3. the role's fixed MINEDU office (roles.json `unit`, e.g. Administrador SIAGIE → MINEDU-UE);
4. the instance's unit if it is at the role's level, else its ancestor at that level
   (an IE's request verified by the Especialista SIAGIE UGEL goes to that IE's UGEL).
Nivel (per_nivel roles only): property `nivel` (fixed) or `nivelFrom` (a data path);
only that nivel's holders work the task.
A unit that does not exist or is the wrong kind is a LookupError: the engine turns it
into an incident an administrator can fix, never a task nobody sees.

Then, who is there: if nobody holds (role, unit[, nivel]) now, or the only holders are
the person the task is barred to (four eyes: they filed the case), the task goes up the
`escalates_to` chain (roles.json) to the first level someone else holds, in the
supervising unit (`supervisor_unit`), flagged with a note saying why; with nobody up
the chain it stays where the diagram put it, flagged (the administrators' list of
tasks without a holder shows it).
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from engine.models import TaskRouting
from engine.registry import Candidate, LaneContext, data_path

from .models import OrgUnit, UnitKind
from .roles import catalogue, role_name
from .selectors import holder_ids, supervisor_unit, unit_names

LEVEL_NAMES: dict[str, str] = {
    UnitKind.MINEDU: "MINEDU", UnitKind.MINEDU_OFFICE: "oficina de MINEDU",
    UnitKind.DRE: "DRE", UnitKind.UGEL: "UGEL", UnitKind.IE: "IE",
}


class OrgLaneResolver:
    def known_roles(self) -> set[str]:
        return set(catalogue())

    def per_nivel_roles(self) -> set[str]:
        return {code for code, role in catalogue().items() if role.get("per_nivel")}

    def holds(self, *, role: str, unit: str, nivel: str, user_id: int) -> bool:
        return user_id in holder_ids(role, unit, nivel)

    def resolve(self, ctx: LaneContext) -> Candidate:
        home = self._home(ctx)
        return route(home.role, home.unit, nivel=home.nivel, barred=ctx.barred_user_id)

    def _nivel(self, ctx: LaneContext, role_code: str, role: dict) -> str:
        fixed, path = ctx.properties.get("nivel"), ctx.properties.get("nivelFrom")
        if not fixed and not path:
            return ""
        if not role.get("per_nivel"):
            raise LookupError(_("La tarea %(task)s indica un nivel educativo, pero el rol «%(role)s» no se ejerce "
                                "por nivel.") % {"task": ctx.element_id, "role": role["name"]})
        value = fixed or data_path(ctx.data, path or "")
        if not isinstance(value, str) or not value:
            raise LookupError(
                _("La tarea %(task)s toma su nivel educativo del dato '%(key)s', que no existe o está vacío.")
                % {"task": ctx.element_id, "key": path})
        return value

    def _home(self, ctx: LaneContext) -> Candidate:
        """Where the diagram puts the task."""
        role_key = ctx.properties.get("roleFrom")
        if role_key:
            role_code = data_path(ctx.data, role_key)
            if not isinstance(role_code, str) or not role_code:
                raise LookupError(
                    _("La tarea %(task)s toma su rol del dato '%(key)s', que no existe o está vacío.")
                    % {"task": ctx.element_id, "key": role_key})
        else:
            role_code = ctx.properties.get("role") or ctx.lane or ""
        role = catalogue().get(role_code)
        if role is None:
            raise LookupError(_("La tarea %(task)s pide el rol '%(role)s', que no está en el catálogo.")
                              % {"task": ctx.element_id, "role": role_code})
        nivel = self._nivel(ctx, role_code, role)
        fixed = ctx.properties.get("unit")
        if fixed:
            return Candidate(role=role_code, unit=self._existing(fixed, ctx, role), nivel=nivel)
        unit_key = ctx.properties.get("unitFrom")
        if unit_key:
            value = data_path(ctx.data, unit_key)
            if not isinstance(value, str) or not value:
                raise LookupError(
                    _("La tarea %(task)s toma su unidad del dato '%(key)s', que no existe o está vacío.")
                    % {"task": ctx.element_id, "key": unit_key})
            return Candidate(role=role_code, unit=self._existing(value, ctx, role), nivel=nivel)
        if role.get("unit"):
            return Candidate(role=role_code, unit=self._existing(role["unit"], ctx, role), nivel=nivel)
        return Candidate(role=role_code, unit=self._at_level(ctx, role), nivel=nivel)

    def _existing(self, code: str, ctx: LaneContext, role: dict) -> str:
        unit = OrgUnit.objects.filter(code=code).only("code", "kind").first()
        if unit is None:
            raise LookupError(_("La tarea %(task)s va a la unidad '%(unit)s', que no existe.")
                              % {"task": ctx.element_id, "unit": code})
        home = role.get("unit")
        if (home and unit.code != home) or (not home and unit.kind != role["unit_level"]):
            # Nobody can hold the role there: the task would sit in no one's inbox.
            raise LookupError(
                _("La tarea %(task)s es para «%(role)s», que se ejerce en %(home)s, y va a la unidad "
                  "'%(unit)s' (%(kind)s).") % {
                    "task": ctx.element_id, "role": role["name"],
                    "home": home or LEVEL_NAMES.get(role["unit_level"], role["unit_level"]),
                    "unit": unit.code, "kind": LEVEL_NAMES.get(unit.kind, unit.kind)})
        return unit.code

    def _at_level(self, ctx: LaneContext, role: dict) -> str:
        level = role["unit_level"]
        start = OrgUnit.objects.filter(code=ctx.instance_org_unit).only("path", "kind", "code").first()
        if start is None:
            raise LookupError(
                _("La tarea %(task)s es para «%(role)s» y el expediente no tiene una unidad válida ('%(unit)s').")
                % {"task": ctx.element_id, "role": role["name"], "unit": ctx.instance_org_unit})
        if start.kind == level:
            return start.code
        match = OrgUnit.objects.filter(code__in=start.ancestor_codes(), kind=level).values_list("code", flat=True)
        found = list(match)
        if not found:
            raise LookupError(
                _("La tarea %(task)s es para «%(role)s» (nivel %(level)s) y la unidad del expediente (%(unit)s) "
                  "no depende de ninguna unidad de ese nivel; indique la unidad con la propiedad 'unitFrom'.")
                % {"task": ctx.element_id, "role": role["name"], "level": LEVEL_NAMES.get(level, level),
                   "unit": start.code})
        return found[0]


def workers(role_code: str, unit_code: str, nivel: str = "", barred: int | None = None) -> set[int]:
    """Who may work a task of (role, unit, nivel) barred to `barred`: its holders but them."""
    return holder_ids(role_code, unit_code, nivel) - {barred}


def route_up(role_code: str, unit_code: str, barred: int | None = None) -> tuple[str, str] | None:
    """The first (role, unit) up the `escalates_to` chain that someone other than
    `barred` holds, or None."""
    seen = {role_code}
    role, unit = role_code, unit_code
    while True:
        up = catalogue().get(role, {}).get("escalates_to")
        if not up or up in seen:
            return None
        seen.add(up)
        up_unit = supervisor_unit(up, unit)
        if up_unit is None:
            return None
        if workers(up, up_unit, barred=barred):
            return up, up_unit
        role, unit = up, up_unit


def route(role_code: str, unit_code: str, *, nivel: str = "", barred: int | None = None) -> Candidate:
    """Where a task the diagram gives (role, unit, nivel) goes now: there if someone may
    work it, else up (see the module's docstring), with the note that says why."""
    holders = holder_ids(role_code, unit_code, nivel)
    if holders - {barred}:
        return Candidate(role=role_code, unit=unit_code, nivel=nivel)
    four_eyes = bool(holders)  # held, but only by the person who filed the case
    up = route_up(role_code, unit_code, barred)
    names = unit_names([unit_code, up[1] if up else ""])
    words = {"home_role": role_name(role_code) + (f" ({nivel})" if nivel else ""),
             "home_unit": names.get(unit_code, unit_code)}
    if up is not None:
        words.update(role=role_name(up[0]), unit=names.get(up[1], up[1]))
        note = (_("Derivada a %(role)s (%(unit)s): quien presentó la solicitud es el único %(home_role)s de la "
                  "unidad (control de cuatro ojos).") if four_eyes else
                _("Derivada a %(role)s (%(unit)s): nadie ocupa el puesto de %(home_role)s en %(home_unit)s."))
    else:
        note = (_("Quien presentó la solicitud es el único %(home_role)s de %(home_unit)s y no hay a quién "
                  "derivarla (control de cuatro ojos): nadie puede atenderla hasta que se designe a otra persona.")
                if four_eyes else
                _("Nadie ocupa el puesto de %(home_role)s en %(home_unit)s y no hay a quién derivarla: nadie puede "
                  "atenderla hasta que se designe uno."))
    target = up or (role_code, unit_code)
    return Candidate(role=target[0], unit=target[1], nivel=nivel, note=note % words,
                     home_role=role_code, home_unit=unit_code,
                     routed=TaskRouting.FOUR_EYES if four_eyes else TaskRouting.UNHELD)
