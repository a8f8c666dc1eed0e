from django.contrib import admin

from .models import OrgUnit, Person, Position, Role


@admin.register(OrgUnit)
class OrgUnitAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "kind", "active"]
    list_filter = ["kind", "active", "nivel", "modalidad", "gestion"]
    search_fields = ["code", "name"]
    readonly_fields = ["path"]

    # Units are edited through the portal (portal.orgs.services.unit_save keeps paths right).
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


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

    # Positions change only through the portal's administration pages (portal.orgs.services),
    # which keep one holder per unit and write the audit log.
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


admin.site.register(Person)
