"""Credentials in notices: stored as markers, filled in only in the e-mail that leaves.

Some notices carry a credential (a one-time activation link). The outbox must not keep
it: the template gets a marker (`secret_marker("activacion")`) that is stored as is and
replaced by the registered provider only in the message handed to the mail backend. The
portal copy (Avisos, the admin) shows a note instead.

This module imports nothing else of the app, so the model can show its text through
`hide_secrets` and the sender fill it through `fill_secrets`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .models import Notification

SecretProvider = Callable[["Notification"], str]
_SECRETS: dict[str, SecretProvider] = {}
_NAME_RE = re.compile(r"[a-z0-9_]+")
_SECRET_RE = re.compile(r"\[\[secreto:([a-z0-9_]+)\]\]")
SECRET_HIDDEN = "(enlace personal: solo en el correo enviado)"  # noqa: S105 - a note, not a password


def register_secret(name: str, provider: SecretProvider) -> None:
    """Register `provider(notification) -> str` for the marker `secret_marker(name)`."""
    if not _NAME_RE.fullmatch(name):
        raise ValueError(f"Secret names are [a-z0-9_]+: {name!r}")
    _SECRETS[name] = provider


def secret_marker(name: str) -> str:
    return f"[[secreto:{name}]]"


def fill_secrets(notification: Notification, text: str) -> str:
    def replace(match: re.Match) -> str:
        provider = _SECRETS.get(match.group(1))
        if provider is None:
            raise RuntimeError(f"No provider registered for the secret {match.group(1)!r}")
        return provider(notification)

    return _SECRET_RE.sub(replace, text)


def hide_secrets(text: str) -> str:
    """The stored text as the portal shows it."""
    return _SECRET_RE.sub(SECRET_HIDDEN, text)
