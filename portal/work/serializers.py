"""Request and response bodies of the work API: processes, tasks, instances, documents.

Task panels may add keys at the top level of the task detail (portal.work.panels "api");
the app that provides them declares their serializer fields with
`register_panel_fields` so the OpenAPI schema names them.
"""

from __future__ import annotations

from typing import Any, cast

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from engine.models import HumanTask, InstanceStatus, ProcessInstance
from portal.api.serializers import FormSerializer, PersonRefSerializer, UnitNamesListSerializer, UnitNamesMixin
from portal.orgs.roles import role_name

from .selectors import DUE_FILTERS, outcome_label, outcomes
from .timeline import office_label

# --- Processes ------------------------------------------------------------------------------


class StartPositionSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    role = serializers.CharField(source="role_id")
    role_name = serializers.CharField(source="role.name")
    unit = serializers.CharField(source="unit.code")
    unit_name = serializers.CharField(source="unit.name")


class ProcessSerializer(serializers.Serializer):
    key = serializers.CharField()
    name = serializers.CharField()
    version = serializers.IntegerField()
    start_form_key = serializers.CharField()
    start_form = FormSerializer(allow_null=True)
    positions = StartPositionSerializer(many=True, help_text=_("Sus cargos desde los que puede iniciarlo."))


# Fields named `data` or `errors` are declared fields, not Serializer.data / .errors: DRF's
# metaclass takes declared fields off the class; the stubs see a clash.
class StartRequestSerializer(serializers.Serializer):
    data = serializers.DictField(  # type: ignore[assignment]
        default=dict, help_text=_("Valores del formulario de inicio."))
    position = serializers.IntegerField(required=False, allow_null=True,
                                        help_text=_("Cargo desde el que inicia (si tiene varios)."))


# --- Tasks ----------------------------------------------------------------------------------


class TaskSerializer(UnitNamesMixin, serializers.ModelSerializer):
    unit_code_fields = ("unit",)

    process_key = serializers.CharField()
    process_name = serializers.CharField(source="instance.definition.name")
    instance = serializers.IntegerField(source="instance_id")
    role_name = serializers.SerializerMethodField()
    unit_name = serializers.SerializerMethodField()
    overdue = serializers.SerializerMethodField()
    state_label = serializers.CharField(source="get_state_display")
    claimed_by = PersonRefSerializer(allow_null=True)

    class Meta:
        model = HumanTask
        fields = ["id", "title", "process_key", "process_name", "instance", "role", "role_name", "unit",
                  "unit_name", "nivel", "state", "state_label", "due_at", "overdue", "escalated_at",
                  "escalation_note", "claimed_by", "created_at"]
        list_serializer_class = UnitNamesListSerializer

    def get_role_name(self, task: HumanTask) -> str:
        return role_name(task.role)

    def get_unit_name(self, task: HumanTask) -> str:
        return self.unit_name_of(task.unit)

    def get_overdue(self, task: HumanTask) -> bool:
        return bool(task.due_at and task.state == "open" and task.due_at < timezone.now())


class TaskDetailSerializer(TaskSerializer):
    form_key = serializers.CharField()
    form = FormSerializer(allow_null=True)
    lock_version = serializers.IntegerField(
        source="instance.lock_version",
        help_text=_("Versión del expediente; devuélvala como «expected_version» al completar."))
    can_work = serializers.BooleanField(help_text=_("Falso si solo puede ver la tarea (supervisión)."))
    data = serializers.JSONField(  # type: ignore[assignment]  # see StartRequestSerializer
        help_text=_("Valores enviados, una vez completada la tarea."))
    request_data = serializers.JSONField(
        help_text=_("La solicitud que originó el trámite (formulario de inicio), mientras la tarea está pendiente."))
    panel = serializers.JSONField(help_text=_(
        "Lo que el paso muestra junto al formulario mientras está pendiente (vacío si nada): las mismas claves "
        "que se agregan al nivel superior de esta respuesta, p. ej. «verificaciones» y «titular_visto»."))
    # What task panels add at the top level (portal.work.panels), only for the tasks that
    # have one: declared by their apps through register_panel_fields.
    PANEL_FIELDS: tuple[str, ...] = ()

    def to_representation(self, task: HumanTask) -> dict[str, Any]:
        data = super().to_representation(task)
        present = getattr(task, "panel", None) or {}
        for key in self.PANEL_FIELDS:  # only the tasks whose panel provides them
            if key not in present:
                data.pop(key, None)
        return data

    class Meta(TaskSerializer.Meta):
        fields = [*TaskSerializer.Meta.fields, "form_key", "form", "lock_version", "can_work", "data",
                  "request_data", "panel"]


