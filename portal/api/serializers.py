"""Serializers every app's API shares: error bodies, people and unit names, forms.

Response serializers only shape data the views already fetched through the selectors
and access rules; they add names (roles, units) from lookups made once per response,
never per row. Request serializers check types only: the business rules (who may, which
values a form accepts) are the services' and the forms'.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from portal.orgs.selectors import unit_names


def person_name(user: Any) -> str:
    if user is None:
        return ""
    return user.get_full_name() or user.get_username()


# --- Unit names, looked up once per response ------------------------------------------------


class UnitNamesMixin:
    """Serializers that name units by code; the list form fetches every name at once."""

    unit_code_fields: tuple[str, ...] = ()

    def unit_codes(self, obj: Any) -> set[str]:
        return {getattr(obj, name, "") or "" for name in self.unit_code_fields}

    def unit_name(self, code: str) -> str:
        names = self.context.setdefault("_unit_names", {})
        if code and code not in names:
            names.update(unit_names({code}))
        return names.get(code, code)


class UnitNamesListSerializer(serializers.ListSerializer):
    def to_representation(self, data: Any) -> list:
        items = list(data.all() if hasattr(data, "all") else data)
        codes: set[str] = set()
        for item in items:
            codes |= self.child.unit_codes(item)
        self.child.context.setdefault("_unit_names", {}).update(unit_names(codes))
        return super().to_representation(items)


# --- Errors (documentation of the error bodies) ---------------------------------------------


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField(help_text=_("Mensaje para la persona usuaria, en español."))


class FieldErrorsSerializer(serializers.Serializer):
    errors = serializers.DictField(child=serializers.ListField(child=serializers.CharField()),
                                   help_text=_("Mensajes por campo («__all__»: del formulario entero)."))
    detail = serializers.CharField()


# --- Forms ----------------------------------------------------------------------------------


class FormSerializer(serializers.Serializer):
    key = serializers.CharField()
    title = serializers.CharField()
    schema = serializers.JSONField(help_text=_("JSON Schema 2020-12 del formulario."))
    ui = serializers.JSONField(help_text=_("Indicaciones de presentación (orden, widgets, ayudas)."))


# --- People and reasons ---------------------------------------------------------------------


class PersonRefSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    name = serializers.SerializerMethodField()

    def get_name(self, user: Any) -> str:
        return person_name(user)


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, default="", trim_whitespace=True,
                                   help_text=_("Motivo (obligatorio): queda en la auditoría."))
