"""How API clients authenticate: `Authorization: Token <key>` with a key from POST
/api/token/ (portal.core's ApiToken: stored hashed, expiring, revocable), or the
portal's own session (its pages' scripts, with the CSRF token)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.plumbing import build_bearer_security_scheme_object
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.request import Request

from portal.core.selectors import api_token_by_key, api_token_refusal
from portal.core.services import api_token_touch


def _refusal_message(reason: str) -> str:
    messages = {
        "expired": _("El token venció; pida uno nuevo en /api/token/."),
        "password": _("El token ya no vale: la contraseña cambió. Pida uno nuevo en /api/token/."),
        "revoked": _("El token fue revocado; pida uno nuevo en /api/token/."),
        "inactive": _("El token ya no vale: la cuenta está desactivada."),
    }
    return messages.get(reason, _("Token inválido."))


class ApiTokenAuthentication(BaseAuthentication):
    """`Token <key>`: 401 for a key that is unknown, revoked, expired, of a closed account
    or issued before the password changed; no header → the next authenticator (session)."""

    keyword = "Token"

    def authenticate(self, request: Request) -> tuple[Any, Any] | None:
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != self.keyword.lower().encode():
            return None
        if len(parts) != 2:
            raise AuthenticationFailed(_("Token inválido."))
        try:
            key = parts[1].decode("ascii")
        except UnicodeError:
            raise AuthenticationFailed(_("Token inválido.")) from None
        token = api_token_by_key(key)
        if token is None:
            raise AuthenticationFailed(_("Token inválido."))
        refusal = api_token_refusal(token)
        if refusal:
            raise AuthenticationFailed(_refusal_message(refusal))
        api_token_touch(token=token)
        return token.user, token

    def authenticate_header(self, request: Request) -> str:
        return self.keyword


class ApiTokenScheme(OpenApiAuthenticationExtension):
    """The OpenAPI security scheme of ApiTokenAuthentication (registered by subclassing)."""

    target_class = ApiTokenAuthentication
    name = "tokenAuth"

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        scheme = build_bearer_security_scheme_object(header_name="Authorization", token_prefix=self.target.keyword)
        scheme["description"] = _("«Token <clave>», con la clave que da POST /api/token/; vence a las "
                                  "API_TOKEN_HOURS horas y muere con un cambio de contraseña, una baja o "
                                  "el cierre de la cuenta.")
        return scheme
