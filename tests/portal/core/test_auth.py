import re

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import mail

pytestmark = pytest.mark.django_db

PASSWORD = "clave-de-prueba-2026"


@pytest.fixture
def officer():
    return get_user_model().objects.create_user(
        username="especialista", email="especialista@example.org", password=PASSWORD
    )


def test_login_page_renders_in_spanish(client):
    """The login page is Spanish (es-PE) and every input has a label."""
    response = client.get("/accounts/login/")
    html = response.content.decode()

    assert response.status_code == 200
    assert '<html lang="es-pe">' in html
    assert "Iniciar sesión" in html
    assert "¿Olvidó su contraseña?" in html
    assert "Contraseña" in html
    for input_id in re.findall(r'<input[^>]*type="(?:text|password)"[^>]*id="([^"]+)"', html):
        assert f'for="{input_id}"' in html


def test_login_page_uses_only_local_assets(client):
    """The layout loads Bootstrap and htmx from our static files, never from a CDN."""
    html = client.get("/accounts/login/").content.decode()

    assert "/static/vendor/bootstrap/css/bootstrap.min.css" in html
    assert "/static/vendor/htmx/htmx.min.js" in html
    assert not re.search(r'(?:src|href)="(?:https?:)?//', html)


def test_home_requires_login(client):
    """An anonymous visitor of the home page is sent to the login page."""
    response = client.get("/")

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_login_with_valid_credentials_opens_the_home_page(client, officer):
    """A user with the right password lands on the home page, greeted by name."""
    response = client.post(
        "/accounts/login/", {"username": "especialista", "password": PASSWORD}, follow=True
    )

    assert response.redirect_chain[-1][0] == "/"
    assert response.context["user"] == officer
    assert "Bienvenido(a), especialista" in response.content.decode()


def test_wrong_password_shows_a_spanish_error(client, officer):
    """A wrong password re-renders the form with Django's Spanish error message."""
    response = client.post("/accounts/login/", {"username": "especialista", "password": "x"})

    assert response.status_code == 200
    assert "contraseña" in response.content.decode().lower()
    assert not response.context["user"].is_authenticated


def test_repeated_failures_lock_the_account_with_a_spanish_page(client, officer):
    """After AXES_FAILURE_LIMIT wrong passwords even the right one is refused, in Spanish."""
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post("/accounts/login/", {"username": "especialista", "password": "mala"})

    response = client.post("/accounts/login/", {"username": "especialista", "password": PASSWORD})
    html = response.content.decode()

    assert response.status_code == 429
    assert "Cuenta bloqueada temporalmente" in html
    assert f"Se registraron {settings.AXES_FAILURE_LIMIT} intentos fallidos" in html
    assert "Podrá intentarlo de nuevo en 15 minutos" in html
    assert "_auth_user_id" not in client.session


def test_logout_ends_the_session(client, officer):
    """Logging out (POST) ends the session and returns to the login page."""
    client.force_login(officer)

    response = client.post("/accounts/logout/")

    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/"
    assert client.get("/").status_code == 302


def test_password_reset_sends_a_spanish_email_with_a_working_link(client, officer):
    """The reset e-mail is Spanish and its link opens the new-password form."""
    response = client.post("/accounts/password_reset/", {"email": officer.email}, follow=True)

    assert "Revise su correo" in response.content.decode()
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.subject.startswith("Restablecer su contraseña")
    assert "Para crear una contraseña nueva" in message.body
    link = re.search(r"https?://testserver(/accounts/reset/\S+)", message.body).group(1)

    form_page = client.get(link, follow=True)

    assert "Nueva contraseña" in form_page.content.decode()
    assert form_page.context["validlink"] is True
