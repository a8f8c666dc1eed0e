"""The activation page: a new user follows their one-time link and chooses a password."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import SetPasswordForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.encoding import force_str
from django.utils.http import urlsafe_base64_decode
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods

from engine.models import HumanTask, HumanTaskState
from portal.core.models import log_activity
from portal.orgs.access import Scope
from portal.orgs.models import OrgUnit
from portal.shared.http import officer_view
from portal.work import access

from . import services
from .tokens import activation_hours, activation_link, activation_tokens


def _user(uidb64: str) -> Any:
    try:
        pk = int(force_str(urlsafe_base64_decode(uidb64)))
    except (TypeError, ValueError, OverflowError):
        return None
    return get_user_model()._default_manager.filter(pk=pk).first()


def _invalid(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/activate_invalid.html", {"hours": activation_hours()})


@sensitive_post_parameters("new_password1", "new_password2")
@never_cache
@require_http_methods(["GET", "POST"])
def activate(request: HttpRequest, uidb64: str, token: str) -> HttpResponse:
    user = _user(uidb64)
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


def _case_data(task: Any) -> dict[str, Any]:
    """The data the open hand-over task carries (the case so far)."""
    from engine.runtime import load_workflow, loaded_spec
    from engine.serialization import all_tasks

    instance = task.instance
    wf = load_workflow(instance, loaded_spec(instance))
    found = next((t for t in all_tasks(wf) if t.id == task.task_id), None)
    return dict(found.data) if found is not None else {}


def _qr_svg(text: str) -> str:
    import qrcode
    import qrcode.image.svg

    image = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    return image.to_string(encoding="unicode")


def _cargo_ie_title(instance: Any, value: str) -> str:
    """The title the start form gives a `cargo_ie` value ("docente" → "Docente")."""
    if not value:
        return ""
    from portal.schemaforms.loader import FormError, load_form

    try:
        field = load_form(instance.definition.start_form_key).schema.get("properties", {}).get("cargo_ie") or {}
    except FormError:
        return value
    return next((str(o.get("title") or value) for o in field.get("oneOf") or [] if o.get("const") == value), value)


def _fresh_link(request: HttpRequest, user: Any) -> str:
    """A new one-time link for `user`. The account's unusable password is renewed first:
    the token covers it, so the link differs from every earlier one, and an acta
    downloaded before no longer opens the account (only the one handed over does)."""
    user.set_unusable_password()
    user.save(update_fields=["password"])
    base = str(getattr(settings, "PORTAL_URL", "") or "") or request.build_absolute_uri("/")
    return activation_link(user=user, base_url=base)


@officer_view
def acta(request: HttpRequest, scope: Scope, pk: int) -> HttpResponse:
    """The printable acta de entrega of an approved alta (Director IE, staff of an IE): the
    username and a fresh one-time link (text + QR) to set the password. Only whoever may
    work the open hand-over task gets it (404 for anyone else); every download is logged
    (without the link) and makes a new link."""
    task = HumanTask.objects.select_related("instance__definition").filter(
        instance_id=pk, element_id="entregar", state=HumanTaskState.OPEN).first()
    if task is None or not access.can_act(scope, task):
        raise access.NotVisible
    data = _case_data(task)
    cuenta, prep = data.get("cuenta") or {}, data.get("preparacion") or {}
    user = get_user_model().objects.filter(pk=cuenta.get("user_id")).first() if cuenta.get("user_id") else None
    if user is None:
        raise access.NotVisible
    link = "" if user.has_usable_password() else _fresh_link(request, user)
    now = timezone.localtime()
    hours = activation_hours()
    context = {
        "expediente": task.instance_id, "unidad": OrgUnit.objects.filter(code=prep.get("unidad")).first(),
        "rol": prep.get("rol_nombre", ""), "cargo_ie": _cargo_ie_title(task.instance, str(data.get("cargo_ie") or "")),
        "apellidos": data.get("apellidos", ""), "nombres": data.get("nombres", ""), "dni": data.get("dni", ""),
        "usuario": user.get_username(), "enlace": link, "qr": _qr_svg(link) if link else "",
        "horas": hours, "vence": now + timedelta(hours=hours), "fecha": now, "entrega": request.user,
    }
    html = render_to_string("accounts/acta_entrega.html", context)
    from weasyprint import HTML  # heavy: loaded on the first acta only

    pdf = HTML(string=html, base_url=request.build_absolute_uri("/")).write_pdf()
    log_activity(actor=request.user, action="acta_entrega_descargada", obj=user, unit=task.unit,
                 data={"instance": task.instance_id, "username": user.get_username(), "con_enlace": bool(link)})
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="acta-entrega-{task.instance_id}.pdf"'
    response["Cache-Control"] = "no-store"
    return response
