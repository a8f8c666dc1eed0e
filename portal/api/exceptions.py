"""One mapping from the portal's and the engine's errors to JSON answers in Spanish.

Registered as REST_FRAMEWORK["EXCEPTION_HANDLER"], so every API view answers alike:
- access.NotVisible, engine NotFoundError, Http404 → 404 {"detail": "No encontrado."}
  (the same body for "does not exist" and "not yours");
- access.NotAllowed → 403 {"detail": ...};
- FormInvalid and request validation errors → 400
  {"errors": {"field": ["msg"]}, "detail": "Revise los campos marcados."};
- engine ConflictError → 409 {"detail": ...};
- ReplayMismatch (an Idempotency-Key reused with other data) → 422 {"detail": ...};
- OrgError and any other EngineError → 400 {"detail": ...}.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from engine.errors import ConflictError, EngineError, NotFoundError
from portal.orgs.services import OrgError
from portal.shared.errors import FormInvalid, NotAllowed, NotVisible, ReplayMismatch


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = gettext_lazy("El contenido enviado es demasiado grande.")
    default_code = "payload_too_large"


class MalformedJson(exceptions.ParseError):
    default_detail = gettext_lazy("El contenido enviado no es JSON válido.")


def not_found_message() -> str:
    return _("No encontrado.")


def invalid_message() -> str:
    return _("Revise los campos marcados.")


def _flatten(errors: Any, prefix: str = "") -> dict[str, list[str]]:
    """DRF's nested error structure as {"field" or "field.sub": ["message", ...]}."""
    flat: dict[str, list[str]] = {}
    if isinstance(errors, dict):
        for key, value in errors.items():
            name = "__all__" if key in ("non_field_errors", "__all__") and not prefix else str(key)
            for field, messages in _flatten(value, f"{prefix}.{name}" if prefix else name).items():
                flat.setdefault(field, []).extend(messages)
    elif isinstance(errors, list | tuple):
        for index, value in enumerate(errors):
            if isinstance(value, dict | list | tuple):
                for field, messages in _flatten(value, f"{prefix}.{index}" if prefix else str(index)).items():
                    flat.setdefault(field, []).extend(messages)
            else:
                flat.setdefault(prefix or "__all__", []).append(str(value))
    else:
        flat.setdefault(prefix or "__all__", []).append(str(errors))
    return flat


def field_errors_response(errors: dict[str, list[str]]) -> Response:
    return Response({"errors": errors, "detail": invalid_message()}, status=status.HTTP_400_BAD_REQUEST)


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, NotVisible | NotFoundError | Http404 | exceptions.NotFound):
        return Response({"detail": not_found_message()}, status=status.HTTP_404_NOT_FOUND)
    if isinstance(exc, NotAllowed):
        detail = str(exc) or _("No tiene permiso para realizar esta acción.")
        return Response({"detail": detail}, status=status.HTTP_403_FORBIDDEN)
    if isinstance(exc, FormInvalid):
        return field_errors_response({str(k): [str(m) for m in v] for k, v in exc.errors.items()})
    if isinstance(exc, exceptions.ValidationError):
        return field_errors_response(_flatten(exc.detail))
    if isinstance(exc, ConflictError):
        return Response({"detail": str(exc)}, status=status.HTTP_409_CONFLICT)
    if isinstance(exc, ReplayMismatch):
        return Response({"detail": str(exc)}, status=status.HTTP_422_UNPROCESSABLE_ENTITY)
    if isinstance(exc, OrgError | EngineError):
        return Response({"detail": str(exc)}, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, exceptions.PermissionDenied) and str(exc.detail).startswith("CSRF Failed"):
        # Session clients (the portal's own pages) must send the CSRF token; DRF says so in English.
        return Response({"detail": _("Falta el token CSRF o no es válido: envíe la cabecera X-CSRFToken.")},
                        status=status.HTTP_403_FORBIDDEN)
    if isinstance(exc, RequestDataTooBig):
        exc = PayloadTooLarge()
    if isinstance(exc, exceptions.ParseError) and not isinstance(exc, MalformedJson):
        # DRF's message quotes the parser's English error; say it plainly in Spanish.
        exc = MalformedJson()
    return drf_exception_handler(exc, context)
