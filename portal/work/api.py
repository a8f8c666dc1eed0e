"""REST API of the work: processes to start, the inbox and its tasks, cases, uploads.

Views check access through portal.work.access, call one service of portal.work.services
(the same the pages call) and serialize. Errors become JSON through
portal.api.exceptions.exception_handler.
"""

from __future__ import annotations

import logging
from typing import Any

from django.urls import path
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from engine.errors import StepFailed
from engine.models import HumanTask, HumanTaskState, ProcessInstance
from portal.api.base import ApiView, errors
from portal.api.serializers import ReasonSerializer
from portal.orgs.access import Scope, require_admin
from portal.orgs.selectors import unit_names
from portal.schemaforms.loader import FormDefinition, FormError, load_form
from portal.schemaforms.schema import object_fields
from portal.shared.errors import FormInvalid
from portal.shared.ids import parse_uuid

from . import access, panels, selectors, services, timeline
from . import serializers as s

logger = logging.getLogger(__name__)

ACCEPTED = OpenApiResponse(s.InstanceDetailSerializer, description=_(
    "Registrado, pero un paso automático falló: el trámite queda con una incidencia (ver «notice»)."))



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


def task_detail(scope: Scope, task: HumanTask, request: Request) -> dict[str, Any]:
    """What the task page shows: the form, the request being worked on (while the task
    is open) or the values submitted (once completed), and whether the user may act now."""
    instance = task.instance
    form = form_or_none(task.form_key)
    is_open = task.state == HumanTaskState.OPEN
    # Attributes for TaskDetailSerializer, not fields of the model.
    task.form = form  # type: ignore[attr-defined]
    task.can_work = access.can_act(scope, task)  # type: ignore[attr-defined]
    task.data = {} if is_open else _fields_of(form, selectors.completed_data(task))  # type: ignore[attr-defined]
    task.request_data = (  # type: ignore[attr-defined]
        _fields_of(form_or_none(instance.definition.start_form_key), selectors.start_data(instance)) if is_open else {})
    panel = panels.panel_for(task, request.user) if is_open else None
    extra = panel.api if panel is not None else {}
    task.panel = extra  # type: ignore[attr-defined]
    for key in s.TaskDetailSerializer.PANEL_FIELDS:
        if key in extra:
            setattr(task, key, extra[key])
    declared = s.TaskDetailSerializer.Meta.fields
    # The serialized dict (the stubs take `.data` for the declared `data` field).
    data: dict[str, Any] = s.TaskDetailSerializer(task, context={"request": request}).data  # type: ignore[assignment]
    # Keys a panel adds that the schema does not name yet still reach the client, never
    # replacing a standard field.
    return {**{k: v for k, v in extra.items() if k not in declared}, **data}


def instance_detail(scope: Scope, instance: ProcessInstance) -> dict[str, Any]:
    """Status, current steps, the audit timeline and the diagram marks of one instance.
    Names of people are shown to staff only (timeline.build's rule)."""
    staff = scope.is_staff
    steps = timeline.current_steps(instance, staff=staff)
    names = unit_names({instance.org_unit})
    outcome = selectors.outcomes([instance.pk]).get(instance.pk, "")
    mine = instance.started_by_id == getattr(scope.user, "pk", None)
    rejected = outcome == selectors.REJECTED
    corrections = selectors.corrections(instance)
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
        "outcome": outcome,
        "outcome_label": selectors.outcome_label(outcome),
        "failed_requirements": selectors.failed_items(instance) if rejected and (mine or staff) else [],
        "request_data": _fields_of(form_or_none(instance.definition.start_form_key), selectors.start_data(instance))
        if mine else {},
        "corrects": corrections["corrige_a"],
        "corrected_by": corrections["corregida_por"],
    }
    return s.InstanceDetailSerializer(data).data


