"""Who may act on core's own records: an API token belongs to its owner alone. Anyone
else's token, a revoked one or a missing one answer the same NotVisible (404), so ids
cannot be probed."""

from __future__ import annotations

from typing import Any

from portal.shared.errors import NotVisible

from .models import ApiToken


def api_token_for_owner(user: Any, token_pk: Any, *, lock: bool = False) -> ApiToken:
    """A live token of `user` (row locked when `lock`, inside the caller's transaction)."""
    tokens = ApiToken.objects.select_for_update() if lock else ApiToken.objects.all()
    try:
        return tokens.get(pk=int(token_pk), user=user, revoked_at__isnull=True)
    except (ApiToken.DoesNotExist, ValueError, TypeError):
        raise NotVisible from None
