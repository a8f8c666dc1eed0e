"""Login throttling (django-axes), per account and per network address.

Axes counts failures per (username, IP address) and locks that pair after
AXES_FAILURE_LIMIT. That alone lets one address try a few passwords on every account
(30 usernames from one address were never throttled). This handler adds a second,
higher limit per address across usernames, AXES_IP_FAILURE_LIMIT (an office behind one
address shares it, hence higher), and a success resets only the pair's own failures, so
one valid account cannot clear the way for guessing others.

`lockout_response` answers a lockout: JSON 429 in Spanish under /api/, the Spanish page
elsewhere (AXES_LOCKOUT_CALLABLE). The token view (portal/api/auth.py), whose DRF request
axes' middleware cannot see, answers with the same message.
"""

from __future__ import annotations

from typing import Any

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_cool_off, get_failure_limit
from django.conf import settings
from django.db.models import Sum
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext


class LoginThrottleHandler(AxesDatabaseHandler):
    """Axes' database handler with a per-address limit beside the per-account one.

    Needs AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], "ip_address"]: axes then
    returns the attempts of the pair and of the address, in that order."""

    def get_failures(self, request: Any, credentials: dict | None = None) -> int:
        pair, address = (qs.aggregate(n=Sum("failures_since_start"))["n"] or 0
                         for qs in self.get_user_attempts(request, credentials))
        limit = get_failure_limit(request, credentials)
        # Axes compares one number with AXES_FAILURE_LIMIT; the address's count is scaled
        # so that it reaches that limit exactly when it reaches its own.
        scaled = address * limit // settings.AXES_IP_FAILURE_LIMIT
        if scaled >= limit > pair:
            request.login_locked_by_address = True
        return max(pair, scaled)

    def reset_user_attempts(self, request: Any, credentials: dict | None = None) -> int:
        pair = self.filter_user_attempts(request, credentials)[0]
        count, _ = pair.delete()
        return count


def retry_after(request: Any) -> dict[str, str]:
    """The Retry-After header of a lockout answer (none without a cool-off)."""
    cool_off = get_cool_off(request)
    return {"Retry-After": str(int(cool_off.total_seconds()))} if cool_off else {}


def lockout_message(request: Any) -> str:
    """Why the login is refused and for how long, in Spanish."""
    if getattr(request, "login_locked_by_address", False):
        reason = _("Se registraron demasiados intentos fallidos de inicio de sesión desde su red.")
    else:
        reason = _("Se registraron demasiados intentos fallidos de inicio de sesión para esta cuenta.")
    cool_off = get_cool_off(request)
    if not cool_off:
        return reason
    minutes = max(1, -(-int(cool_off.total_seconds()) // 60))
    return " ".join([reason, ngettext("Podrá intentarlo de nuevo en %(n)d minuto.",
                                      "Podrá intentarlo de nuevo en %(n)d minutos.", minutes) % {"n": minutes}])


def lockout_response(request: HttpRequest, original_response: HttpResponse | None = None,
                     credentials: dict | None = None) -> HttpResponse:
    """429 for a locked-out login: JSON {"detail"} with Retry-After under /api/, the
    Spanish lockout page elsewhere."""
    if request.path.startswith("/api/"):
        response: HttpResponse = JsonResponse({"detail": lockout_message(request)}, status=429)
    else:
        context = {"failure_limit": get_failure_limit(request, credentials), "cooloff_timedelta": get_cool_off(request),
                   "by_address": getattr(request, "login_locked_by_address", False),
                   "ip_failure_limit": settings.AXES_IP_FAILURE_LIMIT}
        response = render(request, "registration/lockout.html", context, status=429)
    for header, value in retry_after(request).items():
        response[header] = value
    return response
