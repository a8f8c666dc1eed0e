"""Django forms of the officer pages: filters, reasons and confirmations.

Task and start forms are JSON-Schema forms (portal.schemaforms); these are the small
forms around them. Every GET filter form degrades gracefully: an invalid value is
dropped (and reported) instead of failing the page.
"""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from engine.models import InstanceStatus

DUE_CHOICES = [
    ("", _("Cualquier plazo")),
    ("overdue", _("Vencidas")),
    ("today", _("Vencen hoy")),
    ("week", _("Vencen esta semana")),
    ("none", _("Sin plazo")),
    ("escalated", _("Escaladas (vencidas y avisadas al supervisor)")),
]

REASON_MAX = 1000


class InboxFilterForm(forms.Form):
    proceso = forms.ChoiceField(label=_("Trámite"), required=False)
    unidad = forms.ChoiceField(label=_("Unidad"), required=False)
    plazo = forms.ChoiceField(label=_("Plazo"), required=False, choices=DUE_CHOICES)

    def __init__(self, data: Any = None, *, processes: list[tuple[str, str]], units: list[tuple[str, str]]):
        super().__init__(data)
        cast(forms.ChoiceField, self.fields["proceso"]).choices = [("", _("Todos los trámites")), *processes]
        cast(forms.ChoiceField, self.fields["unidad"]).choices = [("", _("Todas mis unidades")), *units]

    def filters(self) -> dict[str, str]:
        """Valid filters as selector keyword arguments; invalid ones are ignored."""
        if not self.is_bound:
            return {"process": "", "unit": "", "due": ""}
        self.is_valid()
        clean = getattr(self, "cleaned_data", {})
        return {"process": clean.get("proceso", ""), "unit": clean.get("unidad", ""), "due": clean.get("plazo", "")}


class SupervisionFilterForm(forms.Form):
    proceso = forms.ChoiceField(label=_("Trámite"), required=False)
    plazo = forms.ChoiceField(label=_("Plazo"), required=False, choices=DUE_CHOICES)

    def __init__(self, data: Any = None, *, processes: list[tuple[str, str]]):
        super().__init__(data)
        cast(forms.ChoiceField, self.fields["proceso"]).choices = [("", _("Todos los trámites")), *processes]

    def filters(self) -> dict[str, str]:
        if not self.is_bound:
            return {"process": "", "due": ""}
        self.is_valid()
        clean = getattr(self, "cleaned_data", {})
        return {"process": clean.get("proceso", ""), "due": clean.get("plazo", "")}


class InstanceAction:
    RETRY = "retry"
    SUSPEND = "suspend"
    RESUME = "resume"
    CANCEL = "cancel"
    LABELS = {
        RETRY: _("Reintentar el paso fallido"),
        SUSPEND: _("Suspender"),
        RESUME: _("Reanudar"),
        CANCEL: _("Cancelar el trámite"),
    }


class InstanceActionForm(forms.Form):
    """An administrator's action on an instance: always with a reason, always confirmed."""

    accion = forms.ChoiceField(label=_("Acción"), choices=list(InstanceAction.LABELS.items()))
    motivo = forms.CharField(
        label=_("Motivo"), max_length=REASON_MAX, widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Queda en el historial del expediente."),
        error_messages={"required": _("Indique el motivo."),
                        "max_length": _("Máximo %(limit_value)d caracteres.")},
    )
    confirmado = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def clean_motivo(self) -> str:
        value = self.cleaned_data["motivo"].strip()
        if not value:
            raise forms.ValidationError(_("Indique el motivo."))
        return value


STATUS_FILTER_CHOICES = [("", _("Todos los estados")), *[(v, str(label).capitalize())
                                                        for v, label in InstanceStatus.choices]]


class AdminInstanceFilterForm(forms.Form):
    estado = forms.ChoiceField(label=_("Estado"), required=False, choices=STATUS_FILTER_CHOICES)
    proceso = forms.ChoiceField(label=_("Trámite"), required=False)
    unidad = forms.CharField(label=_("Unidad (código)"), required=False, max_length=64,
                             help_text=_("Incluye las unidades que dependen de ella."))
    desde = forms.DateField(label=_("Iniciado desde"), required=False,
                            widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    hasta = forms.DateField(label=_("Iniciado hasta"), required=False,
                            widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))

    def __init__(self, data: Any = None, *, processes: list[tuple[str, str]]):
        super().__init__(data)
        cast(forms.ChoiceField, self.fields["proceso"]).choices = [("", _("Todos los trámites")), *processes]

    def clean_unidad(self) -> str:
        return self.cleaned_data["unidad"].strip().upper()

    def filters(self) -> dict[str, Any]:
        if not self.is_bound:
            return {}
        self.is_valid()
        return {k: v for k, v in getattr(self, "cleaned_data", {}).items() if v}
