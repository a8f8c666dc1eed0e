"""Who may see a notice: only the person it is for. Anyone else's answers like one that
does not exist (NotVisible → 404), so ids cannot be probed."""

from __future__ import annotations

from typing import Any

from portal.shared.errors import NotVisible

from . import selectors
from .models import Notification


def notification_for_view(user: Any, pk: Any) -> Notification:
    try:
        return selectors.notifications_for(user).get(pk=int(pk))
    except (Notification.DoesNotExist, ValueError, TypeError):
        raise NotVisible from None
