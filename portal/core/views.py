import logging

from django.contrib.auth.decorators import login_required
from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache

from . import selectors

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
