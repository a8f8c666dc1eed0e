"""Forms of the administration of offices and positions.

They only collect and shape input; the rules (parent kinds, one holder per unit, IE
codes) live in portal.orgs.services, whose OrgError messages the pages show as they are.
"""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from portal.core import identity

from .models import Gestion, Modalidad, Nivel, OrgUnit, Role, UnitKind

ACTIVE_CHOICES = [("", _("Activas e inactivas")), ("si", _("Solo activas")), ("no", _("Solo inactivas"))]


class UnitFilterForm(forms.Form):
    q = forms.CharField(label=_("Buscar"), required=False, max_length=100,
                        help_text=_("Nombre, código o código modular."))
    tipo = forms.ChoiceField(label=_("Tipo"), required=False,
                             choices=[("", _("Todos los tipos")), *UnitKind.choices])
    dre = forms.ChoiceField(label=_("DRE"), required=False)
    activa = forms.ChoiceField(label=_("Estado"), required=False, choices=ACTIVE_CHOICES)

    def __init__(self, data: Any = None):
        super().__init__(data)
        dres = OrgUnit.objects.filter(kind=UnitKind.DRE).order_by("name").values_list("code", "name")
        cast(forms.ChoiceField, self.fields["dre"]).choices = [("", _("Todas las DRE")), *dres]

    def filters(self) -> dict[str, str]:
        if not self.is_bound:
            return {}
        self.is_valid()
        return {k: v for k, v in getattr(self, "cleaned_data", {}).items() if v}


class UnitForm(forms.Form):
    """Create or edit an org unit. The code of an IE is its código modular and anexo."""

    kind = forms.ChoiceField(label=_("Tipo"), choices=UnitKind.choices)
    code = forms.CharField(label=_("Código"), required=False, max_length=64,
                           help_text=_("Mayúsculas, dígitos y guiones (p. ej. UGEL-03). "
                                       "Para una IE se forma con el código modular y el anexo."))
    name = forms.CharField(label=_("Nombre"), max_length=200)
    parent = forms.CharField(label=_("Depende de (código)"), required=False, max_length=64,
                             help_text=_("Código de la unidad superior; vacío solo para MINEDU."))
    codigo_modular = forms.CharField(label=_("Código modular"), required=False,
                                     max_length=identity.CODIGO_MODULAR_LENGTH)
    anexo = forms.CharField(label=_("Anexo"), required=False, max_length=identity.ANEXO_LENGTH)
    nivel = forms.ChoiceField(label=_("Nivel"), required=False, choices=[("", "—"), *Nivel.choices])
    modalidad = forms.ChoiceField(label=_("Modalidad"), required=False, choices=[("", "—"), *Modalidad.choices])
    gestion = forms.ChoiceField(label=_("Gestión"), required=False, choices=[("", "—"), *Gestion.choices])
    district = forms.CharField(label=_("Distrito"), required=False, max_length=100)
    active = forms.BooleanField(label=_("Activa"), required=False, initial=True,
                                help_text=_("Una IE cerrada queda inactiva."))

    def __init__(self, data: Any = None, *, instance: OrgUnit | None = None):
        self.instance = instance
        initial = {}
        if instance is not None:
            initial = {f: getattr(instance, f) for f in (
                "kind", "code", "name", "codigo_modular", "anexo", "nivel", "modalidad", "gestion",
                "district", "active")}
            initial["parent"] = instance.parent.code if instance.parent is not None else ""
        super().__init__(data, initial=initial)
        if instance is not None:
            # Codes are referenced by tasks and cases: they never change once created.
            self.fields["code"].disabled = True
            self.fields["code"].help_text = _("El código no se cambia: lo usan las tareas y los expedientes.")
            self.fields["kind"].disabled = True
            if instance.kind == UnitKind.IE:
                # An IE's code is its código modular and anexo: they are fixed as well.
                self.fields["codigo_modular"].disabled = True
                self.fields["anexo"].disabled = True

    def clean_code(self) -> str:
        return (self.cleaned_data.get("code") or "").strip().upper()

    def clean_parent(self) -> OrgUnit | None:
        code = (self.cleaned_data.get("parent") or "").strip().upper()
        if not code:
            return None
        parent = OrgUnit.objects.filter(code=code).first()
        if parent is None:
            raise forms.ValidationError(_("No existe una unidad con el código %(code)s.") % {"code": code})
        return parent

    def clean(self) -> dict[str, Any]:
        super().clean()  # Form.clean returns cleaned_data; the stubs allow None
        data = self.cleaned_data
        if data.get("kind") and data["kind"] != UnitKind.IE and not data.get("code") and self.instance is None:
            self.add_error("code", _("Indique el código de la unidad."))
        return data

    def apply(self) -> OrgUnit:
        """The unit with the form's values (not saved: pass it to services.unit_save)."""
        unit = self.instance if self.instance is not None else OrgUnit()
        data = self.cleaned_data
        if self.instance is None:
            unit.code = data["code"]
        for name in ("kind", "name", "codigo_modular", "anexo", "nivel", "modalidad", "gestion", "district",
                     "active"):
            setattr(unit, name, data[name])
        unit.parent = data["parent"]
        return unit


