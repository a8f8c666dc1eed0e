"""Request and response bodies of the REST API.

Response serializers only shape data the views already fetched through the selectors
and access rules; they add names (roles, units) from lookups made once per response,
never per row. Request serializers check types only: the business rules (who may, which
values a form accepts) are the services' and the forms'.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from engine.models import HumanTask, InstanceStatus, ProcessInstance
from portal.orgs.models import Gestion, Modalidad, Nivel, OrgUnit, Position, Role, UnitKind
from portal.orgs.roles import role_name
from portal.work.selectors import DUE_FILTERS
from portal.work.timeline import office_label

User = get_user_model()


def person_name(user: Any) -> str:
    if user is None:
        return ""
    return user.get_full_name() or user.get_username()


# --- Unit names, looked up once per response ------------------------------------------------


def unit_names(codes: set[str]) -> dict[str, str]:
    codes = {c for c in codes if c}
    if not codes:
        return {}
    return dict(OrgUnit.objects.filter(code__in=codes).values_list("code", "name"))


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


class StartRequestSerializer(serializers.Serializer):
    data = serializers.DictField(default=dict, help_text=_("Valores del formulario de inicio."))
    position = serializers.IntegerField(required=False, allow_null=True,
                                        help_text=_("Cargo desde el que inicia (si tiene varios)."))


# --- Tasks ----------------------------------------------------------------------------------


class PersonRefSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    name = serializers.SerializerMethodField()

    def get_name(self, user: Any) -> str:
        return person_name(user)


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
                  "unit_name", "state", "state_label", "due_at", "overdue", "escalated_at", "claimed_by",
                  "created_at"]
        list_serializer_class = UnitNamesListSerializer

    def get_role_name(self, task: HumanTask) -> str:
        return role_name(task.role)

    def get_unit_name(self, task: HumanTask) -> str:
        return self.unit_name(task.unit)

    def get_overdue(self, task: HumanTask) -> bool:
        return bool(task.due_at and task.state == "open" and task.due_at < timezone.now())


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


class TaskDetailSerializer(TaskSerializer):
    form_key = serializers.CharField()
    form = FormSerializer(allow_null=True)
    lock_version = serializers.IntegerField(
        source="instance.lock_version",
        help_text=_("Versión del expediente; devuélvala como «expected_version» al completar."))
    can_work = serializers.BooleanField(help_text=_("Falso si solo puede ver la tarea (supervisión)."))
    data = serializers.JSONField(help_text=_("Valores enviados, una vez completada la tarea."))
    request_data = serializers.JSONField(
        help_text=_("La solicitud que originó el trámite (formulario de inicio), mientras la tarea está pendiente."))
    panel = serializers.JSONField(help_text=_(
        "Lo que el paso muestra junto al formulario mientras está pendiente (vacío si nada): las mismas claves "
        "que se agregan al nivel superior de esta respuesta, p. ej. «verificaciones» y «titular_visto»."))
    # What a task panel adds at the top level (portal.work.panels), only for the tasks that have one.
    verificaciones = CheckSerializer(many=True, required=False, help_text=_(
        "Verificaciones automáticas de una solicitud de alta o baja, calculadas ahora (solo en la tarea de "
        "verificación)."))
    titular = HolderSerializer(required=False, allow_null=True, help_text=_(
        "Titular actual del puesto de un solo titular; nulo si está libre (solo en la tarea de verificación)."))
    titular_visto = serializers.CharField(required=False, help_text=_(
        "«ninguno» o el id del cargo del titular actual: devuélvalo tal cual en el campo «titular_visto» del "
        "formulario de verificación; si el titular cambió, la respuesta es 409 y esta tarea trae el nuevo valor."))
    acta_url = serializers.CharField(required=False, help_text=_(
        "Enlace al acta de entrega en PDF (solo en la tarea de entrega del usuario)."))

    PANEL_FIELDS = ("verificaciones", "titular", "titular_visto", "acta_url")

    def to_representation(self, task: HumanTask) -> dict[str, Any]:
        data = super().to_representation(task)
        present = getattr(task, "panel", None) or {}
        for key in self.PANEL_FIELDS:  # only the tasks whose panel provides them
            if key not in present:
                data.pop(key, None)
        return data

    class Meta(TaskSerializer.Meta):
        fields = [*TaskSerializer.Meta.fields, "form_key", "form", "lock_version", "can_work", "data",
                  "request_data", "panel", "verificaciones", "titular", "titular_visto", "acta_url"]


class TaskFilterSerializer(serializers.Serializer):
    scope = serializers.ChoiceField(choices=["claimable", "mine", "all"], default="all", required=False)
    process = serializers.CharField(required=False, allow_blank=True, max_length=200, default="")
    unit = serializers.CharField(required=False, allow_blank=True, max_length=64, default="")
    due = serializers.ChoiceField(choices=["", *DUE_FILTERS], required=False, allow_blank=True, default="")


class TaskCountSerializer(serializers.Serializer):
    process_key = serializers.CharField()
    process_name = serializers.CharField()
    count = serializers.IntegerField()


class TaskCountsSerializer(serializers.Serializer):
    total = serializers.IntegerField()
    processes = TaskCountSerializer(many=True)


class CompleteRequestSerializer(serializers.Serializer):
    data = serializers.DictField(default=dict, help_text=_("Valores del formulario de la tarea."))
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
        return office_label(task.role, self.unit_name(task.unit))


class InstanceSerializer(UnitNamesMixin, serializers.ModelSerializer):
    unit_code_fields = ("org_unit",)

    process = ProcessRefSerializer(source="definition")
    status_label = serializers.CharField(source="get_status_display")
    org_unit_name = serializers.SerializerMethodField()
    current_steps = serializers.SerializerMethodField()

    class Meta:
        model = ProcessInstance
        fields = ["id", "process", "status", "status_label", "org_unit", "org_unit_name", "business_key",
                  "started_at", "ended_at", "current_steps"]
        list_serializer_class = UnitNamesListSerializer

    def unit_codes(self, obj: ProcessInstance) -> set[str]:
        return {obj.org_unit} | {t.unit for t in self._open_tasks(obj)}

    @staticmethod
    def _open_tasks(obj: ProcessInstance) -> list[HumanTask]:
        # Views prefetch the open tasks into `open_tasks`; a lone instance reads them here.
        tasks = getattr(obj, "open_tasks", None)
        if tasks is None:
            tasks = list(HumanTask.objects.filter(instance=obj, state="open").order_by("pk"))
            obj.open_tasks = tasks
        return tasks

    def get_org_unit_name(self, obj: ProcessInstance) -> str:
        return self.unit_name(obj.org_unit)

    @extend_schema_field(CurrentStepSerializer(many=True))
    def get_current_steps(self, obj: ProcessInstance) -> list[dict]:
        return CurrentStepSerializer(self._open_tasks(obj), many=True, context=self.context).data


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
    notice = serializers.CharField(required=False, help_text=_(
        "Solo con 202: la solicitud quedó registrada, pero un paso automático falló (incidencia)."))


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, default="", trim_whitespace=True,
                                   help_text=_("Motivo (obligatorio): queda en la auditoría."))


# --- Units ----------------------------------------------------------------------------------


class UnitSerializer(serializers.ModelSerializer):
    parent = serializers.SlugRelatedField(slug_field="code", read_only=True)
    kind_label = serializers.CharField(source="get_kind_display", read_only=True)

    class Meta:
        model = OrgUnit
        fields = ["code", "name", "kind", "kind_label", "parent", "path", "codigo_modular", "anexo", "nivel",
                  "modalidad", "gestion", "active", "district"]


class UnitFilterSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=[("", _("todos")), *UnitKind.choices], required=False, allow_blank=True,
                                   default="")
    parent = serializers.CharField(required=False, allow_blank=True, max_length=64, default="")
    q = serializers.CharField(required=False, allow_blank=True, max_length=100, default="")


class UnitWriteSerializer(serializers.Serializer):
    """Fields an administrator sets. An IE's code is its código modular and anexo; the
    code of a saved unit never changes (tasks and instances refer to it)."""

    code = serializers.CharField(required=False, allow_blank=True, max_length=64)
    name = serializers.CharField(max_length=200)
    kind = serializers.ChoiceField(choices=UnitKind.choices)
    parent = serializers.SlugRelatedField(slug_field="code", queryset=OrgUnit.objects.all(), allow_null=True,
                                          required=False)
    codigo_modular = serializers.CharField(required=False, allow_blank=True, max_length=7)
    anexo = serializers.CharField(required=False, allow_blank=True, max_length=1)
    nivel = serializers.ChoiceField(choices=Nivel.choices, required=False, allow_blank=True)
    modalidad = serializers.ChoiceField(choices=Modalidad.choices, required=False, allow_blank=True)
    gestion = serializers.ChoiceField(choices=Gestion.choices, required=False, allow_blank=True)
    active = serializers.BooleanField(required=False)
    district = serializers.CharField(required=False, allow_blank=True, max_length=100)


class UnitUpdateSerializer(UnitWriteSerializer):
    code = None
    codigo_modular = None
    anexo = None
    kind = None


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
