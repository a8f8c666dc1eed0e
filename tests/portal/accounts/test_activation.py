from datetime import timedelta

import pytest
import time_machine
from django.contrib.auth.tokens import default_token_generator
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from portal.accounts.tokens import activation_link, activation_tokens
from portal.core.models import ActivityLog
from portal.orgs.models import Person, Position

from .conftest import role

pytestmark = pytest.mark.django_db

PASSWORD = "Ayacucho-Huamanga-2026"


def activate(client, link, password=PASSWORD):
    return client.post(link, {"new_password1": password, "new_password2": password})


def test_alta_creates_an_inactive_user_without_password_with_person_and_position(alta, verifier):
    """A new account starts inactive with no usable password; the person and position exist."""
    result = alta()
    user = result.user
    assert result.created_user and user.username == "rquispe"
    assert (user.first_name, user.last_name, user.email) == ("Rosa Elena", "Quispe Mamani", "rosa.quispe@example.pe")
    assert not user.is_active and not user.has_usable_password()
    assert Person.objects.get(user=user).document_number == "45871236"
    assert Position.objects.get(user=user, until__isnull=True) == result.position
    log = ActivityLog.objects.get(action="account_created")
    assert (log.actor, log.object_id, log.unit) == (verifier, str(user.pk), "0584714-0")


def test_the_activation_link_shows_a_spanish_password_form(client, alta):
    """GET on the link shows the username and the two password fields in Spanish."""
    user = alta().user
    response = client.get(activation_link(user=user))
    assert response.status_code == 200
    content = response.content.decode()
    assert "Activar su cuenta" in content and "rquispe" in content
    assert 'name="new_password1"' in content and 'name="new_password2"' in content


def test_setting_the_password_activates_the_account_without_logging_in(client, alta):
    """POST sets the password, activates the user, logs it, and sends them to the login page
    with a success message, without opening a session."""
    user = alta().user
    response = activate(client, activation_link(user=user))
    assert response.status_code == 302 and response.url == reverse("login")
    user.refresh_from_db()
    assert user.is_active and user.check_password(PASSWORD)
    assert "_auth_user_id" not in client.session
    log = ActivityLog.objects.get(action="account_activated")
    assert (log.actor, log.object_id) == (user, str(user.pk))
    page = client.get(response.url)
    assert "está activa" in page.content.decode()


def test_an_activation_link_works_only_once(client, alta):
    """After the password is set, the same link shows the invalid-link page and changes nothing."""
    user = alta().user
    link = activation_link(user=user)
    activate(client, link)
    user.refresh_from_db()
    password_hash = user.password

    page = client.get(link)
    assert "pida a quien tramitó su alta un enlace nuevo" in page.content.decode()
    second = activate(client, link, password="Otra-Clave-Cusco-2026")
    assert "pida a quien tramitó su alta un enlace nuevo" in second.content.decode()
    user.refresh_from_db()
    assert user.password == password_hash


def test_an_activation_link_expires_after_the_configured_hours(client, alta, settings):
    """The link works until ACCOUNT_ACTIVATION_HOURS have passed, then it is refused."""
    settings.ACCOUNT_ACTIVATION_HOURS = 72
    with time_machine.travel(timezone.now(), tick=False) as clock:
        user = alta().user
        link = activation_link(user=user)
        clock.shift(timedelta(hours=71, minutes=59))
        assert "Activar su cuenta" in client.get(link).content.decode()
        clock.shift(timedelta(minutes=2))
        assert "enlace nuevo" in client.get(link).content.decode()
        activate(client, link)
    user.refresh_from_db()
    assert not user.is_active and not user.has_usable_password()


