"""Sending the outbox's e-mails: one notification under its row lock, the worker's sweep,
and the retry policy (exponential backoff, `failed` after NOTIFY_MAX_ATTEMPTS).

Called by the background task (`tasks.send_notification`) and the worker's periodic
sweep (`retry_due_notifications`), never inside a procedure's step.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.utils import timezone

from .markers import fill_secrets
from .models import Notification, NotificationStatus

log = logging.getLogger(__name__)

FIRST_RETRY = timedelta(minutes=1)
MAX_RETRY_DELAY = timedelta(hours=1)
DEFAULT_MAX_ATTEMPTS = 8
ERROR_MAX = 2000


def max_attempts() -> int:
    """Sending attempts before a notification is marked `failed` (setting NOTIFY_MAX_ATTEMPTS)."""
    return max(1, int(getattr(settings, "NOTIFY_MAX_ATTEMPTS", DEFAULT_MAX_ATTEMPTS)))


def retry_delay(attempts: int) -> timedelta:
    """How long to wait after the `attempts`-th failed send: 1 min, 2, 4, ... at most 1 h."""
    exponent = min(max(attempts - 1, 0), 10)  # 2**10 min is far past the cap
    return min(FIRST_RETRY * 2**exponent, MAX_RETRY_DELAY)


def _send_mail(notification: Notification) -> None:
    message = EmailMultiAlternatives(
        subject=notification.subject,
        body=fill_secrets(notification, notification.body_text),
        to=[notification.email],
        headers={"Auto-Submitted": "auto-generated"},  # RFC 3834: no auto-replies, please
    )
    if notification.body_html:
        message.attach_alternative(fill_secrets(notification, notification.body_html), "text/html")
    if message.send(fail_silently=False) == 0:
        raise RuntimeError("The e-mail backend reported that nothing was sent.")


def notification_send(*, notification_id: int, due_only: bool = False) -> bool:
    """Send the e-mail of one pending notification; True if it left.

    Holds the row lock (skip_locked on PostgreSQL; SQLite serialises writers anyway)
    while sending, so a row is never sent twice; a row that is not pending (already
    sent, failed, portal-only) is left alone. With `due_only` (the sweep) a row whose
    next attempt is not due yet is skipped too. A failure is recorded on the row with
    the next attempt after `retry_delay`, or `failed` after `max_attempts()`.
    """
    with transaction.atomic():
        rows = Notification.objects.select_for_update(skip_locked=True).filter(
            pk=notification_id, status=NotificationStatus.PENDING
        )
        if due_only:
            rows = rows.filter(next_attempt_at__lte=timezone.now())
        notification = rows.first()
        if notification is None or not notification.email:
            return False
        notification.attempts += 1
        try:
            _send_mail(notification)
        except Exception as exc:  # noqa: BLE001 - any failure of the mail server is retried
            notification.last_error = f"{type(exc).__name__}: {exc}"[:ERROR_MAX]
            if notification.attempts >= max_attempts():
                notification.status = NotificationStatus.FAILED
                notification.next_attempt_at = None
                log.error("Notification %s failed %d times; giving up: %s",
                          notification.pk, notification.attempts, notification.last_error)
            else:
                notification.next_attempt_at = timezone.now() + retry_delay(notification.attempts)
                log.warning("Notification %s not sent (attempt %d), retrying at %s: %s", notification.pk,
                            notification.attempts, notification.next_attempt_at, notification.last_error)
            notification.save(update_fields=["attempts", "last_error", "status", "next_attempt_at"])
            return False
        notification.status = NotificationStatus.SENT
        notification.sent_at = timezone.now()
        notification.next_attempt_at = None
        notification.save(update_fields=["attempts", "status", "sent_at", "next_attempt_at"])
        return True


def retry_due_notifications(limit: int = 100) -> list[int]:
    """The worker's periodic job: send up to `limit` pending notifications whose next
    attempt is due, oldest first. Returns the ids that were sent."""
    due = (
        Notification.objects.filter(status=NotificationStatus.PENDING, next_attempt_at__lte=timezone.now())
        .order_by("next_attempt_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )
    return [pk for pk in list(due) if notification_send(notification_id=pk, due_only=True)]
