"""Serializers every app's API shares: error bodies, people and unit names, forms.

Response serializers only shape data the views already fetched through the selectors
and access rules; they add names (roles, units) from lookups made once per response,
never per row. Request serializers check types only: the business rules (who may, which
values a form accepts) are the services' and the forms'.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, cast

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from portal.orgs.selectors import unit_names


def person_name(user: Any) -> str:
    if user is None:
        return ""
    return user.get_full_name() or user.get_username()


# --- Unit names, looked up once per response ------------------------------------------------


def _names_cache(context: Mapping[str, Any]) -> dict[str, str]:
    # The serializer context is the dict its caller passed (shared by a list serializer
    # and its child), so the names looked up once serve the whole response. The stubs
    # type it as a read-only Mapping.
    return cast("dict[str, Any]", context).setdefault("_unit_names", {})


class UnitNamesMixin:
    """Serializers that name units by code; the list form fetches every name at once."""

    unit_code_fields: tuple[str, ...] = ()

    if TYPE_CHECKING:
        @property
        def context(self) -> Mapping[str, Any]: ...  # the serializer's (Field.context)

    def unit_codes(self, obj: Any) -> set[str]:
        return {getattr(obj, name, "") or "" for name in self.unit_code_fields}

    # Not `unit_name`: serializers declare a field of that name, which hid this method
    # from mypy (at run time DRF's metaclass takes the field off the class).
    def unit_name_of(self, code: str) -> str:
        names = _names_cache(self.context)
        if code and code not in names:
            names.update(unit_names({code}))
        return names.get(code, code)


class UnitNamesListSerializer(serializers.ListSerializer):
    def to_representation(self, data: Any) -> list:
        items = list(data.all() if hasattr(data, "all") else data)
        child = cast(UnitNamesMixin, self.child)  # the list_serializer_class of UnitNamesMixin serializers
        codes: set[str] = set()
        for item in items:
            codes |= child.unit_codes(item)
        _names_cache(child.context).update(unit_names(codes))
        return super().to_representation(items)


# --- Errors (documentation of the error bodies) ---------------------------------------------


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField(help_text=_("Mensaje para la persona usuaria, en español."))


class FieldErrorsSerializer(serializers.Serializer):
    # A declared field, not Serializer.errors: DRF's metaclass takes declared fields off
    # the class; the stubs see a clash.
    # Not required: a 400 that no field caused (malformed JSON, a rule of the org tree or
    # the engine) carries only `detail`.
    errors = serializers.DictField(  # type: ignore[assignment]
        child=serializers.ListField(child=serializers.CharField()), required=False,
        help_text=_("Mensajes por campo («__all__»: del formulario entero), cuando hay campos que corregir."))
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
