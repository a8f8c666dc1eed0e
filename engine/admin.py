from django.contrib import admin

from .models import AuditEvent, HumanTask, Incident, ProcessDefinition, ProcessInstance


@admin.register(ProcessDefinition)
class ProcessDefinitionAdmin(admin.ModelAdmin):
    list_display = ("key", "version", "name", "deployed_at", "deployed_by")
    list_filter = ("key",)
    readonly_fields = [f.name for f in ProcessDefinition._meta.fields]


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
