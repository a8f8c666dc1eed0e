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
A unit that does not exist or is the wrong kind is a LookupError: the engine turns it
into an incident an administrator can fix, never a task nobody sees.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from engine.registry import Candidate, LaneContext, data_path

from .models import OrgUnit, UnitKind
from .roles import catalogue

LEVEL_NAMES: dict[str, str] = {
    UnitKind.MINEDU: "MINEDU", UnitKind.MINEDU_OFFICE: "oficina de MINEDU",
    UnitKind.DRE: "DRE", UnitKind.UGEL: "UGEL", UnitKind.IE: "IE",
}


class OrgLaneResolver:
    def known_roles(self) -> set[str]:
        return set(catalogue())

    def resolve(self, ctx: LaneContext) -> Candidate:
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
        fixed = ctx.properties.get("unit")
        if fixed:
            return Candidate(role=role_code, unit=self._existing(fixed, ctx, role))
        unit_key = ctx.properties.get("unitFrom")
        if unit_key:
            value = data_path(ctx.data, unit_key)
            if not isinstance(value, str) or not value:
                raise LookupError(
                    _("La tarea %(task)s toma su unidad del dato '%(key)s', que no existe o está vacío.")
                    % {"task": ctx.element_id, "key": unit_key})
            return Candidate(role=role_code, unit=self._existing(value, ctx, role))
        if role.get("unit"):
            return Candidate(role=role_code, unit=self._existing(role["unit"], ctx, role))
        return Candidate(role=role_code, unit=self._at_level(ctx, role))

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
