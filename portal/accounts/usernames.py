"""SIAGIE usernames: the first given name's initial and the first surname, in ASCII."""

from __future__ import annotations

import re
import unicodedata

from django.contrib.auth import get_user_model

USERNAME_MAX = 30
_PARTICLES = frozenset({"de", "del", "la", "las", "los", "da", "das", "do", "dos", "di",
                        "van", "von", "san", "santa"})


def _ascii_words(text: str) -> list[str]:
    """Lowercase ASCII words: accents dropped (á→a, ñ→n), anything not [a-z0-9] removed."""
    folded = unicodedata.normalize("NFKD", text or "").encode("ascii", "ignore").decode("ascii").lower()
    return [w for w in (re.sub(r"[^a-z0-9]", "", part) for part in folded.split()) if w]


def _username_base(nombres: str, apellidos: str) -> str:
    given = _ascii_words(nombres)
    surname = ""
    for word in _ascii_words(apellidos):
        surname += word
        if word not in _PARTICLES:
            break
    base = (given[0][0] if given else "") + surname
    return base[:USERNAME_MAX] or "usuario"


def generate_username(*, nombres: str, apellidos: str) -> str:
    """First given name's initial + first surname ("Rosa Elena", "Quispe Mamani" → "rquispe"),
    then 2, 3, ... until no user has it (case-insensitively); at most 30 chars of [a-z0-9.].

    Uniqueness holds at the moment of the query; a concurrent transaction may take the
    same name, which the caller handles (the username column is unique)."""
    base = _username_base(nombres, apellidos)
    prefix = base[: USERNAME_MAX - 6]  # shared by every candidate up to a 6-digit suffix
    taken = {name.lower() for name in get_user_model().objects.filter(username__istartswith=prefix)
             .values_list("username", flat=True)}
    n = 1
    while True:
        suffix = "" if n == 1 else str(n)
        candidate = base[: USERNAME_MAX - len(suffix)] + suffix
        if candidate not in taken:
            return candidate
        n += 1
