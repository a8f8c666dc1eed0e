"""The outbox in the Django admin: superusers re-queue failed e-mails."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.db import transaction
from django.urls import reverse

from portal.core.models import ActivityLog
from portal.notify.models import Notification, NotificationStatus
from portal.notify.services import notify

from .conftest import CONTEXT

pytestmark = pytest.mark.django_db(transaction=True)

CHANGELIST = "admin:notify_notification_changelist"


def failed_notification(user) -> Notification:
    with transaction.atomic():
        notification = notify(template="prueba", context=CONTEXT, user=user)
    Notification.objects.filter(pk=notification.pk).update(
        status=NotificationStatus.FAILED, attempts=8, next_attempt_at=None, last_error="SMTPException: caído")
    return notification


def test_a_superuser_requeues_a_failed_notification_and_the_worker_sends_it(
        client, admin_user, rosa, run_worker, mailoutbox):
    """"Reintentar el envío" gives a failed e-mail a fresh round; the worker then sends it."""
    notification = failed_notification(rosa)
    run_worker()  # the original task finds the row failed and does nothing
    assert mailoutbox == []
    client.force_login(admin_user)
    response = client.post(reverse(CHANGELIST), {"action": "requeue", "_selected_action": [notification.pk]})
    assert response.status_code == 302
    notification.refresh_from_db()
    assert (notification.status, notification.attempts) == (NotificationStatus.PENDING, 0)
    assert ActivityLog.objects.filter(action="notification_requeued", object_id=str(notification.pk)).exists()
    run_worker()
    notification.refresh_from_db()
    assert notification.status == NotificationStatus.SENT
    assert len(mailoutbox) == 1


def test_requeue_leaves_a_sent_notification_alone(client, admin_user, rosa, run_worker, mailoutbox):
    """Re-queueing a sent e-mail does not send it a second time."""
    with transaction.atomic():
        notification = notify(template="prueba", context=CONTEXT, user=rosa)
    run_worker()
    client.force_login(admin_user)
    client.post(reverse(CHANGELIST), {"action": "requeue", "_selected_action": [notification.pk]})
    run_worker()
    notification.refresh_from_db()
    assert notification.status == NotificationStatus.SENT
    assert len(mailoutbox) == 1


def test_the_admin_lists_failed_notifications_with_their_error(client, admin_user, rosa):
    """The outbox list can be filtered to failed e-mails."""
    failed_notification(rosa)
    client.force_login(admin_user)
    response = client.get(reverse(CHANGELIST), {"status__exact": "failed"})
    assert response.status_code == 200
    assert "Aviso de prueba: expediente N.º 12" in response.content.decode()


def test_only_superusers_may_requeue(client, django_user_model, rosa):
    """Staff allowed to view the outbox do not get the re-queue action."""
    staff = django_user_model.objects.create_user(username="mesa", password="clave-segura-2026", is_staff=True)
    staff.user_permissions.add(Permission.objects.get(codename="view_notification"))
    notification = failed_notification(rosa)
    client.force_login(staff)
    page = client.get(reverse(CHANGELIST))
    assert page.status_code == 200
    assert 'value="requeue"' not in page.content.decode()
    client.post(reverse(CHANGELIST), {"action": "requeue", "_selected_action": [notification.pk]})
    notification.refresh_from_db()
    assert notification.status == NotificationStatus.FAILED
