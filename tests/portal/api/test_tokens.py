"""API tokens: issued for a username and password, stored hashed, valid API_TOKEN_HOURS,
dead after a password change, a baja or the account's closure, listed and revoked by
their owner only."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone

from portal.accounts import services as accounts
from portal.accounts.tokens import activation_tokens
from portal.core.models import ApiToken
from portal.core.services import api_token_issue
from portal.orgs import services as orgs
from portal.orgs.models import Position, Role

pytestmark = pytest.mark.django_db

PASSWORD = "clave-segura-2026"  # the officer fixture's
IE = "0584714-0"


def call(key: str, path: str = "tasks/", method: str = "get"):
    return getattr(Client(), method)(f"/api/v1/{path}", HTTP_AUTHORIZATION=f"Token {key}")


def obtain(username: str, password: str = PASSWORD, **extra):
    return Client().post("/api/token/", {"username": username, "password": password, **extra})


@pytest.fixture
def director(officer):
    return officer("director_ie", IE, username="director")


def test_the_token_endpoint_shows_the_key_once_and_stores_only_its_hash(director):
    """The answer carries the key, its id and expiry (8 h by default); the table holds a
    SHA-256 of it and its first 8 characters, never the key."""
    before = timezone.now()
    response = obtain("director", label="matrícula")
    assert response.status_code == 200
    body = response.json()
    key = body["token"]
    row = ApiToken.objects.get(pk=body["id"])
    assert key not in {row.key_hash, row.auth_hash} and row.prefix == key[:8] and row.label == "matrícula"
    assert timedelta(hours=8) <= row.expires_at - before < timedelta(hours=8, minutes=1)
    assert call(key).status_code == 200


def test_a_wrong_password_gets_no_token(director):
    response = obtain("director", "otra-clave-2026")
    assert response.status_code == 400
    assert ApiToken.objects.count() == 0


def test_an_expired_token_gets_401(director, settings):
    """Past API_TOKEN_HOURS (a setting) the token answers 401 and says it expired."""
    settings.API_TOKEN_HOURS = 2
    key = obtain("director").json()["token"]
    with time_machine.travel(timezone.now() + timedelta(hours=1, minutes=59), tick=False):
        assert call(key).status_code == 200
    with time_machine.travel(timezone.now() + timedelta(hours=2, minutes=1), tick=False):
        response = call(key)
    assert response.status_code == 401
    assert "venció" in response.json()["detail"]


def test_a_token_dies_when_the_password_changes(director, client):
    """Changed on the password page (or anywhere else): every earlier token is 401."""
    key = obtain("director").json()["token"]
    client.force_login(director)
    response = client.post("/accounts/password_change/", {
        "old_password": PASSWORD, "new_password1": "otra-clave-segura-2027", "new_password2": "otra-clave-segura-2027"})
    assert response.status_code == 302
    response = call(key)
    assert response.status_code == 401
    assert "contraseña" in response.json()["detail"]
    assert obtain("director", "otra-clave-segura-2027").status_code == 200  # a new one works


def test_a_password_set_through_activation_revokes_the_tokens(director):
    key = api_token_issue(user=director).key
    director.set_unusable_password()  # what an acta renewal does before a new link
    director.save(update_fields=["password"])
    accounts.account_activate(user=director, token=activation_tokens.make_token(director),
                              password="clave-nueva-2027-x")
    assert ApiToken.objects.get().revoked_reason == "contrasena"
    assert call(key).status_code == 401


def test_a_baja_revokes_the_tokens_even_with_another_position_left(director, org, admin_user):
    """The token was issued for the remit the person had: after a baja of one of two
    positions it is 401 (a new one can be asked for)."""
    orgs.position_assign(user=director, role=Role.objects.get(code="personal_ie"), unit=org["0301234-0"], by=None)
    key = api_token_issue(user=director).key
    position = Position.objects.get(user=director, role_id="director_ie", until__isnull=True)
    orgs.position_end(position=position, by=admin_user, reason="Rotación de personal.")
    director.refresh_from_db()
    assert director.is_active
    assert call(key).status_code == 401
    assert ApiToken.objects.get().revoked_reason == "baja"
    assert obtain("director").status_code == 200


def test_closing_the_account_revokes_the_tokens(director, admin_user):
    """The last position ends: the account is closed and its tokens revoked, so reopening
    the account later does not bring them back."""
    key = api_token_issue(user=director).key
    orgs.position_end(position=Position.objects.get(user=director), by=admin_user, reason="Cese.")
    assert call(key).status_code == 401
    get_user_model().objects.filter(pk=director.pk).update(is_active=True)  # reopened by an alta
    assert call(key).status_code == 401
    assert ApiToken.objects.get().revoked_at is not None


def test_switching_the_account_off_in_the_admin_revokes_the_tokens_for_good(director, admin_user, client):
    """An administrator unticks «Activo» on the Django admin's user page: the token answers
    401 saying the account is switched off, and ticking it again does not revive it."""
    key = api_token_issue(user=director).key
    client.force_login(admin_user)
    form = {"username": director.username, "first_name": director.first_name, "last_name": director.last_name,
            "email": director.email, "date_joined_0": "2026-01-05", "date_joined_1": "08:00:00",
            "initial-date_joined_0": "2026-01-05", "initial-date_joined_1": "08:00:00"}
    response = client.post(f"/admin/auth/user/{director.pk}/change/", form)
    assert response.status_code == 302, response.content.decode()[:2000]

    refused = call(key)
    assert refused.status_code == 401
    assert refused.json()["detail"] == "El token ya no vale: la cuenta está desactivada."
    assert ApiToken.objects.get().revoked_reason == "cuenta_desactivada"
    director.refresh_from_db()
    director.is_active = True
    director.save()
    assert call(key).status_code == 401
    assert call(key).json()["detail"] == "El token fue revocado; pida uno nuevo en /api/token/."


def test_the_owner_lists_and_revokes_his_tokens(director, officer):
    """GET /api/v1/tokens/ lists the caller's live tokens (not others', not revoked), marks
    the one in use; DELETE revokes one, which is 401 from then on."""
    other = officer("director_ie", "0301234-0", username="otro")
    first, second = api_token_issue(user=director, label="a"), api_token_issue(user=director, label="b")
    api_token_issue(user=other)
    response = call(first.key, "tokens/")
    assert response.status_code == 200
    rows = {row["id"]: row for row in response.json()}
    assert set(rows) == {first.token.pk, second.token.pk}
    assert rows[first.token.pk]["current"] is True and rows[second.token.pk]["current"] is False
    assert rows[second.token.pk]["prefix"] == second.key[:8] and "token" not in rows[second.token.pk]

    assert call(first.key, f"tokens/{second.token.pk}/", "delete").status_code == 204

    assert call(second.key).status_code == 401
    assert [row["id"] for row in call(first.key, "tokens/").json()] == [first.token.pk]


def test_another_user_cannot_revoke_my_token(director, officer):
    """Someone else's token id answers 404, like one that does not exist, and keeps working."""
    mine = api_token_issue(user=director)
    intruder = api_token_issue(user=officer("director_ie", "0301234-0", username="otro"))
    assert call(intruder.key, f"tokens/{mine.token.pk}/", "delete").status_code == 404
    assert call(intruder.key, "tokens/999999/", "delete").json() == call(
        intruder.key, f"tokens/{mine.token.pk}/", "delete").json()
    assert call(mine.key).status_code == 200


