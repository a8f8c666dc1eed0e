"""The API's view of the account procedures: the fields the verification and hand-over
task panels (portal.accounts.panels) add to `GET /api/v1/tasks/<id>/`."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from portal.work.serializers import register_panel_fields


class CheckSerializer(serializers.Serializer):
    codigo = serializers.CharField()
    titulo = serializers.CharField()
    ok = serializers.BooleanField(allow_null=True, help_text=_("true: pasa; false: no pasa; null: no aplica."))
    detalle = serializers.CharField(allow_blank=True)


class HolderSerializer(serializers.Serializer):
    position_id = serializers.IntegerField()
    nombre = serializers.CharField()
    usuario = serializers.CharField()
    desde = serializers.CharField(allow_blank=True, help_text=_("Fecha ISO de inicio en el cargo."))


def register() -> None:
    register_panel_fields(
        verificaciones=CheckSerializer(many=True, required=False, help_text=_(
            "Verificaciones automáticas de una solicitud de alta o baja, calculadas ahora (solo en la tarea de "
            "verificación).")),
        titular=HolderSerializer(required=False, allow_null=True, help_text=_(
            "Titular actual del puesto de un solo titular; nulo si está libre (solo en la tarea de verificación).")),
        titular_visto=serializers.CharField(required=False, help_text=_(
            "«ninguno» o el id del cargo del titular actual: devuélvalo tal cual en el campo «titular_visto» del "
            "formulario de verificación; si el titular cambió, la respuesta es 409 y esta tarea trae el nuevo "
            "valor.")),
        acta_url=serializers.CharField(required=False, help_text=_(
            "Dirección del acta de entrega en PDF (solo en la tarea de entrega del usuario): se pide con POST, "
            "en una sesión iniciada y con el token CSRF, porque cada acta renueva el enlace de activación; "
            "un GET responde 405.")),
    )