def find_user(value: str) -> Any:
    """A user by username or by document number (DNI / carné de extranjería)."""
    value = (value or "").strip()
    if not value:
        return None
    user_model = get_user_model()
    return (user_model.objects.filter(Q(username__iexact=value) | Q(person__document_number=value))
            .order_by("pk").first())


class _PersonField(forms.CharField):
    def __init__(self, **kwargs: Any):
        kwargs.setdefault("label", _("Persona (usuario o DNI)"))
        kwargs.setdefault("help_text", _("Escriba el nombre de usuario o el número de documento."))
        kwargs.setdefault("max_length", 150)
        super().__init__(**kwargs)

    def clean(self, value: Any) -> Any:
        text = super().clean(value)
        user = find_user(text)
        if user is None:
            raise forms.ValidationError(_("No hay ningún usuario con ese nombre de usuario o documento."))
        if not user.is_active:
            raise forms.ValidationError(_("Esa cuenta está desactivada."))
        return user


def roles_for(unit: OrgUnit, *, one_holder_only: bool = False) -> list[Role]:
    """Roles exercised in `unit`: its fixed MINEDU roles, or the roles of its level."""
    qs = Role.objects.filter(Q(home_unit_code=unit.code) | Q(home_unit_code="", unit_level=unit.kind))
    if one_holder_only:
        qs = qs.filter(one_holder=True)
    return list(qs.order_by("name"))


REASON_ERRORS = {"required": _("Indique el motivo.")}


class PositionAssignForm(forms.Form):
    usuario = _PersonField()
    rol = forms.ChoiceField(label=_("Rol"))
    nivel = forms.ChoiceField(label=_("Nivel educativo"), required=False, choices=[("", "—"), *Nivel.choices],
                              help_text=_("Solo para el Especialista del nivel educativo."))
    motivo = forms.CharField(label=_("Motivo"), max_length=500, error_messages=REASON_ERRORS,
                             help_text=_("P. ej. RD N.º 0123-2026 de designación."))

    def __init__(self, data: Any = None, *, unit: OrgUnit, one_holder_only: bool = False, prefix: str | None = None):
        super().__init__(data, prefix=prefix)
        self.roles = {r.code: r for r in roles_for(unit, one_holder_only=one_holder_only)}
        cast(forms.ChoiceField, self.fields["rol"]).choices = [
            ("", _("Elija un rol")), *[(r.code, r.name) for r in self.roles.values()]]

    def clean_rol(self) -> Role:
        return self.roles[self.cleaned_data["rol"]]


class PositionReplaceForm(PositionAssignForm):
    def __init__(self, data: Any = None, *, unit: OrgUnit, prefix: str | None = "reemplazo"):
        super().__init__(data, unit=unit, one_holder_only=True, prefix=prefix)
        self.fields["usuario"].label = _("Nuevo titular (usuario o DNI)")
        self.fields["motivo"].help_text = _("Se registra en el cese del titular anterior y en la nueva designación.")


class PositionEndForm(forms.Form):
    motivo = forms.CharField(label=_("Motivo del cese"), max_length=500, error_messages=REASON_ERRORS)
