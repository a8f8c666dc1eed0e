"""Domain validators that forms name with `"x-validator"` (registered at start-up).

- `unidad_existe`: a unit code (UGEL-03, 0584714-0) of an existing unit.
- `ie_activa`: an IE given by código modular with anexo (1598333-0) or without it
  (1598333, meaning anexo 0) that exists and is active (not closed).
- `ie_existe`: the same, closed IEs accepted (a CE for studies in a closed IE is legal).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext as _

from portal.core import identity
from portal.schemaforms.registry import register_validator

from .models import OrgUnit, UnitKind


def _ie(value: str) -> OrgUnit | None:
    return OrgUnit.objects.filter(kind=UnitKind.IE, code=identity.ie_code(value)).only("active", "name", "code").first()


def unidad_existe(value: Any, context: Mapping[str, Any]) -> str | None:
    if not isinstance(value, str) or not OrgUnit.objects.filter(code=value).exists():
        return _("No existe una unidad con el código «%(code)s».") % {"code": value}
    return None


def _unknown_ie(value: Any) -> str:
    return _("No hay una IE registrada con el código modular «%(code)s».") % {"code": value}


def ie_existe(value: Any, context: Mapping[str, Any]) -> str | None:
    if not isinstance(value, str) or _ie(value) is None:
        return _unknown_ie(value)
    return None


def ie_activa(value: Any, context: Mapping[str, Any]) -> str | None:
    ie = _ie(value) if isinstance(value, str) else None
    if ie is None:
        return _unknown_ie(value)
    if not ie.active:
        return _("La IE %(name)s (%(code)s) está inactiva (cerrada).") % {"name": ie.name, "code": ie.code}
    return None


def register() -> None:
    register_validator("unidad_existe", unidad_existe)
    register_validator("ie_existe", ie_existe)
    register_validator("ie_activa", ie_activa)
