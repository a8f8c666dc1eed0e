"""Background work for notifications, on Django's Tasks API (django-tasks backport)."""

from __future__ import annotations

import logging

from django_tasks import task

from .delivery import notification_send

log = logging.getLogger(__name__)


@task()
def send_notification(notification_id: int) -> bool:
    """Send one notification's e-mail (enqueued when the step that wrote it commits).

    A failed send is recorded on the row, not raised: the worker's periodic sweep
    (`delivery.retry_due_notifications`) retries it with backoff. Running it twice sends once.
    """
    return notification_send(notification_id=notification_id)


def enqueue_send(notification_id: int) -> None:
    """Queue the e-mail of one notification (after commit). If the queue fails the row
    stays pending and the worker's sweep sends it when it is due."""
    try:
        send_notification.enqueue(notification_id)
    except Exception:  # noqa: BLE001 - the sweep still sends it
        log.exception("Could not enqueue notification %s; the worker's sweep will send it.", notification_id)
