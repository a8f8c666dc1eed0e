"""REST API of the org tree: units and positions (reads for officers, writes for
administrators through portal.orgs.services)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.urls import path
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from portal.api.base import ApiView, errors
from portal.api.permissions import IsOfficer
from portal.api.serializers import ReasonSerializer, person_name

from . import access, selectors, services
from .models import Gestion, Modalidad, Nivel, OrgUnit, Position, Role, UnitKind

User = get_user_model()


# --- Units ----------------------------------------------------------------------------------


# A declared field named `parent` clashes in the stubs with Field.parent (the serializer
# that holds a field); DRF's metaclass takes declared fields off the class, so they never meet.
class UnitSerializer(serializers.ModelSerializer):
    parent: serializers.SlugRelatedField[OrgUnit] = serializers.SlugRelatedField(  # type: ignore[assignment]
        slug_field="code", read_only=True, allow_null=True)  # null for MINEDU, the root
    kind_label = serializers.CharField(source="get_kind_display", read_only=True)

    class Meta:
        model = OrgUnit
        fields = ["code", "name", "kind", "kind_label", "parent", "path", "codigo_modular", "anexo", "nivel",
                  "modalidad", "gestion", "active", "district"]


class UnitFilterSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=[("", _("todos")), *UnitKind.choices], required=False, allow_blank=True,
                                   default="")
    parent = serializers.CharField(  # type: ignore[assignment]  # see UnitSerializer.parent
        required=False, allow_blank=True, max_length=64, default="")
    q = serializers.CharField(required=False, allow_blank=True, max_length=100, default="")


class UnitWriteSerializer(serializers.Serializer):
    """Fields an administrator sets. An IE's code is its código modular and anexo; the
    code of a saved unit never changes (tasks and instances refer to it)."""

    code = serializers.CharField(required=False, allow_blank=True, max_length=64)
    name = serializers.CharField(max_length=200)
    kind = serializers.ChoiceField(choices=UnitKind.choices)
    parent = serializers.SlugRelatedField(  # type: ignore[assignment]  # see UnitSerializer.parent
        slug_field="code", queryset=OrgUnit.objects.all(), allow_null=True, required=False)
    codigo_modular = serializers.CharField(required=False, allow_blank=True, max_length=7)
    anexo = serializers.CharField(required=False, allow_blank=True, max_length=1)
    nivel = serializers.ChoiceField(choices=Nivel.choices, required=False, allow_blank=True)
    modalidad = serializers.ChoiceField(choices=Modalidad.choices, required=False, allow_blank=True)
    gestion = serializers.ChoiceField(choices=Gestion.choices, required=False, allow_blank=True)
    active = serializers.BooleanField(required=False)
    district = serializers.CharField(required=False, allow_blank=True, max_length=100)


class UnitUpdateSerializer(UnitWriteSerializer):
    # None removes an inherited declared field (DRF); the stubs expect a field.
    code = None  # type: ignore[assignment]
    codigo_modular = None  # type: ignore[assignment]
    anexo = None  # type: ignore[assignment]
    kind = None  # type: ignore[assignment]


# --- Positions ------------------------------------------------------------------------------


class PositionPersonSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    name = serializers.SerializerMethodField()
    document = serializers.SerializerMethodField(help_text=_("Número de documento enmascarado (****1236)."))

    def get_name(self, user: Any) -> str:
        return person_name(user)

    def get_document(self, user: Any) -> str:
        person = getattr(user, "person", None)  # the reverse one-to-one may be missing
        return person.masked_document if person is not None else ""


class PositionSerializer(serializers.ModelSerializer):
    person = PositionPersonSerializer(source="user")
    role_name = serializers.CharField(source="role.name")
    unit = serializers.CharField(source="unit.code")
    unit_name = serializers.CharField(source="unit.name")
    active = serializers.BooleanField()

    class Meta:
        model = Position
        fields = ["id", "person", "role", "role_name", "unit", "unit_name", "nivel", "since", "until", "active"]


class PositionFilterSerializer(serializers.Serializer):
    unit = serializers.CharField(required=False, allow_blank=True, max_length=64, default="")
    role = serializers.CharField(required=False, allow_blank=True, max_length=100, default="")
    active = serializers.BooleanField(required=False, allow_null=True, default=None,
                                      help_text=_("1: solo vigentes; 0: solo terminados; sin valor: todos."))


class PositionAssignSerializer(serializers.Serializer):
    user = serializers.PrimaryKeyRelatedField(queryset=User.objects.filter(is_active=True))
    role = serializers.SlugRelatedField(slug_field="code", queryset=Role.objects.all())
    unit = serializers.SlugRelatedField(slug_field="code", queryset=OrgUnit.objects.all())
    nivel = serializers.ChoiceField(choices=Nivel.choices, required=False, allow_blank=True, default="")
    reason = serializers.CharField(required=False, allow_blank=True, max_length=500, default="")


class PositionReplaceSerializer(PositionAssignSerializer):
    reason = serializers.CharField(required=False, allow_blank=True, max_length=500, default="",
                                   help_text=_("Motivo del reemplazo (obligatorio)."))


# --- Units --------------------------------------------------------------------------------------


@extend_schema(tags=["unidades"])
class UnitListView(ApiView):
    serializer_class = UnitSerializer
    permission_classes = [IsAuthenticated, IsOfficer]

    @extend_schema(summary=_("Unidades orgánicas"), parameters=[UnitFilterSerializer],
                   responses={200: UnitSerializer(many=True), **errors(400, 403)})
    def get(self, request: Request) -> Response:
        f = self.query(UnitFilterSerializer)
        return self.paginated(selectors.unit_list(q=f["q"], kind=f["kind"], parent=f["parent"]), UnitSerializer)

    @extend_schema(summary=_("Crear una unidad (administradores)"), request=UnitWriteSerializer,
                   responses={201: UnitSerializer, **errors(400, 403)})
    def post(self, request: Request) -> Response:
        access.require_admin(self.scope)
        body = self.body(UnitWriteSerializer)
        unit = services.unit_save(unit=OrgUnit(**{"code": "", **body}), by=request.user)
        return Response(UnitSerializer(unit).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=["unidades"])
class UnitDetailView(ApiView):
    serializer_class = UnitSerializer
    permission_classes = [IsAuthenticated, IsOfficer]

    @extend_schema(summary=_("Una unidad orgánica"), responses={200: UnitSerializer, **errors(403, 404)})
    def get(self, request: Request, code: str) -> Response:
        return Response(UnitSerializer(access.unit_for_view(self.scope, code)).data)

    @extend_schema(summary=_("Modificar una unidad (administradores)"), request=UnitUpdateSerializer,
                   responses={200: UnitSerializer, **errors(400, 403, 404)})
    def patch(self, request: Request, code: str) -> Response:
        unit = access.unit_for_admin(self.scope, code)
        for name, value in self.body(UnitUpdateSerializer, partial=True).items():
            setattr(unit, name, value)
        return Response(UnitSerializer(services.unit_save(unit=unit, by=request.user)).data)


# --- Positions ----------------------------------------------------------------------------------


@extend_schema(tags=["cargos"])
class PositionListView(ApiView):
    serializer_class = PositionSerializer
    permission_classes = [IsAuthenticated, IsOfficer]

    @extend_schema(summary=_("Cargos en su ámbito"), parameters=[PositionFilterSerializer],
                   responses={200: PositionSerializer(many=True), **errors(400, 403)})
    def get(self, request: Request) -> Response:
        f = self.query(PositionFilterSerializer)
        positions = selectors.position_list(access.visible_positions(self.scope), unit=f["unit"], role=f["role"],
                                            active=f["active"])
        return self.paginated(positions, PositionSerializer)

    @extend_schema(summary=_("Asignar un cargo (administradores)"), request=PositionAssignSerializer,
                   responses={201: PositionSerializer, **errors(400, 403)})
    def post(self, request: Request) -> Response:
        access.require_admin(self.scope)
        body = self.body(PositionAssignSerializer)
        position = services.position_assign(user=body["user"], role=body["role"], unit=body["unit"],
                                            by=request.user, reason=body["reason"], nivel=body["nivel"])
        return Response(PositionSerializer(position).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=["cargos"])
class PositionEndView(ApiView):
    serializer_class = ReasonSerializer
    permission_classes = [IsAuthenticated, IsOfficer]

    @extend_schema(summary=_("Terminar un cargo (administradores)"), request=ReasonSerializer,
                   responses={200: PositionSerializer, **errors(400, 403, 404)})
    def post(self, request: Request, pk: str) -> Response:
        position = access.position_for_admin(self.scope, pk)
        reason = self.body(ReasonSerializer)["reason"]
        position = services.position_end(position=position, by=request.user, reason=reason)
        return Response(PositionSerializer(position).data)


@extend_schema(tags=["cargos"])
class PositionReplaceView(ApiView):
    serializer_class = PositionReplaceSerializer
    permission_classes = [IsAuthenticated, IsOfficer]

    @extend_schema(summary=_("Reemplazar al titular de un cargo (administradores)"),
                   request=PositionReplaceSerializer,
                   responses={201: PositionSerializer, **errors(400, 403)})
    def post(self, request: Request) -> Response:
        access.require_admin(self.scope)
        body = self.body(PositionReplaceSerializer)
        position = services.position_replace(unit=body["unit"], role=body["role"], user=body["user"],
                                             by=request.user, reason=body["reason"], nivel=body["nivel"])
        return Response(PositionSerializer(position).data, status=status.HTTP_201_CREATED)


urlpatterns = [
    path("units/", UnitListView.as_view(), name="unit-list"),
    path("units/<str:code>/", UnitDetailView.as_view(), name="unit-detail"),
    path("positions/", PositionListView.as_view(), name="position-list"),
    path("positions/replace/", PositionReplaceView.as_view(), name="position-replace"),
    path("positions/<str:pk>/end/", PositionEndView.as_view(), name="position-end"),
]
