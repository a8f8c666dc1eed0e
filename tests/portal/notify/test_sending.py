"""Sending: a failed e-mail is kept and retried by the worker with backoff, never lost."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
import time_machine
from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.backends.locmem import EmailBackend as LocmemBackend
from django.db import connection, transaction
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from portal.notify.delivery import notification_send, retry_delay, retry_due_notifications
from portal.notify.models import Notification, NotificationStatus
from portal.notify.services import notify
from portal.notify.tasks import send_notification

from .conftest import CONTEXT

pytestmark = pytest.mark.django_db(transaction=True)

FAILING = "tests.portal.notify.test_sending.FailingBackend"
LOCMEM = "django.core.mail.backends.locmem.EmailBackend"


class FailingBackend(BaseEmailBackend):
    """Stands in for an SMTP server that is down (the server is outside the project)."""

    def send_messages(self, email_messages):
        raise ConnectionRefusedError("Servidor de correo no disponible")


class HeldBackend(LocmemBackend):
    """A mail server that answers only when the test releases it (to overlap two senders)."""

    entered = threading.Event()
    release = threading.Event()

    def send_messages(self, email_messages):
        HeldBackend.entered.set()
        assert HeldBackend.release.wait(timeout=10), "the test never released the mail server"
        return super().send_messages(email_messages)


@pytest.fixture
def start():
    return timezone.now().replace(microsecond=0)


def informed(user) -> Notification:
    with transaction.atomic():
        return notify(template="prueba", context=CONTEXT, user=user, link="/expedientes/12/")


def test_a_failed_send_stays_pending_with_the_error_and_a_retry_one_minute_later(
        rosa, run_worker, settings, start, mailoutbox):
    """The mail server refuses: the row keeps the error, counts the attempt and is due again in 1 min."""
    settings.EMAIL_BACKEND = FAILING
    with time_machine.travel(start, tick=False):
        notification = informed(rosa)
        run_worker()
    notification.refresh_from_db()
    assert notification.status == NotificationStatus.PENDING
    assert notification.attempts == 1
    assert notification.last_error == "ConnectionRefusedError: Servidor de correo no disponible"
    assert notification.next_attempt_at == start + timedelta(minutes=1)
    assert notification.sent_at is None
    assert mailoutbox == []


def test_the_sweep_sends_a_failed_e_mail_once_its_retry_is_due(rosa, run_worker, settings, start, mailoutbox):
    """After the clock passes the next attempt, the sweep sends it with the normal backend."""
    settings.EMAIL_BACKEND = FAILING
    with time_machine.travel(start, tick=False):
        notification = informed(rosa)
        run_worker()
    settings.EMAIL_BACKEND = LOCMEM
    with time_machine.travel(start + timedelta(minutes=1, seconds=1), tick=False):
        sent = retry_due_notifications()
    assert sent == [notification.pk]
    notification.refresh_from_db()
    assert notification.status == NotificationStatus.SENT
    assert notification.attempts == 2
    assert notification.next_attempt_at is None
    assert [m.subject for m in mailoutbox] == ["Aviso de prueba: expediente N.º 12"]


def test_the_sweep_leaves_a_retry_that_is_not_due_yet(rosa, run_worker, settings, start, mailoutbox):
    """Before its next attempt, a failed e-mail is not retried (backoff is respected)."""
    settings.EMAIL_BACKEND = FAILING
    with time_machine.travel(start, tick=False):
        notification = informed(rosa)
        run_worker()
    settings.EMAIL_BACKEND = LOCMEM
    with time_machine.travel(start + timedelta(seconds=59), tick=False):
        assert retry_due_notifications() == []
    notification.refresh_from_db()
    assert notification.status == NotificationStatus.PENDING
    assert mailoutbox == []


def test_the_worker_sweep_retries_due_notifications(rosa, run_worker, settings, start, mailoutbox):
    """The notify app's retry job runs on the worker's periodic sweep (no extra process)."""
    settings.EMAIL_BACKEND = FAILING
    with time_machine.travel(start, tick=False):
        notification = informed(rosa)
        run_worker()
    settings.EMAIL_BACKEND = LOCMEM
    with time_machine.travel(start + timedelta(minutes=2), tick=False):
        run_worker()
    notification.refresh_from_db()
    assert notification.status == NotificationStatus.SENT
    assert len(mailoutbox) == 1


def test_the_backoff_doubles_from_one_minute_and_is_capped_at_one_hour():
    """Waits after each failure: 1, 2, 4, 8, 16, 32 minutes, then one hour from then on."""
    waits = [retry_delay(n) for n in range(1, 10)]
    assert waits == [timedelta(minutes=m) for m in (1, 2, 4, 8, 16, 32, 60, 60, 60)]


def test_each_failure_waits_longer_before_the_next_attempt(rosa, run_worker, settings, start):
    """The second failure schedules the third attempt two minutes later."""
    settings.EMAIL_BACKEND = FAILING
    with time_machine.travel(start, tick=False):
        notification = informed(rosa)
        run_worker()
    second = start + timedelta(minutes=1)
    with time_machine.travel(second, tick=False):
        retry_due_notifications()
    notification.refresh_from_db()
    assert notification.attempts == 2
    assert notification.next_attempt_at == second + timedelta(minutes=2)


def test_after_the_maximum_attempts_the_notification_is_failed(rosa, run_worker, settings, start, mailoutbox):
    """With NOTIFY_MAX_ATTEMPTS failures it is `failed` and the sweep stops trying."""
    settings.EMAIL_BACKEND = FAILING
    settings.NOTIFY_MAX_ATTEMPTS = 3
    with time_machine.travel(start, tick=False):
        notification = informed(rosa)
        run_worker()
    with time_machine.travel(start + timedelta(minutes=1), tick=False):
        retry_due_notifications()
    with time_machine.travel(start + timedelta(minutes=3), tick=False):
        retry_due_notifications()
    notification.refresh_from_db()
    assert notification.status == NotificationStatus.FAILED
    assert notification.attempts == 3
    assert notification.next_attempt_at is None
    assert notification.last_error
    settings.EMAIL_BACKEND = LOCMEM
    with time_machine.travel(start + timedelta(days=1), tick=False):
        assert retry_due_notifications() == []
    assert mailoutbox == []


def test_the_default_maximum_is_eight_attempts(rosa, run_worker, settings, start):
    """Without the setting, the eighth failure gives up."""
    settings.EMAIL_BACKEND = FAILING
    with time_machine.travel(start, tick=False):
        notification = informed(rosa)
        run_worker()
    for hour in range(1, 8):
        with time_machine.travel(start + timedelta(hours=hour), tick=False):
            retry_due_notifications()
        notification.refresh_from_db()
        assert notification.status == (NotificationStatus.FAILED if hour == 7 else NotificationStatus.PENDING)
    assert notification.attempts == 8


def test_sending_a_sent_notification_again_does_nothing(rosa, mailoutbox):
    """The send task is idempotent: a second run on a sent row sends no second e-mail."""
    notification = informed(rosa)
    assert send_notification.call(notification.pk) is True
    assert send_notification.call(notification.pk) is False
    notification.refresh_from_db()
    assert notification.attempts == 1
    assert len(mailoutbox) == 1


def test_a_notification_whose_send_task_was_lost_is_sent_by_the_sweep(rosa, settings, start, mailoutbox):
    """If the queued task never runs, the sweep sends the e-mail once its first minute passes."""
    with time_machine.travel(start, tick=False):
        notification = informed(rosa)
    DBTaskResult.objects.all().delete()
    with time_machine.travel(start + timedelta(minutes=1), tick=False):
        assert retry_due_notifications() == [notification.pk]
    assert len(mailoutbox) == 1


def test_the_sweep_sends_at_most_its_limit(rosa, start, mailoutbox):
    """One sweep is bounded: the rest wait for the next one."""
    with time_machine.travel(start, tick=False):
        for _ in range(3):
            informed(rosa)
    with time_machine.travel(start + timedelta(minutes=1), tick=False):
        assert len(retry_due_notifications(limit=2)) == 2
        assert len(retry_due_notifications(limit=2)) == 1
    assert len(mailoutbox) == 3


@pytest.mark.postgres_only
def test_two_workers_sending_the_same_notification_send_it_once(rosa, settings, mailoutbox):
    """While one worker is sending a row, another skips it (row lock, skip_locked): one e-mail."""
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL row locks; SQLite serialises the two senders anyway")
    settings.EMAIL_BACKEND = "tests.portal.notify.test_sending.HeldBackend"
    HeldBackend.entered.clear()
    HeldBackend.release.clear()
    notification = informed(rosa)
    results: dict[str, object] = {}

    def first() -> None:
        try:
            results["first"] = notification_send(notification_id=notification.pk)
        finally:
            connection.close()

    thread = threading.Thread(target=first)
    thread.start()
    try:
        assert HeldBackend.entered.wait(timeout=10)
        results["second"] = notification_send(notification_id=notification.pk)
    finally:
        HeldBackend.release.set()
        thread.join(timeout=20)
    assert results == {"first": True, "second": False}
    notification.refresh_from_db()
    assert (notification.status, notification.attempts) == (NotificationStatus.SENT, 1)
    assert len(mailoutbox) == 1
