from django.contrib import admin, messages
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _

from . import services
from .errors import DeploymentError, EngineError
from .forms import DeployUploadForm
from .models import AuditEvent, HumanTask, Incident, ProcessDefinition, ProcessInstance


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
                results = services.deploy(content=content, source=form.cleaned_data["bpmn_file"].name,
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
    actions = ["retry_failed_step", "suspend_instances", "resume_instances"]

    def has_change_permission(self, request, obj=None):
        return False  # instances change only through engine steps (and these actions)

    def _run(self, request, queryset, operation, done: str) -> None:
        ok = 0
        for inst in queryset:
            try:
                operation(instance_id=inst.pk, by=request.user)
                ok += 1
            except EngineError as exc:
                messages.error(request, _("Instancia N.° %(pk)s: %(error)s") % {"pk": inst.pk, "error": exc})
        if ok:
            messages.success(request, done % {"count": ok})

    @admin.action(description=_("Reintentar el paso fallido (incidencia)"), permissions=["view"])
    def retry_failed_step(self, request, queryset):
        self._run(request, queryset, services.retry, _("%(count)s instancia(s) reintentada(s)."))

    @admin.action(description=_("Suspender"), permissions=["view"])
    def suspend_instances(self, request, queryset):
        self._run(request, queryset, services.suspend, _("%(count)s instancia(s) suspendida(s)."))

    @admin.action(description=_("Reanudar"), permissions=["view"])
    def resume_instances(self, request, queryset):
        self._run(request, queryset, services.resume, _("%(count)s instancia(s) reanudada(s)."))

    def get_actions(self, request):
        # Steps are for administrators of the engine, not for anyone who can view instances.
        if not request.user.is_superuser:
            return {}
        return super().get_actions(request)


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
