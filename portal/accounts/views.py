"""The activation page (a new user follows their one-time link and chooses a password),
the acta de entrega that carries that link, and the administrators' button that sends a
fresh one."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.forms import SetPasswordForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST

from portal.orgs import access as orgs_access
from portal.orgs.access import Scope
from portal.shared.http import officer_view

from . import selectors, services
from .acta import account_acta_issue
from .tokens import activation_hours, activation_tokens


def _invalid(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/activate_invalid.html", {"hours": activation_hours()})


@sensitive_post_parameters("new_password1", "new_password2")
@never_cache
@require_http_methods(["GET", "POST"])
def activate(request: HttpRequest, uidb64: str, token: str) -> HttpResponse:
    user = selectors.user_from_uid(uidb64)
    if user is None or not activation_tokens.check_token(user, token):
        return _invalid(request)
    form = SetPasswordForm(user, request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            services.account_activate(user=user, token=token, password=form.cleaned_data["new_password1"])
        except services.AccountError:
            return _invalid(request)
        messages.success(request, _("Su cuenta «%(username)s» está activa. Ingrese con su usuario y la "
                                    "contraseña que acaba de elegir.") % {"username": user.get_username()})
        return redirect("login")
    return render(request, "accounts/activate.html", {"form": form, "account": user})


# --- Acta de entrega ----------------------------------------------------------------------------


@require_POST  # issuing an acta renews the account's link: never on a GET (prefetch, reload, crawler)
@officer_view
def acta(request: HttpRequest, scope: Scope, pk: int) -> HttpResponse:
    """The printable acta de entrega (acta.account_acta_issue); 404 for anyone who may
    not work the open hand-over task."""
    issued = account_acta_issue(by=request.user, instance_pk=pk, base_url=request.build_absolute_uri("/"))
    response = HttpResponse(issued.content, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{issued.filename}"'
    response["Cache-Control"] = "no-store"
    return response


@require_POST
@officer_view
def position_activation_send(request: HttpRequest, scope: Scope, pk: int) -> HttpResponse:
    """An administrator sends the holder of a position a fresh one-time activation link
    (the first expired, was lost, or the account was created without e-mail and has one
    now); the button is on the unit page of the administration."""
    position = orgs_access.active_position_for_admin(scope, pk)
    outcome = services.account_activation_send(user=position.user, by=request.user)
    user = position.user
    names = {"role": position.role.name, "person": user.get_full_name() or user.get_username()}
    if outcome == "enviada":
        messages.success(request, _("Se envió a %(person)s un enlace nuevo para crear su contraseña.") % names)
    elif outcome == "sin_correo":
        messages.error(request, _("%(person)s no tiene correo registrado: no se pudo enviar el enlace.") % names)
    else:
        messages.info(request, _("%(person)s ya activó su cuenta; no necesita un enlace.") % names)
    return redirect("work:orgs:unit_detail", code=position.unit.code)
