"""Reads of core: whether the database answers (the health check); the REST API's tokens."""

from __future__ import annotations

import hashlib
from typing import Any

from django.db import connection
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.crypto import constant_time_compare

from .models import ApiToken


def database_reachable() -> bool:
    """One `SELECT 1`; raises DatabaseError when the database does not answer."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        return cursor.fetchone() is not None


def api_token_digest(key: str) -> str:
    """What is stored of a key. The key is 160 random bits, so a plain SHA-256 is enough
    (no password stretching: nobody can guess the preimage)."""
    return hashlib.sha256(key.encode()).hexdigest()


def api_token_by_key(key: str) -> ApiToken | None:
    """The token whose key this is, live or not (None if there is none)."""
    return ApiToken.objects.select_related("user").filter(key_hash=api_token_digest(key)).first()


def api_token_refusal(token: ApiToken) -> str:
    """Why `token` does not authenticate now: "expired", "revoked", "inactive" (the
    account is closed), "password" (the password changed since it was issued); "" if it does."""
    if not token.user.is_active:
        return "inactive"  # first: the most useful thing to tell whoever holds it
    if token.revoked_at is not None:
        return "revoked"
    if token.expires_at <= timezone.now():
        return "expired"
    if not constant_time_compare(token.auth_hash, token.user.get_session_auth_hash()):
        return "password"
    return ""


def api_tokens_of(user: Any) -> list[ApiToken]:
    """The user's tokens that still work, newest first."""
    live: QuerySet[ApiToken] = ApiToken.objects.filter(user=user, revoked_at__isnull=True,
                                                      expires_at__gt=timezone.now()).select_related("user")
    return [token for token in live if not api_token_refusal(token)]