def accepted_with_incident(scope: Scope, exc: StepFailed, notice: str) -> Response:
    """202: the request was taken (the incident keeps it and an administrator's retry
    replays it), but an automatic step after it failed."""
    instance_id = selectors.incident_instance_id(exc.incident_id)
    if instance_id is None:
        raise exc
    instance = access.instance_for_view(scope, instance_id)
    return Response({**instance_detail(scope, instance), "notice": notice}, status=status.HTTP_202_ACCEPTED)


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
                              **errors(400, 403, 404, 413, 422)})
    def post(self, request: Request, key: str) -> Response:
        """An `Idempotency-Key` header (a UUID) makes a resent request return the case the
        first one created (200) instead of starting a second one; the same key with a
        different body is refused (422). The key and the case are stored together: after
        a crash with no answer, send the same request again."""
        body = self.body(s.StartRequestSerializer)
        key_header = request.headers.get("Idempotency-Key")
        if key_header is not None and parse_uuid(key_header.strip()) is None:
            raise FormInvalid({"Idempotency-Key": [gettext("Debe ser un UUID, p. ej. "
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
                                held=HELD[f["scope"]], instance=f["instance"])
        return self.paginated(tasks, s.TaskSerializer)


@extend_schema(tags=["tareas"])
class TaskCountsView(ApiView):
    serializer_class = s.TaskCountsSerializer
    pagination_class = None

    @extend_schema(summary=_("Tareas pendientes por trámite"), responses={200: s.TaskCountsSerializer,
                                                                           **errors()})
    def get(self, request: Request) -> Response:
        counts = selectors.inbox_counts(self.scope)
        names = selectors.process_names({c["process_key"] for c in counts})
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
        services.case_read_log(user=request.user, instance=task.instance, via="api:task")
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
        services.case_read_log(user=request.user, instance=task.instance, via="api:task")
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
        return self.paginated(selectors.with_open_tasks(selectors.my_instances(request.user)), s.InstanceSerializer)


@extend_schema(tags=["expedientes"])
class InstanceDetailView(ApiView):
    serializer_class = s.InstanceDetailSerializer

    @extend_schema(summary=_("Estado y trayectoria de un trámite"),
                   responses={200: s.InstanceDetailSerializer, **errors(404)})
    def get(self, request: Request, pk: str) -> Response:
        scope = self.scope
        instance = access.instance_for_view(scope, pk)
        services.case_read_log(user=request.user, instance=instance, via="api:instance")
        return Response(instance_detail(scope, instance))


@extend_schema(tags=["expedientes"])
class InstanceAdminListView(ApiView):
    serializer_class = s.AdminInstanceSerializer

    @extend_schema(summary=_("Todas las instancias (administradores)"), parameters=[s.InstanceFilterSerializer],
                   responses={200: s.AdminInstanceSerializer(many=True), **errors(400, 403)})
    def get(self, request: Request) -> Response:
        scope = self.scope
        require_admin(scope)
        f = self.query(s.InstanceFilterSerializer)
        instances = selectors.admin_instances(scope, status=f["status"], process=f["process"], unit=f["unit"],
                                              since=f["since"], until=f["until"])
        instances = selectors.with_open_incident_count(selectors.with_open_tasks(instances))
        return self.paginated(instances, s.AdminInstanceSerializer)


INSTANCE_ACTIONS = ("retry", "suspend", "resume", "cancel")


@extend_schema(tags=["expedientes"])
class InstanceActionView(ApiView):
    """retry / suspend / resume / cancel, for administrators; a reason is always required
    (it goes into the audit trail). A retry whose step fails again answers 409 with the
    new failure; the incident stays open."""

    serializer_class = ReasonSerializer
    action_name = ""

    @extend_schema(summary=_("Reintentar, suspender, reanudar o cancelar (administradores)"),
                   request=ReasonSerializer,
                   responses={200: s.InstanceDetailSerializer, **errors(400, 403, 404, 409)})
    def post(self, request: Request, pk: str) -> Response:
        reason = self.body(ReasonSerializer)["reason"]
        service = getattr(services, f"instance_{self.action_name}")
        try:
            instance = service(user=request.user, instance_pk=pk, reason=reason)
        except StepFailed as exc:
            return Response({"detail": gettext("El reintento volvió a fallar: %(error)s") % {"error": exc}},
                            status=status.HTTP_409_CONFLICT)
        return Response(instance_detail(self.scope, instance))


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
        document = services.document_upload(user=request.user, form_key=body["form"], field=body["field"],
                                            file=body["file"])
        return Response(s.DocumentSerializer(document).data, status=status.HTTP_201_CREATED)


urlpatterns = [
    path("processes/", ProcessListView.as_view(), name="process-list"),
    path("processes/<str:key>/start/", ProcessStartView.as_view(), name="process-start"),
    path("tasks/", TaskListView.as_view(), name="task-list"),
    path("tasks/counts/", TaskCountsView.as_view(), name="task-counts"),
    path("tasks/<str:pk>/", TaskDetailView.as_view(), name="task-detail"),
    path("tasks/<str:pk>/claim/", TaskClaimView.as_view(), name="task-claim"),
    path("tasks/<str:pk>/unclaim/", TaskUnclaimView.as_view(), name="task-unclaim"),
    path("tasks/<str:pk>/complete/", TaskCompleteView.as_view(), name="task-complete"),
    path("instances/", InstanceAdminListView.as_view(), name="instance-list"),
    path("instances/mine/", MyInstanceListView.as_view(), name="instance-mine"),
    path("instances/<str:pk>/", InstanceDetailView.as_view(), name="instance-detail"),
    *[
        path(f"instances/<str:pk>/{action}/", InstanceActionView.as_view(action_name=action),
             name=f"instance-{action}")
        for action in INSTANCE_ACTIONS
    ],
    path("documents/", DocumentUploadView.as_view(), name="document-upload"),
]
