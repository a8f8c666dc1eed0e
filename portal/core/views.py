import logging
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from portal.shared.http import officer_view

from . import selectors, services

logger = logging.getLogger(__name__)


@login_required
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "core/home.html")


@never_cache
def health(request: HttpRequest) -> JsonResponse:
    """Liveness and database reachability for load balancers and monitoring.

    Public and cheap: one `SELECT 1`. It reveals nothing but "ok"/"error"; the
    reason for an error goes to the log, not to the caller.
    """
    try:
        selectors.database_reachable()
    except DatabaseError:
        logger.exception("health check: database unreachable")
        return JsonResponse({"status": "error", "database": "error"}, status=503)
    return JsonResponse({"status": "ok", "database": "ok"})


@require_GET
@officer_view
def api_tokens(request: HttpRequest, scope: Any) -> HttpResponse:
    """The user's live API tokens (issued by POST /api/token/), each with a revoke button."""
    return render(request, "core/api_tokens.html", {
        "tokens": selectors.api_tokens_of(request.user), "hours": services.api_token_hours()})


@require_POST
@officer_view
def api_token_revoke(request: HttpRequest, scope: Any, pk: int) -> HttpResponse:
    token = services.api_token_revoke(user=request.user, token_pk=pk)
    messages.success(request, _("Se revocó el token %(prefix)s…: deja de funcionar en el acto.") % {
        "prefix": token.prefix})
    return redirect("api_tokens")
