"""Login throttling: per account and address (AXES_FAILURE_LIMIT), per address across
usernames (AXES_IP_FAILURE_LIMIT), and a 429 in Spanish on the API too."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model

pytestmark = pytest.mark.django_db

PASSWORD = "clave-de-prueba-2026"
LOCKED_ACCOUNT = "Se registraron demasiados intentos fallidos de inicio de sesión para esta cuenta."
LOCKED_NETWORK = "Se registraron demasiados intentos fallidos de inicio de sesión desde su red."
LATER = "Podrá intentarlo de nuevo en 15 minutos."


@pytest.fixture
def officer():
    return get_user_model().objects.create_user(username="especialista", password=PASSWORD)


def fail(client, username: str, path: str = "/accounts/login/", **extra):
    return client.post(path, {"username": username, "password": "mala"}, **extra)


def test_many_usernames_from_one_address_lock_the_address(client, officer):
    """AXES_IP_FAILURE_LIMIT failures on as many different usernames lock the address:
    then even a right password from it is refused, with the Spanish page that says so."""
    for n in range(settings.AXES_IP_FAILURE_LIMIT - 1):
        assert fail(client, f"usuario{n}").status_code == 200
    assert fail(client, "usuario-ultimo").status_code == 429

    response = client.post("/accounts/login/", {"username": "especialista", "password": PASSWORD})

    assert response.status_code == 429
    page = response.content.decode()
    limit = settings.AXES_IP_FAILURE_LIMIT
    assert f"Se registraron {limit} intentos fallidos de inicio de sesión desde su red." in page
    assert "_auth_user_id" not in client.session


def test_the_address_limit_spares_other_addresses(client, officer):
    """The same account logs in from another address while the first one is locked."""
    for n in range(settings.AXES_IP_FAILURE_LIMIT):
        fail(client, f"usuario{n}", REMOTE_ADDR="203.0.113.7")

    response = client.post("/accounts/login/", {"username": "especialista", "password": PASSWORD},
                           REMOTE_ADDR="198.51.100.20")

    assert response.status_code == 302


def test_a_success_does_not_reset_the_addresss_failures_on_other_accounts(client, officer):
    """Logging in with one valid account does not clear the failures on the others, so
    guessing can not go on by logging in now and then."""
    for n in range(settings.AXES_IP_FAILURE_LIMIT - 1):
        fail(client, f"usuario{n}")
    assert client.post("/accounts/login/", {"username": "especialista", "password": PASSWORD}).status_code == 302
    client.logout()

    assert fail(client, "usuario-ultimo").status_code == 429


def test_a_locked_account_gets_429_in_json_on_the_token_endpoint(client, officer):
    """The API's /api/token/: the failure that reaches the limit and every later try, even
    with the right password, get 429 JSON with the Spanish lockout message and Retry-After."""
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        response = fail(client, "especialista", "/api/token/")
        assert response.status_code == 400
    locking = fail(client, "especialista", "/api/token/")
    right = client.post("/api/token/", {"username": "especialista", "password": PASSWORD})

    for response in (locking, right):
        assert response.status_code == 429
        assert response["Content-Type"] == "application/json"
        assert response.json() == {"detail": f"{LOCKED_ACCOUNT} {LATER}"}
        assert response["Retry-After"] == "900"
    assert "token" not in right.json()


def test_a_locked_address_gets_429_in_json_on_the_token_endpoint(client, officer):
    """Failures across usernames on the API lock the address there too."""
    for n in range(settings.AXES_IP_FAILURE_LIMIT):
        fail(client, f"usuario{n}", "/api/token/")

    response = client.post("/api/token/", {"username": "especialista", "password": PASSWORD})

    assert response.status_code == 429
    assert response.json() == {"detail": f"{LOCKED_NETWORK} {LATER}"}


def test_an_api_path_locked_by_the_middleware_answers_json(rf, officer):
    """The lockout answer for any /api/ path is JSON, for the pages the Spanish page."""
    from portal.core.throttle import lockout_response

    api = lockout_response(rf.post("/api/v1/algo/"))
    page = lockout_response(rf.post("/accounts/login/"))

    assert api.status_code == page.status_code == 429
    assert api["Content-Type"] == "application/json"
    assert "Cuenta bloqueada temporalmente" in page.content.decode()


PROXY = "10.0.0.5"  # the nginx in front of the portal


def test_behind_a_proxy_each_officer_is_throttled_by_their_own_address(client, officer, settings):
    """Behind one trusted proxy every request comes from the proxy's address: the client
    is the entry the proxy appended to X-Forwarded-For. One address's failures lock that
    address only; another officer behind the same proxy still logs in."""
    settings.TRUSTED_PROXY_COUNT = 1
    for n in range(settings.AXES_IP_FAILURE_LIMIT):
        fail(client, f"usuario{n}", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="203.0.113.7")

    locked = client.post("/accounts/login/", {"username": "especialista", "password": PASSWORD},
                         REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="203.0.113.7")
    other = client.post("/accounts/login/", {"username": "especialista", "password": PASSWORD},
                        REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="198.51.100.20")

    assert locked.status_code == 429
    assert (f"Se registraron {settings.AXES_IP_FAILURE_LIMIT} intentos fallidos de inicio de sesión desde su red."
            in locked.content.decode())
    assert other.status_code == 302


def test_an_address_the_client_writes_itself_does_not_lift_its_lockout(client, officer, settings):
    """An attacker who prepends a different made-up address to X-Forwarded-For on every
    try is still counted by the address the proxy saw, and locked."""
    settings.TRUSTED_PROXY_COUNT = 1
    for n in range(settings.AXES_IP_FAILURE_LIMIT):
        fail(client, f"usuario{n}", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=f"192.0.2.{n}, 203.0.113.7")

    response = client.post("/accounts/login/", {"username": "especialista", "password": PASSWORD},
                           REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="192.0.2.200, 203.0.113.7")

    assert response.status_code == 429


def test_without_a_trusted_proxy_the_header_is_ignored(client, officer, settings):
    """With TRUSTED_PROXY_COUNT = 0 (facing clients directly) a forged X-Forwarded-For
    changes nothing: the failures count against REMOTE_ADDR."""
    settings.TRUSTED_PROXY_COUNT = 0
    for n in range(settings.AXES_IP_FAILURE_LIMIT):
        fail(client, f"usuario{n}", REMOTE_ADDR="203.0.113.7", HTTP_X_FORWARDED_FOR=f"192.0.2.{n}")

    response = client.post("/accounts/login/", {"username": "especialista", "password": PASSWORD},
                           REMOTE_ADDR="203.0.113.7", HTTP_X_FORWARDED_FOR="192.0.2.250")

    assert response.status_code == 429
