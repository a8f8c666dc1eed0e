"""The outbox in the Django admin: read-only rows, filterable by status, with a
"reintentar" action for superusers (failed or stuck e-mails get a fresh round)."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from . import services
from .models import Notification


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["created_at", "subject", "email", "user", "status", "attempts", "next_attempt_at", "sent_at"]
    list_filter = ["status", "template"]
    search_fields = ["subject", "email", "user__username"]
    date_hierarchy = "created_at"
    list_select_related = ["user"]
    ordering = ["-created_at"]
    actions = ["requeue"]
    readonly_fields = [f.name for f in Notification._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Notification | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Notification | None = None) -> bool:
        return False  # the outbox is a record of what was told to whom

    def has_requeue_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.is_superuser)

    @admin.action(description=_("Reintentar el envío"), permissions=["requeue"])
    def requeue(self, request: HttpRequest, queryset: QuerySet[Notification]) -> None:
        assert request.user.is_authenticated  # the admin site lets in only logged-in staff
        count = services.notifications_requeue(ids=queryset.values_list("pk", flat=True), by=request.user)
        self.message_user(
            request,
            ngettext("Se reintentará el envío de %(n)d aviso.", "Se reintentará el envío de %(n)d avisos.", count)
            % {"n": count},
            messages.SUCCESS if count else messages.WARNING,
        )
