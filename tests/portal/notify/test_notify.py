"""`notify` writes the outbox row in the caller's transaction and sends only after commit."""

from __future__ import annotations

import pytest
from django.db import transaction
from django_tasks_db.models import DBTaskResult

from portal.notify.models import Notification, NotificationStatus
from portal.notify.services import notify

from .conftest import CONTEXT

pytestmark = pytest.mark.django_db(transaction=True)


class StepFailed(Exception):
    pass


def test_a_rolled_back_step_leaves_no_notification_and_sends_nothing(rosa, run_worker, mailoutbox):
    """If the transaction that informs rolls back, there is no outbox row and no e-mail."""
    with pytest.raises(StepFailed), transaction.atomic():
        notify(template="prueba", context=CONTEXT, user=rosa, link="/expedientes/12/")
        raise StepFailed
    run_worker()
    assert Notification.objects.count() == 0
    assert DBTaskResult.objects.count() == 0
    assert mailoutbox == []


def test_the_e_mail_is_queued_only_when_the_step_commits(rosa):
    """Inside the step nothing is queued yet (a worker could not see the row); at commit it is."""
    with transaction.atomic():
        notify(template="prueba", context=CONTEXT, user=rosa)
        assert DBTaskResult.objects.count() == 0
    queued = DBTaskResult.objects.get()
    assert queued.task_path == "portal.notify.tasks.send_notification"


def test_a_committed_notification_is_sent_by_the_worker_with_the_rendered_texts(rosa, run_worker, mailoutbox):
    """Once the step commits, the worker sends one e-mail with the rendered subject and body."""
    with transaction.atomic():
        notification = notify(template="prueba", context=CONTEXT, user=rosa, link="/expedientes/12/")
    run_worker()
    assert len(mailoutbox) == 1
    message = mailoutbox[0]
    assert message.to == ["rosa.quispe@example.pe"]
    assert message.subject == "Aviso de prueba: expediente N.º 12"
    assert message.body.startswith("Estimado(a) Rosa Quispe:\n\nSu solicitud fue aprobada.\n")
    assert message.body.rstrip().endswith(
        "Este mensaje fue enviado por SIAGIE Flujos. No responda a este correo.")
    notification.refresh_from_db()
    assert notification.status == NotificationStatus.SENT
    assert notification.sent_at is not None
    assert notification.attempts == 1
    assert (notification.subject, notification.body_text) == (message.subject, message.body)


def test_the_e_mail_carries_the_html_part_when_the_template_has_one(rosa, run_worker, mailoutbox):
    """A template with a .html file sends a multipart e-mail whose HTML part is the stored one."""
    with transaction.atomic():
        notification = notify(template="prueba", context=CONTEXT, user=rosa)
    run_worker()
    (html, mimetype), = mailoutbox[0].alternatives
    assert mimetype == "text/html"
    assert html == notification.body_html
    assert "<p>Estimado(a) Rosa Quispe:</p>" in html


def test_the_html_part_escapes_context_values(rosa):
    """A value with markup is escaped in the HTML part, so nobody can inject HTML into a mail."""
    notification = notify(template="prueba", user=rosa,
                          context={**CONTEXT, "nombre": '<script>alert("x")</script> & Cía'})
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; Cía" in notification.body_html
    assert "<script>" not in notification.body_html


def test_the_text_part_keeps_context_values_as_written(rosa):
    """The plain-text part is not HTML: "O'Higgins & Cía" reads as written, not as entities."""
    notification = notify(template="prueba", user=rosa, context={**CONTEXT, "nombre": "O'Higgins & Cía"})
    assert "Estimado(a) O'Higgins & Cía:" in notification.body_text


def test_the_subject_is_one_stripped_line(rosa):
    """A multi-line value in the subject becomes one line without surrounding spaces."""
    notification = notify(template="prueba", user=rosa, context={**CONTEXT, "expediente": "\n 12\n\n-A "})
    assert notification.subject == "Aviso de prueba: expediente N.º 12 -A"


def test_the_given_address_wins_over_the_user_address(rosa, run_worker, mailoutbox):
    """`email` is where the mail goes, and the row keeps the address it was sent to."""
    with transaction.atomic():
        notification = notify(template="prueba", context=CONTEXT, user=rosa, email="otra@example.pe")
    run_worker()
    assert notification.email == "otra@example.pe"
    assert mailoutbox[0].to == ["otra@example.pe"]


def test_a_person_without_an_account_is_informed_by_e_mail(run_worker, mailoutbox):
    """A citizen with no user gets the e-mail; there is no portal entry to read."""
    with transaction.atomic():
        notification = notify(template="prueba", context=CONTEXT, email="ciudadano@example.pe")
    run_worker()
    notification.refresh_from_db()
    assert notification.user is None
    assert notification.status == NotificationStatus.SENT
    assert mailoutbox[0].to == ["ciudadano@example.pe"]


def test_a_user_without_an_address_gets_only_the_portal_entry(django_user_model, run_worker, mailoutbox):
    """No address: the row exists for Avisos as `portal_only`, nothing is queued or sent."""
    user = django_user_model.objects.create_user(username="sin-correo", password="clave-segura-2026")
    with transaction.atomic():
        notification = notify(template="prueba", context=CONTEXT, user=user)
    run_worker()
    notification.refresh_from_db()
    assert notification.status == NotificationStatus.PORTAL_ONLY
    assert notification.next_attempt_at is None
    assert DBTaskResult.objects.count() == 0
    assert mailoutbox == []


def test_a_notification_needs_someone_to_inform():
    """Neither a user nor an address is a programming error, not a silent no-op."""
    with pytest.raises(ValueError, match="user or an e-mail"):
        notify(template="prueba", context=CONTEXT)


@pytest.mark.parametrize("link", ["https://evil.example/", "//evil.example/x", "expedientes/12/"])
def test_a_link_must_be_a_path_of_the_portal(rosa, link):
    """The Avisos entry opens only paths of this portal, never another site."""
    with pytest.raises(ValueError, match="path of this portal"):
        notify(template="prueba", context=CONTEXT, user=rosa, link=link)


@pytest.mark.parametrize("template", ["../base", "Prueba", "notify/prueba", ""])
def test_a_template_key_is_a_plain_name(rosa, template):
    """A template key cannot reach files outside the notification templates."""
    with pytest.raises(ValueError, match="template key"):
        notify(template=template, context=CONTEXT, user=rosa)
