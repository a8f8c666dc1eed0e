"""The client's address, one rule for the whole portal (login throttling, the API's
throttles): behind TRUSTED_PROXY_COUNT reverse proxies that each append the address they
received from to X-Forwarded-For, the client is the entry that the outermost trusted
proxy appended, counted from the right. Entries further left were written by the client
and are ignored, so nobody escapes a lockout (or locks out someone else) by sending the
header themselves.

With TRUSTED_PROXY_COUNT = 0 (the default: the portal faces clients directly, as under
`make run`) the header is ignored and REMOTE_ADDR is the client. Behind one nginx that
sets `proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;` use 1. Leaving it
at 0 behind a proxy makes every officer share the proxy's address, and one address's
failed logins would then lock everyone out.
"""

from __future__ import annotations

import ipaddress
import logging
from typing import Any

from django.conf import settings

logger = logging.getLogger(__name__)


def _address(text: str) -> str | None:
    try:
        return str(ipaddress.ip_address(text.strip()))
    except ValueError:
        return None


def client_ip(request: Any) -> str:
    """The client's address for `request` (an HttpRequest or DRF Request)."""
    meta = request.META
    remote = meta.get("REMOTE_ADDR", "") or ""
    count = int(getattr(settings, "TRUSTED_PROXY_COUNT", 0))
    if count <= 0:
        return remote
    chain = [entry for entry in (meta.get("HTTP_X_FORWARDED_FOR") or "").split(",") if entry.strip()]
    if len(chain) < count:
        # Fewer entries than trusted proxies: a proxy did not append. Count the request
        # against the nearest proxy rather than trust what the client may have written.
        logger.warning("X-Forwarded-For has %d entries behind %d trusted proxies; using REMOTE_ADDR",
                       len(chain), count)
        return remote
    return _address(chain[-count]) or remote
