"""POST /api/token/: a username and password for an API token, throttled like the login page.

DRF's ObtainAuthToken authenticates through Django's backends, so django-axes counts its
failures; but axes marks the lockout on DRF's request object, which axes' middleware never
sees, and the client got a 400 «credenciales» even with the right password. Here a locked
account or address gets 429 with the Spanish lockout message, as the login page does.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from portal.core.throttle import lockout_message, retry_after

from .serializers import ErrorSerializer, FieldErrorsSerializer


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(help_text=_("Envíelo como «Authorization: Token <token>»."))


class TokenView(ObtainAuthToken):
    @extend_schema(
        tags=["token"], summary=_("Obtener un token de la API"), auth=[],
        request=AuthTokenSerializer,
        responses={
            200: TokenSerializer,
            400: OpenApiResponse(FieldErrorsSerializer, description=_("Usuario o contraseña incorrectos.")),
            429: OpenApiResponse(ErrorSerializer, description=_(
                "Demasiados intentos fallidos: la cuenta o la red quedó bloqueada temporalmente (Retry-After).")),
        },
    )
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        try:
            return super().post(request, *args, **kwargs)
        except ValidationError:
            if getattr(request, "axes_locked_out", False):
                return Response({"detail": lockout_message(request)}, status=429, headers=retry_after(request))
            raise
