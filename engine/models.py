"""Persistence for the engine: definitions, instances, human tasks, incidents, audit."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ProcessDefinition(models.Model):
    """One deployed version of one BPMN process.

    A file may hold several processes (a collaboration); each executable one becomes a
    definition that carries the whole file, so messages and embedded subprocesses keep
    working. Deploying unchanged content creates nothing; changed content creates the
    next version, and running instances stay on the version they started with.
    """

    key = models.CharField(_("clave"), max_length=200)
    version = models.PositiveIntegerField(_("versión"))
    name = models.CharField(_("nombre"), max_length=300, blank=True)
    xml = models.TextField(_("BPMN XML"))
    sha256 = models.CharField(max_length=64)
    source = models.CharField(_("archivo de origen"), max_length=300, blank=True)
    callees = models.JSONField(
        default=list, blank=True, help_text="Process keys called from this file but defined elsewhere."
    )
    message_starts = models.JSONField(
        default=list, blank=True, help_text="Message names that start this process."
    )
    start_roles = models.JSONField(
        default=list, blank=True, help_text="Roles that may start this process by hand (start event lane)."
    )
    start_form_key = models.CharField(max_length=200, blank=True)
    deployed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    deployed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("definición de proceso")
        verbose_name_plural = _("definiciones de proceso")
        constraints = [
            models.UniqueConstraint(fields=["key", "version"], name="engine_definition_key_version")
        ]
        ordering = ["key", "-version"]
        # Deploying makes a diagram live for every officer, so it is a named permission of
        # its own (superusers hold it; grant it in the admin), never the generic "add".
        permissions = [("deploy_processdefinition", _("Puede desplegar definiciones de proceso"))]

    def __str__(self) -> str:
        return f"{self.key} v{self.version}"


class InstanceStatus(models.TextChoices):
    RUNNING = "running", _("en curso")  # at least one human task is open
    WAITING = "waiting", _("en espera")  # only timers or messages can move it on
    COMPLETED = "completed", _("completado")
    CANCELLED = "cancelled", _("cancelado")
    SUSPENDED = "suspended", _("suspendido")
    INCIDENT = "incident", _("con incidencia")


ACTIVE_STATUSES = (InstanceStatus.RUNNING, InstanceStatus.WAITING)


class ProcessInstance(models.Model):
    definition = models.ForeignKey(ProcessDefinition, on_delete=models.PROTECT, related_name="instances")
    status = models.CharField(max_length=16, choices=InstanceStatus.choices, default=InstanceStatus.RUNNING)
    business_key = models.CharField(_("clave de negocio"), max_length=200, blank=True, db_index=True)
    org_unit = models.CharField(_("unidad"), max_length=64, blank=True, db_index=True)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    started_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    ended_at = models.DateTimeField(null=True, blank=True)
    # Serialized SpiffWorkflow state without the (cached, versioned) specs.
    state = models.TextField(blank=True)
    serializer_version = models.CharField(max_length=32, blank=True)
    callee_versions = models.JSONField(default=dict, blank=True)
    next_timer_at = models.DateTimeField(null=True, blank=True)
    waiting_messages = models.JSONField(default=list, blank=True)
    suspended_from = models.CharField(max_length=16, blank=True)
    lock_version = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("instancia de proceso")
        verbose_name_plural = _("instancias de proceso")
        indexes = [
            models.Index(
                fields=["next_timer_at"], name="engine_inst_timer_due",
                condition=Q(next_timer_at__isnull=False),
            ),
            models.Index(fields=["status", "definition"], name="engine_inst_status_def"),
        ]

    def __str__(self) -> str:
        return f"{self.definition.key} #{self.pk}"


class MessageWait(models.Model):
    """An instance waiting for a named message (kept in step with the instance state)."""

    instance = models.ForeignKey(ProcessInstance, on_delete=models.CASCADE, related_name="message_waits")
    name = models.CharField(max_length=200)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["instance", "name"], name="engine_msgwait_unique")
        ]
        indexes = [models.Index(fields=["name"], name="engine_msgwait_name")]

    def __str__(self) -> str:
        return f"{self.instance_id} espera «{self.name}»"


class HumanTaskState(models.TextChoices):
    OPEN = "open", _("pendiente")
    COMPLETED = "completed", _("completada")
    CANCELLED = "cancelled", _("cancelada")


class TaskRouting(models.TextChoices):
    FOUR_EYES = "four_eyes", _("cuatro ojos")  # the only holders filed the case: never comes back
    UNHELD = "unheld", _("sin titular")  # nobody held the post: comes back when someone does


class HumanTask(models.Model):
    """A READY user task, as the inbox sees it: the inbox never deserializes workflows."""

    instance = models.ForeignKey(ProcessInstance, on_delete=models.CASCADE, related_name="human_tasks")
    # Copied from the definition so inbox counts per process need no join.
    process_key = models.CharField(max_length=200, blank=True)
    task_id = models.UUIDField()
    element_id = models.CharField(max_length=200)
    title = models.CharField(max_length=300)
    form_key = models.CharField(max_length=200, blank=True)
    lane = models.CharField(max_length=200, blank=True)
    role = models.CharField(_("rol"), max_length=100)
    unit = models.CharField(_("unidad"), max_length=64)
    state = models.CharField(max_length=16, choices=HumanTaskState.choices, default=HumanTaskState.OPEN)
    claimed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    claimed_at = models.DateTimeField(null=True, blank=True)
    due_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    completed_at = models.DateTimeField(null=True, blank=True)
    # Set when a deadline passed and the task was flagged to its unit's supervisor
    # (`services.escalate_task`, e.g. from a non-interrupting boundary timer's step).
    escalated_at = models.DateTimeField(_("escalada"), null=True, blank=True)
    escalation_note = models.CharField(max_length=500, blank=True)
    # Four eyes (user task property `fourEyes`): the person who started the case, who may
    # never claim, complete or be given this task.
    barred_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Only the holders of (role, unit) with this nivel educativo work it (blank: any).
    nivel = models.CharField(_("nivel"), max_length=16, blank=True)
    # Set when the task was routed away from where its diagram put it (`routed`: why):
    # the (role, unit) it came from, so it can go back when someone holds it again.
    home_role = models.CharField(max_length=100, blank=True)
    home_unit = models.CharField(max_length=64, blank=True)
    routed = models.CharField(max_length=16, choices=TaskRouting.choices, blank=True)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("tarea humana")
        verbose_name_plural = _("tareas humanas")
        constraints = [
            models.UniqueConstraint(fields=["instance", "task_id"], name="engine_humantask_unique")
        ]
        indexes = [
            models.Index(
                fields=["role", "unit", "due_at"], name="engine_task_inbox",
                condition=Q(state="open"),
            ),
            # Covers the inbox counts per process and of unclaimed tasks from the index
            # alone (an index-only scan), without reading one table page per task; nivel and
            # barred_user ride along so the per-nivel and four-eyes filters stay in the index.
            models.Index(
                fields=["role", "unit", "process_key", "claimed_by", "nivel", "barred_user"],
                name="engine_task_inbox_process",
                condition=Q(state="open"),
            ),
            models.Index(
                fields=["claimed_by", "due_at"], name="engine_task_claimed",
                condition=Q(state="open"),
            ),
            models.Index(fields=["instance", "state"], name="engine_task_instance"),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.role} @ {self.unit})"


class StepKind(models.TextChoices):
    START = "start", _("inicio")
    COMPLETE = "complete", _("completar tarea")
    TIMER = "timer", _("temporizador")
    MESSAGE = "message", _("mensaje")


class Incident(models.Model):
    """A step that failed and was rolled back. Retrying replays the same step."""

    instance = models.ForeignKey(ProcessInstance, on_delete=models.CASCADE, related_name="incidents")
    element_id = models.CharField(max_length=200, blank=True)
    message = models.TextField()
    traceback = models.TextField(blank=True)
    step_kind = models.CharField(max_length=16, choices=StepKind.choices)
    step_payload = models.JSONField(default=dict, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status_before = models.CharField(max_length=16, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolution = models.CharField(max_length=32, blank=True)

    class Meta:
        verbose_name = _("incidencia")
        verbose_name_plural = _("incidencias")
        indexes = [
            models.Index(fields=["instance"], name="engine_incident_open",
                         condition=Q(resolved_at__isnull=True)),
        ]

    def __str__(self) -> str:
        return f"Incidencia {self.pk} en {self.instance_id}: {self.message[:60]}"


class AuditAction(models.TextChoices):
    DEPLOY = "deploy", _("despliegue")
    START = "start", _("inicio")
    TASK_CREATED = "task_created", _("tarea creada")
    CLAIM = "claim", _("tomó la tarea")
    UNCLAIM = "unclaim", _("liberó la tarea")
    REASSIGN = "reassign", _("reasignó la tarea")
    COMPLETE = "complete", _("completó la tarea")
    TASK_CANCELLED = "task_cancelled", _("tarea cancelada")
    SERVICE_CALL = "service_call", _("llamada a servicio")
    TIMER = "timer", _("temporizador")
    MESSAGE = "message", _("mensaje")
    INCIDENT = "incident", _("incidencia")
    RETRY = "retry", _("reintento")
    SUSPEND = "suspend", _("suspensión")
    RESUME = "resume", _("reanudación")
    CANCEL = "cancel", _("cancelación")
    ESCALATE = "escalate", _("escaló la tarea")
    ROUTE = "route", _("derivó la tarea")
    END = "end", _("fin")


class AuditEvent(models.Model):
    """Append-only trail of every step. Rows are never updated or deleted by the app."""

    instance = models.ForeignKey(
        ProcessInstance, null=True, blank=True, on_delete=models.PROTECT, related_name="audit_events"
    )
    definition = models.ForeignKey(
        ProcessDefinition, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    task_id = models.UUIDField(null=True, blank=True)
    element_id = models.CharField(max_length=200, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    role = models.CharField(max_length=100, blank=True)
    unit = models.CharField(max_length=64, blank=True)
    action = models.CharField(max_length=32, choices=AuditAction.choices)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("evento de auditoría")
        verbose_name_plural = _("eventos de auditoría")
        indexes = [models.Index(fields=["instance", "created_at"], name="engine_audit_instance")]
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.action}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise ValueError("Audit events are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise ValueError("Audit events are append-only")
