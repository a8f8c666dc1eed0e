"""Writes of core: the portal's activity log (changes outside processes, reads of
personal data under Ley 29733; rows are append-only) and the REST API's tokens."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from . import access
from .models import ActivityLog, ApiToken
from .selectors import api_token_digest


def activity_log(*, actor: Any, action: str, obj: Any = None, unit: str = "",
                 data: dict[str, Any] | None = None) -> ActivityLog:
    """Append one row to the activity log: who (`actor`, None for the system) did `action`
    to `obj` in `unit`, with `data`. Call inside the transaction of what it records, so
    both commit or neither does."""
    return ActivityLog.objects.create(
        actor=actor if getattr(actor, "pk", None) else None,
        action=action,
        object_type=obj._meta.label_lower if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        unit=unit,
        data=data or {},
    )


# --- REST API tokens ------------------------------------------------------------------------

# How often a token's last use is written: not on every request (one write per call).
TOKEN_TOUCH_EVERY = timedelta(minutes=1)


def api_token_hours() -> int:
    return int(getattr(settings, "API_TOKEN_HOURS", 8))


@dataclass(frozen=True)
class IssuedToken:
    token: ApiToken
    key: str  # shown once: only its digest is stored


@transaction.atomic
def api_token_issue(*, user: Any, label: str = "") -> IssuedToken:
    """A new token for `user` (who just proved their password), valid API_TOKEN_HOURS."""
    key = secrets.token_hex(20)
    now = timezone.now()
    token = ApiToken.objects.create(
        user=user, key_hash=api_token_digest(key), prefix=key[:8], label=(label or "").strip()[:100],
        auth_hash=user.get_session_auth_hash(), created_at=now, expires_at=now + timedelta(hours=api_token_hours()))
    activity_log(actor=user, action="api_token_issued", obj=token,
                 data={"prefix": token.prefix, "label": token.label, "expires_at": token.expires_at.isoformat()})
    return IssuedToken(token=token, key=key)


@transaction.atomic
def api_token_revoke(*, user: Any, token_pk: Any) -> ApiToken:
    """The owner revokes one of their tokens; anyone else's (or none) is NotVisible."""
    token = access.api_token_for_owner(user, token_pk, lock=True)
    token.revoked_at, token.revoked_reason = timezone.now(), "owner"
    token.save(update_fields=["revoked_at", "revoked_reason"])
    activity_log(actor=user, action="api_token_revoked", obj=token, data={"prefix": token.prefix, "reason": "owner"})
    return token


def api_tokens_revoke_all(*, user: Any, by: Any, reason: str) -> int:
    """Revoke every live token of `user` (a baja, the account's closure, a new password).
    `reason` is a short code ("baja", "cuenta_cerrada", "contrasena"). Call inside the
    transaction of what causes it. Returns how many were revoked."""
    now = timezone.now()
    revoked = ApiToken.objects.filter(user=user, revoked_at__isnull=True, expires_at__gt=now).update(
        revoked_at=now, revoked_reason=reason[:32])
    if revoked:
        activity_log(actor=by, action="api_tokens_revoked", obj=user, data={"count": revoked, "reason": reason})
    return revoked


def revoke_tokens_of_deactivated(sender: Any, instance: Any, raw: bool = False, **kwargs: Any) -> None:
    """pre_save of the user model: a save that turns `is_active` from True to False
    revokes the user's live tokens in the same transaction as the save. (The baja and the
    account's closure revoke them themselves, with their own reason; this catches the
    rest.) A QuerySet.update() sends no signal: there the authentication still refuses the
    token of an inactive account, but a later reactivation would revive it."""
    if raw or instance.pk is None or instance.is_active:
        return
    update_fields = kwargs.get("update_fields")
    if update_fields is not None and "is_active" not in update_fields:
        return
    if sender.objects.filter(pk=instance.pk, is_active=True).exists():
        api_tokens_revoke_all(user=instance, by=None, reason="cuenta_desactivada")


def api_token_touch(*, token: ApiToken) -> None:
    """Record that `token` was used now (at most once a minute per token)."""
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at >= TOKEN_TOUCH_EVERY:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
