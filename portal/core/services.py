"""Writes of core: the portal's activity log (changes outside processes, reads of
personal data under Ley 29733). Rows are append-only."""

from __future__ import annotations

from typing import Any

from .models import ActivityLog


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