def register_panel_fields(**fields: serializers.Field) -> None:
    """Declare the keys a task panel adds at the top level of `GET /api/v1/tasks/<id>/`
    (its `api` dict), with the serializer field that documents each one in the OpenAPI
    schema. Call from AppConfig.ready(), before the first request."""
    for name, declared in fields.items():
        if name in TaskDetailSerializer._declared_fields and name not in TaskDetailSerializer.PANEL_FIELDS:
            raise ValueError(f"{name!r} is a standard field of the task detail")
        TaskDetailSerializer._declared_fields[name] = declared
        if name not in TaskDetailSerializer.Meta.fields:
            TaskDetailSerializer.Meta.fields.append(name)
        if name not in TaskDetailSerializer.PANEL_FIELDS:
            TaskDetailSerializer.PANEL_FIELDS = (*TaskDetailSerializer.PANEL_FIELDS, name)


class TaskFilterSerializer(serializers.Serializer):
    scope = serializers.ChoiceField(choices=["claimable", "mine", "all"], default="all", required=False)
    process = serializers.CharField(required=False, allow_blank=True, max_length=200, default="")
    unit = serializers.CharField(required=False, allow_blank=True, max_length=64, default="")
    due = serializers.ChoiceField(choices=["", *DUE_FILTERS], required=False, allow_blank=True, default="")
    instance = serializers.IntegerField(required=False, allow_null=True, default=None, min_value=1,
                                        help_text=_("Solo las tareas de este expediente."))


class TaskCountSerializer(serializers.Serializer):
    process_key = serializers.CharField()
    process_name = serializers.CharField()
    count = serializers.IntegerField()


class TaskCountsSerializer(serializers.Serializer):
    total = serializers.IntegerField()
    processes = TaskCountSerializer(many=True)


class CompleteRequestSerializer(serializers.Serializer):
    data = serializers.DictField(  # type: ignore[assignment]  # see StartRequestSerializer
        default=dict, help_text=_("Valores del formulario de la tarea."))
    expected_version = serializers.IntegerField(
        required=False, allow_null=True, min_value=0,
        help_text=_("El «lock_version» que leyó; si el expediente cambió, la respuesta es 409."))


# --- Instances ------------------------------------------------------------------------------


class ProcessRefSerializer(serializers.Serializer):
    key = serializers.CharField()
    name = serializers.CharField()
    version = serializers.IntegerField()


class CurrentStepSerializer(UnitNamesMixin, serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    office = serializers.SerializerMethodField()
    due_at = serializers.DateTimeField(allow_null=True)

    def get_office(self, task: HumanTask) -> str:
        return office_label(task.role, self.unit_name_of(task.unit))


class InstanceListSerializer(UnitNamesListSerializer):
    """Unit names and how each case ended, read once for the whole page."""

    def to_representation(self, data: Any) -> list:
        items = list(data.all() if hasattr(data, "all") else data)
        context = cast(dict[str, Any], cast("InstanceSerializer", self.child).context)
        context["_outcomes"] = outcomes([i.pk for i in items])
        return super().to_representation(items)


class InstanceSerializer(UnitNamesMixin, serializers.ModelSerializer):
    unit_code_fields = ("org_unit",)

    process = ProcessRefSerializer(source="definition")
    status_label = serializers.CharField(source="get_status_display")
    org_unit_name = serializers.SerializerMethodField()
    current_steps = serializers.SerializerMethodField()
    outcome = serializers.SerializerMethodField(help_text=_(
        "Cómo terminó, si un paso lo registró: p. ej. «rechazada», «creada», «baja»; vacío si no."))
    outcome_label = serializers.SerializerMethodField()

    class Meta:
        model = ProcessInstance
        fields = ["id", "process", "status", "status_label", "outcome", "outcome_label", "org_unit",
                  "org_unit_name", "business_key", "started_at", "ended_at", "current_steps"]
        list_serializer_class = InstanceListSerializer

    def get_outcome(self, obj: ProcessInstance) -> str:
        context = cast(dict[str, Any], self.context)
        found = context.get("_outcomes")
        if found is None:  # a lone instance
            found = context["_outcomes"] = outcomes([obj.pk])
        return str(found.get(obj.pk, ""))

    def get_outcome_label(self, obj: ProcessInstance) -> str:
        return str(outcome_label(self.get_outcome(obj)))

    def unit_codes(self, obj: ProcessInstance) -> set[str]:
        return {obj.org_unit} | {t.unit for t in self._open_tasks(obj)}

    @staticmethod
    def _open_tasks(obj: ProcessInstance) -> list[HumanTask]:
        # Views prefetch the open tasks into `open_tasks`; a lone instance reads them here.
        tasks = getattr(obj, "open_tasks", None)
        if tasks is None:
            tasks = list(HumanTask.objects.filter(instance=obj, state="open").order_by("pk"))
            obj.open_tasks = tasks  # type: ignore[attr-defined]  # the same cache as the views' prefetch
        return tasks

    def get_org_unit_name(self, obj: ProcessInstance) -> str:
        return self.unit_name_of(obj.org_unit)

    @extend_schema_field(CurrentStepSerializer(many=True))
    def get_current_steps(self, obj: ProcessInstance) -> list[dict]:
        # many=True makes a ListSerializer, whose .data is a list; the stubs say ReturnDict.
        return CurrentStepSerializer(  # type: ignore[return-value]
            self._open_tasks(obj), many=True, context=self.context).data


class AdminInstanceSerializer(InstanceSerializer):
    open_incidents = serializers.IntegerField()

    class Meta(InstanceSerializer.Meta):
        fields = [*InstanceSerializer.Meta.fields, "open_incidents"]


class InstanceFilterSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=[("", _("todos")), *InstanceStatus.choices], required=False,
                                     allow_blank=True, default="")
    process = serializers.CharField(required=False, allow_blank=True, max_length=200, default="")
    unit = serializers.CharField(required=False, allow_blank=True, max_length=64, default="",
                                 help_text=_("Código de unidad: incluye las unidades que dependen de ella."))
    since = serializers.DateField(required=False, allow_null=True, default=None,
                                  help_text=_("Iniciados desde esta fecha (AAAA-MM-DD)."))
    until = serializers.DateField(required=False, allow_null=True, default=None,
                                  help_text=_("Iniciados hasta esta fecha (AAAA-MM-DD)."))


class CurrentTaskSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="task.pk")
    title = serializers.CharField()
    office = serializers.CharField()
    holder = serializers.CharField(help_text=_("Quién la tomó (vacío si nadie o si usted no es personal)."))
    due_at = serializers.DateTimeField(allow_null=True)


class TimelineEntrySerializer(serializers.Serializer):
    when = serializers.DateTimeField()
    when_text = serializers.CharField()
    action = serializers.CharField()
    who = serializers.CharField(help_text=_("La oficina que actuó (rol y unidad)."))
    person = serializers.CharField(help_text=_("Nombre de la persona (solo para personal)."))
    text = serializers.CharField()
    element_id = serializers.CharField()


class ElementStatesSerializer(serializers.Serializer):
    completed = serializers.ListField(child=serializers.CharField())
    active = serializers.ListField(child=serializers.CharField())


class FailedRequirementSerializer(serializers.Serializer):
    requisito = serializers.CharField()
    observacion = serializers.CharField(allow_blank=True)


class InstanceDetailSerializer(serializers.Serializer):
    """Built by the view from the instance and the timeline module's reads."""

    id = serializers.IntegerField()
    process = ProcessRefSerializer()
    status = serializers.ChoiceField(choices=InstanceStatus.choices)
    status_label = serializers.CharField()
    org_unit = serializers.CharField()
    org_unit_name = serializers.CharField()
    business_key = serializers.CharField()
    started_at = serializers.DateTimeField()
    ended_at = serializers.DateTimeField(allow_null=True)
    lock_version = serializers.IntegerField()
    current_tasks = CurrentTaskSerializer(many=True)
    timeline = TimelineEntrySerializer(many=True)
    element_states = ElementStatesSerializer()
    outcome = serializers.CharField(help_text=_(
        "Cómo terminó, si un paso lo registró: p. ej. «rechazada», «creada», «baja»; vacío si no."))
    outcome_label = serializers.CharField()
    failed_requirements = FailedRequirementSerializer(many=True, help_text=_(
        "Si fue rechazada: los requisitos que no se cumplieron, con la observación (para quien lo pidió y el "
        "personal)."))
    request_data = serializers.JSONField(help_text=_(
        "Los datos de la solicitud (formulario de inicio), solo para quien la presentó: sirven para corregirla."))
    corrects = serializers.IntegerField(allow_null=True, help_text=_("El expediente rechazado que este corrige."))
    corrected_by = serializers.ListField(child=serializers.IntegerField(), help_text=_(
        "Los expedientes que corrigen este."))
    notice = serializers.CharField(required=False, help_text=_(
        "Solo con 202: la solicitud quedó registrada, pero un paso automático falló (incidencia)."))


# --- Documents ------------------------------------------------------------------------------


class DocumentUploadSerializer(serializers.Serializer):
    form = serializers.CharField(max_length=200, help_text="Clave del formulario (formKey)")
    field = serializers.CharField(max_length=200, help_text="Campo de documento, p. ej. oficio o apoderado.dni_copia")
    file = serializers.FileField(help_text="El archivo; su tipo se comprueba por su contenido")


class DocumentSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    original_name = serializers.CharField()
    content_type = serializers.CharField()
    size = serializers.IntegerField()
    sha256 = serializers.CharField()
