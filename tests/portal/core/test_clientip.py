"""portal/core/clientip.py: the client's address behind TRUSTED_PROXY_COUNT proxies."""

from __future__ import annotations

import pytest

from portal.core.clientip import client_ip


@pytest.mark.parametrize(("count", "forwarded", "expected"), [
    (0, "192.0.2.1", "10.0.0.5"),  # no trusted proxy: the header is the client's own words
    (1, "203.0.113.7", "203.0.113.7"),
    (1, "192.0.2.1, 203.0.113.7", "203.0.113.7"),  # the left entry was written by the client
    (2, "192.0.2.1, 203.0.113.7, 10.0.0.9", "203.0.113.7"),  # LB appended the client, nginx the LB
    (2, "203.0.113.7", "10.0.0.5"),  # shorter than the proxies: not trusted
    (1, "", "10.0.0.5"),
    (1, "no-es-una-ip", "10.0.0.5"),
    (1, " 2001:db8::1 ", "2001:db8::1"),
])
def test_the_client_is_the_entry_the_outermost_trusted_proxy_appended(rf, settings, count, forwarded, expected):
    settings.TRUSTED_PROXY_COUNT = count
    request = rf.get("/", REMOTE_ADDR="10.0.0.5", HTTP_X_FORWARDED_FOR=forwarded)
    assert client_ip(request) == expected
