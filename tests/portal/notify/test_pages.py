"""The Avisos pages: my notifications only, newest first, unread marked, opening reads."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from portal.notify.models import Notification
from portal.notify.services import notify

from .conftest import CONTEXT

pytestmark = pytest.mark.django_db


def inform(user, **context):
    return notify(template="prueba", context={**CONTEXT, **context}, user=user, link="/expedientes/12/")


def test_the_avisos_page_needs_a_login(client):
    """An anonymous visitor is sent to the login page."""
    response = client.get(reverse("notify:list"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_the_avisos_page_lists_only_my_notifications_newest_first(client, rosa, juan):
    """I see my notifications, the newest first, and none of anyone else's."""
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        inform(rosa, expediente=1)
    with time_machine.travel(start + timedelta(minutes=5), tick=False):
        inform(rosa, expediente=2)
    inform(juan, expediente=99)
    client.force_login(rosa)
    html = client.get(reverse("notify:list")).content.decode()
    assert html.index("expediente N.º 2") < html.index("expediente N.º 1")
    assert "expediente N.º 99" not in html


def test_unread_notifications_are_highlighted(client, rosa):
    """An unread entry is marked "Nuevo"; a read one is not."""
    unread = inform(rosa, expediente=1)
    read = inform(rosa, expediente=2)
    Notification.objects.filter(pk=read.pk).update(read_at=timezone.now())
    client.force_login(rosa)
    html = client.get(reverse("notify:list")).content.decode()
    unread_row = html.split(f'data-aviso="{unread.pk}"')[1].split("</li>")[0]
    read_row = html.split(f'data-aviso="{read.pk}"')[1].split("</li>")[0]
    assert "Nuevo" in unread_row
    assert "Nuevo" not in read_row


def test_opening_a_notification_marks_it_read_and_links_to_the_case(client, rosa):
    """The detail shows the message and the case link, and records when it was read."""
    notification = inform(rosa)
    client.force_login(rosa)
    response = client.get(reverse("notify:detail", args=[notification.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Su solicitud fue aprobada." in html
    assert 'href="/expedientes/12/"' in html
    notification.refresh_from_db()
    assert notification.read_at is not None


def test_opening_it_again_keeps_the_first_reading_time(client, rosa):
    """Read once stays read at that moment."""
    notification = inform(rosa)
    client.force_login(rosa)
    client.get(reverse("notify:detail", args=[notification.pk]))
    notification.refresh_from_db()
    first = notification.read_at
    with time_machine.travel(timezone.now() + timedelta(hours=1)):
        client.get(reverse("notify:detail", args=[notification.pk]))
    notification.refresh_from_db()
    assert notification.read_at == first


def test_another_users_notification_answers_404_and_stays_unread(client, rosa, juan):
    """I cannot open, nor mark read, someone else's notification: it "does not exist"."""
    notification = inform(juan)
    client.force_login(rosa)
    assert client.get(reverse("notify:detail", args=[notification.pk])).status_code == 404
    notification.refresh_from_db()
    assert notification.read_at is None


def test_the_navbar_shows_my_unread_count(client, rosa, juan):
    """The "Avisos" menu item carries a badge with my unread notifications only."""
    inform(rosa)
    inform(rosa)
    inform(juan)
    client.force_login(rosa)
    html = client.get(reverse("home")).content.decode()
    badge = html.split('id="avisos-sin-leer"')[1].split("</span></span>")[0]
    assert badge.startswith(">2<")


def test_the_navbar_has_no_badge_when_everything_is_read(client, rosa):
    """With nothing unread, the menu item shows no count."""
    notification = inform(rosa)
    client.force_login(rosa)
    client.get(reverse("notify:detail", args=[notification.pk]))
    html = client.get(reverse("home")).content.decode()
    assert reverse("notify:list") in html
    assert 'id="avisos-sin-leer"' not in html


def test_mark_all_read_marks_only_mine(client, rosa, juan):
    """"Marcar todos como leídos" reads my notifications and leaves other people's alone."""
    mine = inform(rosa)
    theirs = inform(juan)
    client.force_login(rosa)
    response = client.post(reverse("notify:mark_all_read"))
    assert response.status_code == 302
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert mine.read_at is not None
    assert theirs.read_at is None


def test_mark_all_read_does_not_accept_get(client, rosa):
    """Marking read is a write: a GET (a link, a prefetch) changes nothing."""
    notification = inform(rosa)
    client.force_login(rosa)
    assert client.get(reverse("notify:mark_all_read")).status_code == 405
    notification.refresh_from_db()
    assert notification.read_at is None
