"""Sending (and re-sending) the one-time activation link through the outbox."""

from __future__ import annotations

import re

import pytest
from django.core import mail

from portal.accounts import services
from portal.core.models import ActivityLog
from portal.notify.delivery import notification_send
from portal.notify.markers import SECRET_HIDDEN
from portal.notify.models import Notification

pytestmark = pytest.mark.django_db

LINK = re.compile(r"(/cuenta/activar/[^/\s]+/[^/\s]+/)")


@pytest.fixture
def new_user(django_user_model):
    user = django_user_model.objects.create_user(username="rquispe", email="rosa@example.pe", is_active=False)
    user.set_unusable_password()
    user.save()
    return user


def send(user, by=None):
    assert services.account_activation_send(user=user, by=by) == "enviada"
    row = Notification.objects.filter(user=user).latest("pk")
    notification_send(notification_id=row.pk)
    return row, mail.outbox[-1]


def test_the_link_is_in_the_e_mail_but_not_in_the_outbox_nor_in_avisos(client, new_user, admin_user):
    """The sent e-mail carries a working link; the stored row and the portal copy show a note."""
    row, message = send(new_user, by=admin_user)
    assert LINK.search(message.body)
    row.refresh_from_db()
    assert not LINK.search(row.body_text) and SECRET_HIDDEN in row.display_text
    assert ActivityLog.objects.filter(action="activation_sent", actor=admin_user).exists()


def test_a_re_sent_link_works_and_the_account_is_activated_once(client, new_user):
    """An administrator re-sends the link (the first expired or was lost); the new one sets
    the password, after which no link works any more."""
    _row, first = send(new_user)
    _row, second = send(new_user)
    path = LINK.search(second.body).group(1)
    response = client.post(path, {"new_password1": "Huancavelica-2026", "new_password2": "Huancavelica-2026"})
    assert response.status_code == 302
    new_user.refresh_from_db()
    assert new_user.is_active and new_user.check_password("Huancavelica-2026")
    response = client.get(LINK.search(first.body).group(1))
    page = response.content.decode()
    assert "Este enlace ya no sirve" in page and 'name="new_password1"' not in page


def test_no_address_and_already_active_accounts_get_no_mail(django_user_model, new_user):
    """Without an e-mail address the answer says so; an account with a password needs no link."""
    new_user.email = ""
    new_user.save()
    assert services.account_activation_send(user=new_user, by=None) == "sin_correo"
    active = django_user_model.objects.create_user(username="activo", password="x" * 14, email="a@example.pe")
    assert services.account_activation_send(user=active, by=None) == "no_requerida"
    assert not Notification.objects.exists()
