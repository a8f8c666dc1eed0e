"""REST API of the user's own API tokens: POST /api/token/ issues one for a username and
password (shown once); GET /api/v1/tokens/ lists the caller's live tokens and DELETE
/api/v1/tokens/<id>/ revokes one of them (anyone else's answers 404)."""

from __future__ import annotations

from typing import Any

from django.urls import path
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from portal.api.base import ERRORS, ApiView, errors
from portal.api.parsers import LimitedJSONParser
from portal.api.serializers import ErrorSerializer

from . import selectors, services
from .models import ApiToken
from .throttle import lockout_message, retry_after


class TokenRequestSerializer(AuthTokenSerializer):
    # A declared field named like Field.label: DRF's metaclass takes it off the class (see
    # portal.orgs.api UnitSerializer.parent); the stubs do not know.
    label = serializers.CharField(  # type: ignore[assignment]
        required=False, allow_blank=True, max_length=100, default="",
        help_text=_("Para qué es el token (p. ej. «integración de matrícula»)."))


class IssuedTokenSerializer(serializers.Serializer):
    token = serializers.CharField(help_text=_("La clave: se muestra solo esta vez. Envíela como "
                                              "«Authorization: Token <clave>»."))
    id = serializers.IntegerField()
    expires_at = serializers.DateTimeField()


class TokenSerializer(serializers.ModelSerializer):
    current = serializers.SerializerMethodField(help_text=_("Es el token de esta misma consulta."))

    class Meta:
        model = ApiToken
        fields = ["id", "prefix", "label", "created_at", "expires_at", "last_used_at", "current"]

    def get_current(self, obj: ApiToken) -> bool:
        auth = getattr(self.context.get("request"), "auth", None)
        return isinstance(auth, ApiToken) and auth.pk == obj.pk


class TokenObtainView(ApiView):
    """Exchange a username and password for an API token that works API_TOKEN_HOURS."""

    authentication_classes: list = []
    permission_classes: list = []
    parser_classes = [LimitedJSONParser, FormParser, MultiPartParser]
    serializer_class = TokenRequestSerializer

    @extend_schema(tags=["tokens"], summary=_("Obtener un token de la API"), request=TokenRequestSerializer, auth=[],
                   responses={200: IssuedTokenSerializer, 400: ERRORS[400], 413: ERRORS[413],
                              429: OpenApiResponse(ErrorSerializer, description=_(
                                  "Demasiados intentos fallidos: la cuenta o la red quedó bloqueada "
                                  "temporalmente (Retry-After)."))})
    def post(self, request: Request) -> Response:
        serializer = TokenRequestSerializer(data=request.data, context={"request": request})
        try:
            serializer.is_valid(raise_exception=True)
        except ValidationError:
            # django-axes marks a lockout on the request it was given, which its middleware
            # never sees: answer it here as the login page does (429, Spanish, Retry-After).
            if getattr(request, "axes_locked_out", False):
                return Response({"detail": lockout_message(request)}, status=429, headers=retry_after(request))
            raise
        issued = services.api_token_issue(user=serializer.validated_data["user"],
                                          label=serializer.validated_data.get("label", ""))
        return Response({"token": issued.key, "id": issued.token.pk, "expires_at": issued.token.expires_at})


class TokenListView(ApiView):
    pagination_class = None

    @extend_schema(tags=["tokens"], summary=_("Mis tokens vigentes"), responses={200: TokenSerializer(many=True),
                                                                               **errors()})
    def get(self, request: Request) -> Response:
        tokens = selectors.api_tokens_of(request.user)
        return Response(TokenSerializer(tokens, many=True, context={"request": request}).data)


class TokenRevokeView(ApiView):
    @extend_schema(tags=["tokens"], summary=_("Revocar uno de mis tokens"),
                   responses={204: OpenApiResponse(description=_("Revocado: deja de funcionar en el acto.")),
                              **errors(404)})
    def delete(self, request: Request, pk: Any) -> Response:
        services.api_token_revoke(user=request.user, token_pk=pk)
        return Response(status=status.HTTP_204_NO_CONTENT)


urlpatterns = [
    path("tokens/", TokenListView.as_view(), name="token-list"),
    path("tokens/<str:pk>/", TokenRevokeView.as_view(), name="token-revoke"),
]
