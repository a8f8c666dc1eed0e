from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _

from . import services
from .errors import DeploymentError
from .forms import DeployUploadForm
from .models import AuditEvent, HumanTask, Incident, ProcessDefinition, ProcessInstance

# The one permission that makes a diagram live (models.ProcessDefinition.Meta.permissions).
DEPLOY_PERMISSION = "engine.deploy_processdefinition"

if TYPE_CHECKING:
    # ModelAdmin is generic in django-stubs only: at run time it takes no type argument
    # (unless django_stubs_ext.monkeypatch() ran, which the project does not need).
    DefinitionAdminBase = admin.ModelAdmin[ProcessDefinition]
    InstanceAdminBase = admin.ModelAdmin[ProcessInstance]
    HumanTaskAdminBase = admin.ModelAdmin[HumanTask]
    IncidentAdminBase = admin.ModelAdmin[Incident]
    AuditEventAdminBase = admin.ModelAdmin[AuditEvent]
else:
    DefinitionAdminBase = InstanceAdminBase = HumanTaskAdminBase = admin.ModelAdmin
    IncidentAdminBase = AuditEventAdminBase = admin.ModelAdmin


@admin.register(ProcessDefinition)
class ProcessDefinitionAdmin(DefinitionAdminBase):
    list_display = ("key", "version", "name", "deployed_at", "deployed_by")
    list_filter = ("key",)
    readonly_fields = [f.name for f in ProcessDefinition._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        # "Add" deploys: the generic add permission is not enough.
        return request.user.has_perm(DEPLOY_PERMISSION)

    def has_view_permission(self, request: HttpRequest, obj: ProcessDefinition | None = None) -> bool:
        # Whoever deploys sees the versions he deployed (the deploy page returns to the list).
        return request.user.has_perm(DEPLOY_PERMISSION) or super().has_view_permission(request, obj)

    def has_change_permission(self, request: HttpRequest, obj: ProcessDefinition | None = None) -> bool:
        return False  # a deployed version is immutable; deploy a new one instead

    def has_delete_permission(self, request: HttpRequest, obj: ProcessDefinition | None = None) -> bool:
        # Withdrawing a version is a deployment decision too (instances PROTECT theirs).
        return request.user.has_perm(DEPLOY_PERMISSION) and super().has_delete_permission(request, obj)

    def add_view(self, request: HttpRequest, form_url: str = "",
                 extra_context: dict[str, Any] | None = None) -> HttpResponse:
        """'Add' means uploading a BPMN file: it is validated and deployed as a new version.
        Only holders of the deploy permission reach the form, let alone the deployment."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        problems: list[str] = []
        form = DeployUploadForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            content = form.cleaned_data["bpmn_file"].read()
            try:
                results = services.deploy(content=content, source=form.cleaned_data["bpmn_file"].name,
                                          deployed_by=request.user)
            except DeploymentError as exc:
                problems = exc.problems
            else:
                for r in results:
                    text = (_("%(key)s: versión %(version)s desplegada.") if r.created
                            else _("%(key)s: sin cambios (sigue la versión %(version)s)."))
                    messages.success(request, text % {"key": r.key, "version": r.version})
                    for warning in r.warnings:  # e.g. a loop with nothing in it that waits
                        messages.warning(request, warning)
                return redirect("admin:engine_processdefinition_changelist")
        context = {**self.admin_site.each_context(request), "opts": self.model._meta,
                   "form": form, "problems": problems, "title": _("Desplegar BPMN")}
        return TemplateResponse(request, "admin/engine/processdefinition/deploy.html", context)


@admin.register(ProcessInstance)
class ProcessInstanceAdmin(InstanceAdminBase):
    list_display = ("id", "definition", "status", "business_key", "org_unit", "started_at",
                    "next_timer_at")
    list_filter = ("status", "definition__key")
    search_fields = ("business_key",)
    exclude = ("state",)
    readonly_fields = [f.name for f in ProcessInstance._meta.fields if f.name != "state"]

    def has_change_permission(self, request: HttpRequest, obj: ProcessInstance | None = None) -> bool:
        # Instances change only through engine steps. Retry, suspend, resume and cancel
        # are not admin actions: they need a reason, which the portal's "Administración →
        # Expedientes" page asks for, confirms and audits (the engine cannot import it).
        return False

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        # Deleting instances in bulk is for administrators of the engine only.
        if not request.user.is_superuser:
            return {}
        return super().get_actions(request)


class ReadOnlyMixin:
    """Task rows and incidents mirror the instance's engine state: an edited, added or
    deleted row would disagree with it (a task nobody can complete, a stall without its
    incident). They change only through engine steps; the admin shows them."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(HumanTask)
class HumanTaskAdmin(ReadOnlyMixin, HumanTaskAdminBase):
    list_display = ("title", "role", "unit", "state", "claimed_by", "due_at")
    list_filter = ("state", "role")


@admin.register(Incident)
class IncidentAdmin(ReadOnlyMixin, IncidentAdminBase):
    list_display = ("id", "instance", "element_id", "message", "created_at", "resolved_at")
    list_filter = ("resolution",)


@admin.register(AuditEvent)
class AuditEventAdmin(AuditEventAdminBase):
    list_display = ("created_at", "instance", "action", "element_id", "actor", "role", "unit")
    list_filter = ("action",)

    def has_change_permission(self, request: HttpRequest, obj: AuditEvent | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: AuditEvent | None = None) -> bool:
        return False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
