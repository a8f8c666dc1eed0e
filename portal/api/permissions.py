"""Who may call the API at all; per-record rules are each app's `access` module's."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework.permissions import BasePermission

from portal.orgs.access import scope_for


class IsOfficer(BasePermission):
    """Holders of an active position, and administrators."""

    message = _("Esta consulta es solo para personal con un cargo vigente.")

    def has_permission(self, request: Any, view: Any) -> bool:
        user = request.user
        if not getattr(user, "is_authenticated", False):
            return False
        return scope_for(user).is_officer
