"""Refuse a request body over the limit before anything reads it.

Django caps form fields (DATA_UPLOAD_MAX_MEMORY_SIZE) but not uploaded files: a 150 MB
multipart POST is read in full (spooled to a temporary file) before any view can look at
a document field's limit. This middleware answers 413 from the declared Content-Length
first. Django reads no more than Content-Length bytes of a body (none without it), so a
client cannot send more than it declared.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

MB = 1024 * 1024


def request_too_large_message() -> str:
    limit = settings.MAX_REQUEST_BYTES
    return _("El envío pesa más de %(max)s MB, el máximo que acepta el portal. "
             "Adjunte archivos más livianos (por ejemplo, escanee en blanco y negro o a menor resolución).") % {
        "max": f"{limit / MB:.1f}".rstrip("0").rstrip(".").replace(".", ","),
    }


class RequestSizeLimitMiddleware:
    """413 for any request whose declared body exceeds settings.MAX_REQUEST_BYTES: JSON
    under /api/, a page elsewhere. Runs before CSRF (which would read the form) and
    before any view."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            declared = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            declared = 0
        if declared > settings.MAX_REQUEST_BYTES:
            return self.refuse(request)
        return self.get_response(request)

    @staticmethod
    def refuse(request: HttpRequest) -> HttpResponse:
        message = request_too_large_message()
        if request.path.startswith("/api/"):
            response: HttpResponse = JsonResponse({"detail": message}, status=413)
        else:
            response = render(request, "shared/413.html", {"message": message}, status=413)
        # The unread body is still on the connection: do not reuse it for another request.
        response["Connection"] = "close"
        return response
