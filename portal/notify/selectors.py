"""Reads for the Avisos page and the navbar badge."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import QuerySet

from .models import Notification

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User


def notifications_for(user: User | AnonymousUser) -> QuerySet[Notification]:
    """The user's own Avisos entries, newest first. Nobody sees anyone else's: a
    lookup through this queryset answers "does not exist" for another user's entry."""
    if not user.is_authenticated:
        return Notification.objects.none()
    return Notification.objects.filter(user=user).order_by("-created_at", "-pk")


def unread_count(user: User | AnonymousUser) -> int:
    if not user.is_authenticated:
        return 0
    return Notification.objects.filter(user=user, read_at=None).count()
