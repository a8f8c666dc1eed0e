from django.contrib import admin, messages
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _

from .errors import DeploymentError
from .forms import DeployUploadForm
from .models import AuditEvent, HumanTask, Incident, ProcessDefinition, ProcessInstance
from .services import deploy


@admin.register(ProcessDefinition)
class ProcessDefinitionAdmin(admin.ModelAdmin):
    list_display = ("key", "version", "name", "deployed_at", "deployed_by")
    list_filter = ("key",)
    readonly_fields = [f.name for f in ProcessDefinition._meta.fields]

    def has_change_permission(self, request, obj=None):
        return False  # a deployed version is immutable; deploy a new one instead

    def add_view(self, request, form_url="", extra_context=None):
        """'Add' means uploading a BPMN file: it is validated and deployed as a new version."""
        problems: list[str] = []
        form = DeployUploadForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            content = form.cleaned_data["bpmn_file"].read()
            try:
                results = deploy(content=content, source=form.cleaned_data["bpmn_file"].name,
                                 deployed_by=request.user)
            except DeploymentError as exc:
                problems = exc.problems
            else:
                for r in results:
                    text = (_("%(key)s: versión %(version)s desplegada.") if r.created
                            else _("%(key)s: sin cambios (sigue la versión %(version)s)."))
                    messages.success(request, text % {"key": r.key, "version": r.version})
                return redirect("admin:engine_processdefinition_changelist")
        context = {**self.admin_site.each_context(request), "opts": self.model._meta,
                   "form": form, "problems": problems, "title": _("Desplegar BPMN")}
        return TemplateResponse(request, "admin/engine/processdefinition/deploy.html", context)


@admin.register(ProcessInstance)
class ProcessInstanceAdmin(admin.ModelAdmin):
    list_display = ("id", "definition", "status", "business_key", "org_unit", "started_at",
                    "next_timer_at")
    list_filter = ("status", "definition__key")
    search_fields = ("business_key",)
    exclude = ("state",)
    readonly_fields = [f.name for f in ProcessInstance._meta.fields if f.name != "state"]


@admin.register(HumanTask)
class HumanTaskAdmin(admin.ModelAdmin):
    list_display = ("title", "role", "unit", "state", "claimed_by", "due_at")
    list_filter = ("state", "role")


@admin.register(Incident)
class IncidentAdmin(admin.ModelAdmin):
    list_display = ("id", "instance", "element_id", "message", "created_at", "resolved_at")
    list_filter = ("resolution",)


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ("created_at", "instance", "action", "element_id", "actor", "role", "unit")
    list_filter = ("action",)

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False