def test_the_activation_lifetime_is_its_own_setting(alta, settings):
    """ACCOUNT_ACTIVATION_HOURS rules the link, not Django's PASSWORD_RESET_TIMEOUT."""
    settings.ACCOUNT_ACTIVATION_HOURS = 200
    settings.PASSWORD_RESET_TIMEOUT = 3600
    with time_machine.travel(timezone.now(), tick=False) as clock:
        user = alta().user
        token = activation_tokens.make_token(user)
        clock.shift(timedelta(hours=199))
        assert activation_tokens.check_token(user, token)
        clock.shift(timedelta(hours=2))
        assert not activation_tokens.check_token(user, token)


def test_a_tampered_or_guessed_token_is_refused(client, alta):
    """Changing one character of the token, inventing one, or pointing it at another user fails."""
    user = alta().user
    other = alta(nombres="Luis", apellidos="Huamán", document_number="41234567",
                 role=role("personal_ie")).user
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = activation_tokens.make_token(user)
    tampered = token[:-1] + ("0" if token[-1] != "0" else "1")
    for candidate in (tampered, "abc123-0123456789abcdef0123", "sin-guion-valido", "x"):
        page = client.get(reverse("accounts:activate", kwargs={"uidb64": uid, "token": candidate}))
        assert "enlace nuevo" in page.content.decode(), candidate
    other_uid = urlsafe_base64_encode(force_bytes(other.pk))
    page = client.get(reverse("accounts:activate", kwargs={"uidb64": other_uid, "token": token}))
    assert "enlace nuevo" in page.content.decode()
    page = client.get(reverse("accounts:activate", kwargs={"uidb64": "bm9wZQ", "token": token}))
    assert "enlace nuevo" in page.content.decode()


def test_a_password_reset_token_is_not_an_activation_token(client, alta):
    """Its own key_salt: a token from Django's password reset does not activate an account."""
    user = alta().user
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    response = activate(client, reverse("accounts:activate", kwargs={"uidb64": uid, "token": token}))
    assert "enlace nuevo" in response.content.decode()
    user.refresh_from_db()
    assert not user.is_active


def test_the_token_dies_when_the_password_or_last_login_changes(alta):
    """The token's hash covers the password hash and last_login, so any use invalidates it."""
    user = alta().user
    token = activation_tokens.make_token(user)
    assert activation_tokens.check_token(user, token)
    user.last_login = timezone.now()
    assert not activation_tokens.check_token(user, token)
    user.last_login = None
    assert activation_tokens.check_token(user, token)
    user.set_password(PASSWORD)
    assert not activation_tokens.check_token(user, token)


def test_a_weak_password_is_refused_and_the_account_stays_inactive(client, alta):
    """Django's password validators apply: a short, common password is rejected with a message."""
    user = alta().user
    response = activate(client, activation_link(user=user), password="12345")
    assert response.status_code == 200
    assert "demasiado corta" in response.content.decode()
    user.refresh_from_db()
    assert not user.is_active and not user.has_usable_password()


def test_mismatched_passwords_are_refused(client, alta):
    """The two password fields must match."""
    user = alta().user
    response = client.post(activation_link(user=user),
                           {"new_password1": PASSWORD, "new_password2": PASSWORD + "x"})
    assert response.status_code == 200
    user.refresh_from_db()
    assert not user.is_active


def test_a_baja_before_activation_revokes_the_link(client, alta, baja):
    """A person given baja before activating cannot use their old link to open the account."""
    user = alta().user
    link = activation_link(user=user)
    baja()
    assert "enlace nuevo" in client.get(link).content.decode()
    activate(client, link)
    user.refresh_from_db()
    assert not user.is_active


def test_activation_link_is_absolute_with_a_base_url(alta):
    """With base_url the link is absolute, otherwise a path under /cuenta/activar/."""
    user = alta().user
    with time_machine.travel(timezone.now(), tick=False):
        path = activation_link(user=user)
        absolute = activation_link(user=user, base_url="https://flujos.minedu.gob.pe/")
    assert path.startswith("/cuenta/activar/") and path.endswith("/")
    assert absolute == "https://flujos.minedu.gob.pe" + path
