"""What every app's API views share: authentication, JSON parsing and rendering,
pagination, validated query/body reads, and the documented error answers.

An app's `api.py` subclasses ApiView, checks access through its `access` module, calls
one service and serializes; `portal/api/urls.py` mounts every app's routes.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers
from rest_framework.authentication import SessionAuthentication
from rest_framework.generics import GenericAPIView
from rest_framework.pagination import BasePagination, PageNumberPagination
from rest_framework.permissions import IsAuthenticated
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from portal.orgs.access import Scope, scope_for

from .auth import ApiTokenAuthentication
from .parsers import LimitedJSONParser
from .serializers import ErrorSerializer, FieldErrorsSerializer

ERRORS = {
    400: OpenApiResponse(FieldErrorsSerializer, description=_("Datos inválidos: mensajes por campo.")),
    401: OpenApiResponse(ErrorSerializer, description=_("Sin credenciales.")),
    403: OpenApiResponse(ErrorSerializer, description=_("Sin permiso para esta acción.")),
    404: OpenApiResponse(ErrorSerializer, description=_("No existe o no le corresponde.")),
    409: OpenApiResponse(ErrorSerializer, description=_("Otra persona cambió el caso mientras tanto.")),
    413: OpenApiResponse(ErrorSerializer, description=_("El contenido enviado es demasiado grande.")),
    422: OpenApiResponse(ErrorSerializer, description=_("La clave de idempotencia ya se usó con otros datos.")),
}


def errors(*codes: int) -> dict[int, OpenApiResponse]:
    return {code: ERRORS[code] for code in (401, *codes)}


class Pagination(PageNumberPagination):
    page_size = 50


class ApiView(GenericAPIView):
    # Token first: its WWW-Authenticate header makes DRF answer 401 (not 403) to a
    # request without credentials. Both are tried on every request.
    authentication_classes = [ApiTokenAuthentication, SessionAuthentication]
    parser_classes = [LimitedJSONParser]
    # JSON only: the interactive documentation is /api/docs/; DRF's browsable pages would
    # need querysets on views that read through selectors.
    renderer_classes = [JSONRenderer]
    permission_classes = [IsAuthenticated]
    pagination_class: type[BasePagination] | None = Pagination  # None: the view answers unpaginated

    @property
    def scope(self) -> Scope:
        return scope_for(self.request.user)

    def query(self, serializer_class: type[serializers.Serializer]) -> dict[str, Any]:
        """The validated query-string filters (a bad value is a 400 with field errors)."""
        # A plain dict, not the QueryDict: DRF reads '' in form data as "not sent" for an
        # optional field, so `until=` or `scope=` passed silently where the schema says a
        # date or one of the choices. Filters that may be empty say so (allow_blank).
        serializer = serializer_class(data=self.request.query_params.dict())
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data

    def body(self, serializer_class: type[serializers.Serializer], *, partial: bool = False) -> dict[str, Any]:
        serializer = serializer_class(data=self.request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data

    def paginated(self, queryset: QuerySet, serializer_class: type[serializers.Serializer]) -> Response:
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(serializer_class(page, many=True, context={"request": self.request}).data)
