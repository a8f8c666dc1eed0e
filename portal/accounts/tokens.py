"""One-time activation links: a new user sets their own password; nobody sends it in clear.

The token is Django's password-reset token with another salt (a reset token is not an
activation token, nor the other way round) and its own lifetime. Its hash covers the
password hash and last_login, so it dies once the password is set (or the account
logs in), and the timestamp makes it expire after ACCOUNT_ACTIVATION_HOURS.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.urls import reverse
from django.utils.crypto import constant_time_compare
from django.utils.encoding import force_bytes
from django.utils.http import base36_to_int, urlsafe_base64_encode

DEFAULT_ACTIVATION_HOURS = 72


def activation_hours() -> int:
    return int(getattr(settings, "ACCOUNT_ACTIVATION_HOURS", DEFAULT_ACTIVATION_HOURS))


class ActivationTokenGenerator(PasswordResetTokenGenerator):
    key_salt = "portal.accounts.tokens.ActivationTokenGenerator"

    def check_token(self, user, token) -> bool:
        """The base class's check, with this generator's lifetime instead of
        PASSWORD_RESET_TIMEOUT (which may be shorter or longer)."""
        if not (user and token) or not isinstance(token, str):
            return False
        try:
            ts_b36, _hash = token.split("-")
            ts = base36_to_int(ts_b36)
        except ValueError:
            return False
        if not any(
            constant_time_compare(self._make_token_with_timestamp(user, ts, secret), token)
            for secret in [self.secret, *self.secret_fallbacks]
        ):
            return False
        age = self._num_seconds(self._now()) - ts
        return age <= activation_hours() * 3600


activation_tokens = ActivationTokenGenerator()


def activation_link(*, user, base_url: str = "") -> str:
    """`/cuenta/activar/<uidb64>/<token>/`, prefixed with `base_url` when given
    ("https://flujos.minedu.gob.pe"). Call after the user row is saved as it will stay:
    changing its password, last_login or e-mail afterwards invalidates the link."""
    path = reverse("accounts:activate", kwargs={
        "uidb64": urlsafe_base64_encode(force_bytes(user.pk)), "token": activation_tokens.make_token(user)})
    return base_url.rstrip("/") + path if base_url else path
