"""Background work for notifications, on Django's Tasks API (django-tasks backport)."""

from __future__ import annotations

from django_tasks import task


@task()
def send_notification(notification_id: int) -> bool:
    """Send one notification's e-mail (enqueued when the step that wrote it commits).

    A failed send is recorded on the row, not raised: the worker's periodic sweep
    (`retry_due_notifications`) retries it with backoff. Running it twice sends once.
    """
    from .services import notification_send

    return notification_send(notification_id=notification_id)
