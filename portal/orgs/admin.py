from django.contrib import admin

from .models import OrgUnit, Person, Position, Role


@admin.register(OrgUnit)
class OrgUnitAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "kind", "active"]
    list_filter = ["kind", "active", "nivel", "modalidad", "gestion"]
    search_fields = ["code", "name"]
    readonly_fields = ["path"]


@admin.register(Role)
class RoleAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "unit_level", "one_holder", "supervises"]

    def has_add_permission(self, request):  # roles come from processes/roles.json
        return False


@admin.register(Position)
class PositionAdmin(admin.ModelAdmin):
    list_display = ["user", "role", "unit", "nivel", "since", "until"]
    list_filter = ["role"]
    search_fields = ["user__username", "user__last_name", "unit__code", "unit__name"]
    raw_id_fields = ["user", "unit", "assigned_by", "ended_by"]


admin.site.register(Person)
