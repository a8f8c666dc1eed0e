"""REST API views: check access through portal.work.access, call one service, serialize.

Every rule (who sees, who works, who administers) is portal.work.access's; every write
is a service of portal.work or portal.orgs, the same ones the pages call. Errors become
JSON through portal.api.exceptions.exception_handler.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.authentication import SessionAuthentication, TokenAuthentication
from rest_framework.generics import GenericAPIView
from rest_framework.pagination import PageNumberPagination
from rest_framework.parsers import MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from engine.errors import StepFailed
from engine.models import HumanTask, HumanTaskState, Incident, ProcessInstance
from portal.core.models import log_activity
from portal.orgs import services as orgs
from portal.orgs.models import OrgUnit, Position
from portal.schemaforms.files import UploadRejected, store_upload
from portal.schemaforms.loader import FormDefinition, FormError, field_schema_at, load_form
from portal.schemaforms.schema import object_fields
from portal.work import access, panels, selectors, services, timeline

from . import serializers as s
from .parsers import LimitedJSONParser
from .permissions import IsOfficer

logger = logging.getLogger(__name__)

ERRORS = {
    400: OpenApiResponse(s.FieldErrorsSerializer, description=_("Datos inválidos: mensajes por campo.")),
    401: OpenApiResponse(s.ErrorSerializer, description=_("Sin credenciales.")),
    403: OpenApiResponse(s.ErrorSerializer, description=_("Sin permiso para esta acción.")),
    404: OpenApiResponse(s.ErrorSerializer, description=_("No existe o no le corresponde.")),
    409: OpenApiResponse(s.ErrorSerializer, description=_("Otra persona cambió el caso mientras tanto.")),
    413: OpenApiResponse(s.ErrorSerializer, description=_("El contenido enviado es demasiado grande.")),
}


ACCEPTED = OpenApiResponse(s.InstanceDetailSerializer, description=_(
    "Registrado, pero un paso automático falló: el trámite queda con una incidencia (ver «notice»)."))


def errors(*codes: int) -> dict[int, OpenApiResponse]:
    return {code: ERRORS[code] for code in (401, *codes)}


UUID_RE = re.compile(r"[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}")


class Pagination(PageNumberPagination):
    page_size = 50


class ApiView(GenericAPIView):
    # Token first: its WWW-Authenticate header makes DRF answer 401 (not 403) to a
    # request without credentials. Both are tried on every request.
    authentication_classes = [TokenAuthentication, SessionAuthentication]
    parser_classes = [LimitedJSONParser]
    # JSON only: the interactive documentation is /api/docs/; DRF's browsable pages would
    # need querysets on views that read through selectors.
    renderer_classes = [JSONRenderer]
    permission_classes = [IsAuthenticated]
    pagination_class = Pagination

    @property
    def scope(self) -> access.Scope:
        return access.scope_for(self.request.user)

    def query(self, serializer_class: type[s.serializers.Serializer]) -> dict[str, Any]:
        """The validated query-string filters (a bad value is a 400 with field errors)."""
        serializer = serializer_class(data=self.request.query_params)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data

    def body(self, serializer_class: type[s.serializers.Serializer], *, partial: bool = False) -> dict[str, Any]:
        serializer = serializer_class(data=self.request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data

    def paginated(self, queryset: QuerySet, serializer_class: type[s.serializers.Serializer]) -> Response:
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(serializer_class(page, many=True, context={"request": self.request}).data)


# --- Shared reads -------------------------------------------------------------------------------


def form_or_none(key: str) -> FormDefinition | None:
    """The form for a key, or None (no form, or a broken one: logged for the administrators,
    and the rest of the answer still serves)."""
    if not key:
        return None
    try:
        return load_form(key)
    except FormError:
        logger.exception("api: form %s could not be loaded", key)
        return None


def _fields_of(form: FormDefinition | None, data: dict[str, Any]) -> dict[str, Any]:
    if form is None:
        return {}
    return {name: data[name] for name in object_fields(form.schema, form.schema) if name in data}


def task_detail(scope: access.Scope, task: HumanTask, request: Request) -> dict[str, Any]:
    """What the task page shows: the form, the request being worked on (while the task
    is open) or the values submitted (once completed), and whether the user may act now."""
    instance = task.instance
    form = form_or_none(task.form_key)
    is_open = task.state == HumanTaskState.OPEN
    task.form = form
    task.can_work = access.can_act(scope, task)
    task.data = {} if is_open else _fields_of(form, selectors.completed_data(task))
    task.request_data = (
        _fields_of(form_or_none(instance.definition.start_form_key), selectors.start_data(instance)) if is_open else {})
    panel = panels.panel_for(task, request.user) if is_open else None
    extra = panel.api if panel is not None else {}
    task.panel = extra
    for key in s.TaskDetailSerializer.PANEL_FIELDS:
        if key in extra:
            setattr(task, key, extra[key])
    declared = s.TaskDetailSerializer.Meta.fields
    data = s.TaskDetailSerializer(task, context={"request": request}).data
    # Keys a panel adds that the schema does not name yet still reach the client, never
    # replacing a standard field.
    return {**{k: v for k, v in extra.items() if k not in declared}, **data}


def instance_detail(scope: access.Scope, instance: ProcessInstance) -> dict[str, Any]:
    """Status, current steps, the audit timeline and the diagram marks of one instance.
    Names of people are shown to staff only (timeline.build's rule)."""
    staff = scope.is_staff
    steps = timeline.current_steps(instance, staff=staff)
    names = s.unit_names({instance.org_unit})
    data = {
        "id": instance.pk,
        "process": instance.definition,
        "status": instance.status,
        "status_label": instance.get_status_display(),
        "org_unit": instance.org_unit,
        "org_unit_name": names.get(instance.org_unit, instance.org_unit),
        "business_key": instance.business_key,
        "started_at": instance.started_at,
        "ended_at": instance.ended_at,
        "lock_version": instance.lock_version,
        "current_tasks": steps,
        "timeline": timeline.build(instance, staff=staff),
        "element_states": timeline.element_states(instance),
    }
    return s.InstanceDetailSerializer(data).data


def accepted_with_incident(scope: access.Scope, exc: StepFailed, notice: str) -> Response:
    """202: the request was taken (the incident keeps it and an administrator's retry
    replays it), but an automatic step after it failed."""
    incident = Incident.objects.filter(pk=exc.incident_id).only("instance_id").first()
    if incident is None:
        raise exc
    instance = access.instance_for_view(scope, incident.instance_id)
    return Response({**instance_detail(scope, instance), "notice": notice}, status=status.HTTP_202_ACCEPTED)


def with_open_tasks(queryset: QuerySet[ProcessInstance]) -> QuerySet[ProcessInstance]:
    open_tasks = HumanTask.objects.filter(state=HumanTaskState.OPEN).order_by("pk")
    return queryset.select_related("definition").prefetch_related(
        Prefetch("human_tasks", queryset=open_tasks, to_attr="open_tasks"))


# --- Processes ----------------------------------------------------------------------------------


@extend_schema(tags=["trámites"])
class ProcessListView(ApiView):
    serializer_class = s.ProcessSerializer
    pagination_class = None

    @extend_schema(summary=_("Trámites que puede iniciar"), responses={200: s.ProcessSerializer(many=True),
                                                                        **errors()})
    def get(self, request: Request) -> Response:
        scope = self.scope
        processes = [
            {"key": d.key, "name": d.name, "version": d.version, "start_form_key": d.start_form_key,
             "start_form": form_or_none(d.start_form_key), "positions": access.start_positions(scope, d)}
            for d in access.startable_definitions(scope)
        ]
        return Response(s.ProcessSerializer(processes, many=True).data)


@extend_schema(tags=["trámites"])
class ProcessStartView(ApiView):
    serializer_class = s.StartRequestSerializer

    @extend_schema(summary=_("Iniciar un trámite"), request=s.StartRequestSerializer,
                   parameters=[OpenApiParameter("Idempotency-Key", str, OpenApiParameter.HEADER, required=False,
                                                description="UUID; repetir la solicitud no crea otro expediente")],
                   responses={200: s.InstanceDetailSerializer, 201: s.InstanceDetailSerializer, 202: ACCEPTED,
                              **errors(400, 403, 404, 413)})
    def post(self, request: Request, key: str) -> Response:
        """An `Idempotency-Key` header (a UUID) makes a resent request return the case the
        first one created (200) instead of starting a second one."""
        body = self.body(s.StartRequestSerializer)
        key_header = request.headers.get("Idempotency-Key")
        if key_header is not None and not UUID_RE.fullmatch(key_header.strip()):
            raise services.FormInvalid({"Idempotency-Key": [gettext("Debe ser un UUID, p. ej. "
                                                                    "0b6f1d9e-4c7a-4f0e-9d51-2f3b8a1c6e70.")]})
        try:
            instance = services.process_start(user=request.user, key=key, data=body["data"],
                                              position_pk=body.get("position"),
                                              submission=key_header)
        except services.AlreadyStarted as exc:
            if exc.instance_id is None:
                raise
            first = access.instance_for_view(self.scope, exc.instance_id)
            return Response(instance_detail(self.scope, first), status=status.HTTP_200_OK)
        except StepFailed as exc:
            return accepted_with_incident(self.scope, exc, gettext(
                "La solicitud quedó registrada, pero un paso automático falló. "
                "El equipo de soporte fue alertado y lo reintentará."))
        return Response(instance_detail(self.scope, instance), status=status.HTTP_201_CREATED)


# --- Tasks --------------------------------------------------------------------------------------

HELD = {"claimable": False, "mine": True, "all": None}


@extend_schema(tags=["tareas"])
class TaskListView(ApiView):
    serializer_class = s.TaskSerializer

    @extend_schema(summary=_("Mi bandeja de tareas"), parameters=[s.TaskFilterSerializer],
                   responses={200: s.TaskSerializer(many=True), **errors(400)})
    def get(self, request: Request) -> Response:
        f = self.query(s.TaskFilterSerializer)
        tasks = selectors.inbox(self.scope, process=f["process"], unit=f["unit"], due=f["due"],
                                held=HELD[f["scope"]])
        return self.paginated(tasks, s.TaskSerializer)


@extend_schema(tags=["tareas"])
class TaskCountsView(ApiView):
    serializer_class = s.TaskCountsSerializer
    pagination_class = None

    @extend_schema(summary=_("Tareas pendientes por trámite"), responses={200: s.TaskCountsSerializer,
                                                                           **errors()})
    def get(self, request: Request) -> Response:
        counts = selectors.inbox_counts(self.scope)
        names = dict(access.latest_definitions().filter(key__in=[c["process_key"] for c in counts])
                     .values_list("key", "name"))
        rows = [{"process_key": c["process_key"], "process_name": names.get(c["process_key"], c["process_key"]),
                 "count": c["n"]} for c in counts]
        return Response(s.TaskCountsSerializer({"total": sum(r["count"] for r in rows), "processes": rows}).data)


@extend_schema(tags=["tareas"])
class TaskDetailView(ApiView):
    serializer_class = s.TaskDetailSerializer

    @extend_schema(summary=_("Detalle de una tarea"), responses={200: s.TaskDetailSerializer, **errors(404)})
    def get(self, request: Request, pk: str) -> Response:
        scope = self.scope
        task = access.task_for_view(scope, pk)
        selectors.record_case_read(request.user, task.instance, via="api:task")
        return Response(task_detail(scope, task, request))


@extend_schema(tags=["tareas"])
class TaskClaimView(ApiView):
    serializer_class = s.TaskDetailSerializer
    service = staticmethod(services.task_claim)

    @extend_schema(summary=_("Tomar una tarea"), request=None,
                   responses={200: s.TaskDetailSerializer, **errors(403, 404, 409)})
    def post(self, request: Request, pk: str) -> Response:
        self.service(user=request.user, task_pk=pk)
        scope = self.scope
        task = access.task_for_view(scope, pk)
        selectors.record_case_read(request.user, task.instance, via="api:task")
        return Response(task_detail(scope, task, request))


@extend_schema(tags=["tareas"])
class TaskUnclaimView(TaskClaimView):
    service = staticmethod(services.task_unclaim)

    @extend_schema(summary=_("Liberar una tarea"), request=None,
                   responses={200: s.TaskDetailSerializer, **errors(403, 404, 409)})
    def post(self, request: Request, pk: str) -> Response:
        return super().post(request, pk)


@extend_schema(tags=["tareas"])
class TaskCompleteView(ApiView):
    serializer_class = s.CompleteRequestSerializer

    @extend_schema(summary=_("Completar una tarea"), request=s.CompleteRequestSerializer,
                   responses={200: s.InstanceDetailSerializer, 202: ACCEPTED, **errors(400, 403, 404, 409, 413)})
    def post(self, request: Request, pk: str) -> Response:
        body = self.body(s.CompleteRequestSerializer)
        try:
            instance = services.task_complete(user=request.user, task_pk=pk, data=body["data"],
                                              expected_version=body.get("expected_version"))
        except StepFailed as exc:
            return accepted_with_incident(self.scope, exc, gettext(
                "Su respuesta quedó registrada, pero un paso automático posterior falló. "
                "El equipo de soporte fue alertado y lo reintentará; no necesita volver a enviarla."))
        return Response(instance_detail(self.scope, instance))


# --- Instances ----------------------------------------------------------------------------------


@extend_schema(tags=["expedientes"])
class MyInstanceListView(ApiView):
    serializer_class = s.InstanceSerializer

    @extend_schema(summary=_("Trámites que inicié"), responses={200: s.InstanceSerializer(many=True),
                                                                 **errors()})
    def get(self, request: Request) -> Response:
        return self.paginated(with_open_tasks(selectors.my_instances(request.user)), s.InstanceSerializer)


@extend_schema(tags=["expedientes"])
class InstanceDetailView(ApiView):
    serializer_class = s.InstanceDetailSerializer

    @extend_schema(summary=_("Estado y trayectoria de un trámite"),
                   responses={200: s.InstanceDetailSerializer, **errors(404)})
    def get(self, request: Request, pk: str) -> Response:
        scope = self.scope
        instance = access.instance_for_view(scope, pk)
        selectors.record_case_read(request.user, instance, via="api:instance")
        return Response(instance_detail(scope, instance))


@extend_schema(tags=["expedientes"])
class InstanceAdminListView(ApiView):
    serializer_class = s.AdminInstanceSerializer

    @extend_schema(summary=_("Todas las instancias (administradores)"), parameters=[s.InstanceFilterSerializer],
                   responses={200: s.AdminInstanceSerializer(many=True), **errors(400, 403)})
    def get(self, request: Request) -> Response:
        scope = self.scope
        access.require_admin(scope)
        f = self.query(s.InstanceFilterSerializer)
        instances = selectors.admin_instances(scope, status=f["status"], process=f["process"], unit=f["unit"],
                                              since=f["since"], until=f["until"])
        instances = with_open_tasks(instances).annotate(
            open_incidents=Count("incidents", filter=Q(incidents__resolved_at__isnull=True)))
        return self.paginated(instances, s.AdminInstanceSerializer)


@extend_schema(tags=["expedientes"])
class InstanceActionView(ApiView):
    """retry / suspend / resume / cancel, for administrators; a reason is always required
    (it goes into the audit trail). A retry whose step fails again answers 409 with the
    new failure; the incident stays open."""

    serializer_class = s.ReasonSerializer
    action_name = ""

    @extend_schema(summary=_("Reintentar, suspender, reanudar o cancelar (administradores)"),
                   request=s.ReasonSerializer,
                   responses={200: s.InstanceDetailSerializer, **errors(400, 403, 404, 409)})
    def post(self, request: Request, pk: str) -> Response:
        reason = self.body(s.ReasonSerializer)["reason"]
        service = getattr(services, f"instance_{self.action_name}")
        try:
            instance = service(user=request.user, instance_pk=pk, reason=reason)
        except StepFailed as exc:
            return Response({"detail": gettext("El reintento volvió a fallar: %(error)s") % {"error": exc}},
                            status=status.HTTP_409_CONFLICT)
        return Response(instance_detail(self.scope, instance))


# --- Units --------------------------------------------------------------------------------------


def unit_or_404(code: str) -> OrgUnit:
    unit = OrgUnit.objects.select_related("parent").filter(code=code).first()
    if unit is None:
        raise access.NotVisible
    return unit


@extend_schema(tags=["unidades"])
class UnitListView(ApiView):
    serializer_class = s.UnitSerializer
    permission_classes = [IsAuthenticated, IsOfficer]

    @extend_schema(summary=_("Unidades orgánicas"), parameters=[s.UnitFilterSerializer],
                   responses={200: s.UnitSerializer(many=True), **errors(400, 403)})
    def get(self, request: Request) -> Response:
        f = self.query(s.UnitFilterSerializer)
        units = OrgUnit.objects.select_related("parent").order_by("path")
        if f["kind"]:
            units = units.filter(kind=f["kind"])
        if f["parent"]:
            units = units.filter(parent__code=f["parent"])
        if f["q"]:
            units = units.filter(Q(name__icontains=f["q"]) | Q(code__icontains=f["q"]))
        return self.paginated(units, s.UnitSerializer)

    @extend_schema(summary=_("Crear una unidad (administradores)"), request=s.UnitWriteSerializer,
                   responses={201: s.UnitSerializer, **errors(400, 403)})
    def post(self, request: Request) -> Response:
        access.require_admin(self.scope)
        body = self.body(s.UnitWriteSerializer)
        unit = orgs.unit_save(unit=OrgUnit(**{"code": "", **body}), by=request.user)
        return Response(s.UnitSerializer(unit).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=["unidades"])
class UnitDetailView(ApiView):
    serializer_class = s.UnitSerializer
    permission_classes = [IsAuthenticated, IsOfficer]

    @extend_schema(summary=_("Una unidad orgánica"), responses={200: s.UnitSerializer, **errors(403, 404)})
    def get(self, request: Request, code: str) -> Response:
        return Response(s.UnitSerializer(unit_or_404(code)).data)

    @extend_schema(summary=_("Modificar una unidad (administradores)"), request=s.UnitUpdateSerializer,
                   responses={200: s.UnitSerializer, **errors(400, 403, 404)})
    def patch(self, request: Request, code: str) -> Response:
        access.require_admin(self.scope)
        unit = unit_or_404(code)
        for name, value in self.body(s.UnitUpdateSerializer, partial=True).items():
            setattr(unit, name, value)
        return Response(s.UnitSerializer(orgs.unit_save(unit=unit, by=request.user)).data)


# --- Positions ----------------------------------------------------------------------------------


@extend_schema(tags=["cargos"])
class PositionListView(ApiView):
    serializer_class = s.PositionSerializer
    permission_classes = [IsAuthenticated, IsOfficer]

    @extend_schema(summary=_("Cargos en su ámbito"), parameters=[s.PositionFilterSerializer],
                   responses={200: s.PositionSerializer(many=True), **errors(400, 403)})
    def get(self, request: Request) -> Response:
        f = self.query(s.PositionFilterSerializer)
        positions = access.visible_positions(self.scope)
        if f["unit"]:
            positions = positions.filter(unit__code=f["unit"])
        if f["role"]:
            positions = positions.filter(role_id=f["role"])
        if f["active"] is not None:
            positions = positions.filter(until__isnull=f["active"])
        return self.paginated(positions.order_by("unit__path", "role_id", "-since", "pk"), s.PositionSerializer)

    @extend_schema(summary=_("Asignar un cargo (administradores)"), request=s.PositionAssignSerializer,
                   responses={201: s.PositionSerializer, **errors(400, 403)})
    def post(self, request: Request) -> Response:
        access.require_admin(self.scope)
        body = self.body(s.PositionAssignSerializer)
        position = orgs.position_assign(user=body["user"], role=body["role"], unit=body["unit"], by=request.user,
                                        reason=body["reason"], nivel=body["nivel"])
        return Response(s.PositionSerializer(position).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=["cargos"])
class PositionEndView(ApiView):
    serializer_class = s.ReasonSerializer
    permission_classes = [IsAuthenticated, IsOfficer]

    @extend_schema(summary=_("Terminar un cargo (administradores)"), request=s.ReasonSerializer,
                   responses={200: s.PositionSerializer, **errors(400, 403, 404)})
    def post(self, request: Request, pk: str) -> Response:
        access.require_admin(self.scope)
        reason = self.body(s.ReasonSerializer)["reason"]
        position = Position.objects.filter(pk=int(pk)).first() if pk.isdigit() else None
        if position is None:
            raise access.NotVisible
        position = orgs.position_end(position=position, by=request.user, reason=reason)
        return Response(s.PositionSerializer(position).data)


@extend_schema(tags=["cargos"])
class PositionReplaceView(ApiView):
    serializer_class = s.PositionReplaceSerializer
    permission_classes = [IsAuthenticated, IsOfficer]

    @extend_schema(summary=_("Reemplazar al titular de un cargo (administradores)"),
                   request=s.PositionReplaceSerializer,
                   responses={201: s.PositionSerializer, **errors(400, 403)})
    def post(self, request: Request) -> Response:
        access.require_admin(self.scope)
        body = self.body(s.PositionReplaceSerializer)
        position = orgs.position_replace(unit=body["unit"], role=body["role"], user=body["user"], by=request.user,
                                         reason=body["reason"], nivel=body["nivel"])
        return Response(s.PositionSerializer(position).data, status=status.HTTP_201_CREATED)


class NotFoundView(ApiView):
    """Any other path under /api/v1/: the same JSON 404 as a missing record."""

    permission_classes: list = []

    @extend_schema(exclude=True)
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        raise access.NotVisible

    post = put = patch = delete = get


# --- Documents ----------------------------------------------------------------------------------


class DocumentUploadView(ApiView):
    """Upload a file for a form's document field; the answer's `id` goes into the form data.

    The field's `x-file` options decide the accepted types and size; the type is sniffed
    from the bytes. Only the uploader may later attach the document."""

    parser_classes = [MultiPartParser]
    serializer_class = s.DocumentUploadSerializer

    @extend_schema(tags=["documentos"], summary=_("Subir un documento para un formulario"),
                   request={"multipart/form-data": s.DocumentUploadSerializer},
                   responses={201: s.DocumentSerializer, **errors(400, 413)})
    def post(self, request: Request) -> Response:
        body = self.body(s.DocumentUploadSerializer)
        scope = self.scope
        allowed = {d.start_form_key for d in access.startable_definitions(scope)}
        allowed |= set(access.workable_tasks(scope).values_list("form_key", flat=True).distinct())
        if body["form"] not in allowed - {""}:
            raise access.NotAllowed(gettext(
                "Solo puede subir documentos para los formularios de trámites que usted inicia "
                "o de tareas que le corresponden."))
        form = form_or_none(body["form"])
        field = field_schema_at(form, body["field"]) if form is not None else {}
        if field.get("format") != "document":
            message = gettext("Ese formulario no tiene un campo de documento con ese nombre.")
            raise services.FormInvalid({"field": [message]})
        try:
            document = store_upload(body["file"], field_schema=field, user=request.user)
        except UploadRejected as exc:
            raise services.FormInvalid({"file": [exc.message]}) from exc
        log_activity(actor=request.user, action="document_uploaded", obj=document,
                     data={"form": body["form"], "field": body["field"], "size": document.size})
        return Response(s.DocumentSerializer(document).data, status=status.HTTP_201_CREATED)