def test_the_token_endpoints_are_in_the_openapi_document(client):
    paths = client.get("/api/schema/", {"format": "json"}).json()["paths"]
    assert "get" in paths["/api/v1/tokens/"]
    assert "delete" in paths["/api/v1/tokens/{id}/"]
    assert "post" in paths["/api/token/"]


def test_the_tokens_page_lists_mine_and_revokes_by_post(director, officer, client):
    """«Mis tokens de la API» (user menu) lists the user's live tokens by prefix and label
    and revokes one with a POST; another user's token id is 404 and keeps working."""
    mine = api_token_issue(user=director, label="integración")
    theirs = api_token_issue(user=officer("director_ie", "0301234-0", username="otro"))
    client.force_login(director)
    page = client.get("/tokens-api/").content.decode()
    assert f"{mine.key[:8]}…" in page and "integración" in page and theirs.key[:8] not in page
    assert mine.key not in page
    assert 'href="/tokens-api/"' in client.get("/").content.decode()
    assert client.get(f"/tokens-api/{mine.token.pk}/revocar/").status_code == 405
    assert client.post(f"/tokens-api/{theirs.token.pk}/revocar/").status_code == 404
    response = client.post(f"/tokens-api/{mine.token.pk}/revocar/", follow=True)
    assert "Se revocó el token" in response.content.decode()
    assert call(mine.key).status_code == 401 and call(theirs.key).status_code == 200
