"""Request body parsing for the API: JSON only, with a size limit.

DRF's own JSONParser reads `request.body`, which raises Django's RequestDataTooBig (an
HTML 400) above DATA_UPLOAD_MAX_MEMORY_SIZE. This parser reads the stream itself, at
most that many bytes (2.5 MB by default; form data is capped at 1 MB by the form
validation), and refuses a larger body with a JSON 413 before parsing anything.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from rest_framework.parsers import BaseParser

from .exceptions import MalformedJson, PayloadTooLarge

DEFAULT_MAX_BYTES = 2_621_440  # Django's default DATA_UPLOAD_MAX_MEMORY_SIZE


def max_body_bytes() -> int:
    return int(getattr(settings, "DATA_UPLOAD_MAX_MEMORY_SIZE", None) or DEFAULT_MAX_BYTES)


class LimitedJSONParser(BaseParser):
    media_type = "application/json"

    def parse(self, stream: Any, media_type: str | None = None,
              parser_context: Mapping[str, Any] | None = None) -> Any:
        limit = max_body_bytes()
        request = (parser_context or {}).get("request")
        declared = 0
        if request is not None:
            try:
                declared = int(request.META.get("CONTENT_LENGTH") or 0)
            except ValueError:
                declared = 0
        if declared > limit:
            raise PayloadTooLarge
        raw = stream.read(limit + 1)
        if len(raw) > limit:
            raise PayloadTooLarge
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        try:
            return json.loads(raw.decode(encoding), parse_constant=_refuse_constant)
        except (ValueError, UnicodeDecodeError, RecursionError) as exc:
            raise MalformedJson from exc


def _refuse_constant(name: str) -> Any:
    # NaN and Infinity are not JSON; the engine would refuse them later anyway.
    raise ValueError(name)
