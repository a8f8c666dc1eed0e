"""The acta de entrega: the printed hand-over of an approved alta (Director IE, staff of
an IE), the only way their new user's one-time link leaves the portal (never by e-mail).

One service, `account_acta_issue`, behind a POST: each acta renews the link, so only the
last acta handed over opens the account.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from pdf import render_pdf
from portal.core.services import activity_log
from portal.orgs.access import scope_for
from portal.orgs.models import OrgUnit, Position, Role
from portal.shared.errors import NotVisible

from . import access, selectors
from .tokens import activation_hours, activation_link


@dataclass(frozen=True)
class ActaPdf:
    content: bytes
    filename: str


def _renewed_link(account: Any, base_url: str) -> str:
    """A new one-time link for `account` (row locked). The unusable password is renewed
    first: the token covers it, so the link differs from every earlier one, and an acta
    issued before no longer opens the account (only the one handed over does)."""
    account.set_unusable_password()
    account.save(update_fields=["password"])
    base = str(getattr(settings, "PORTAL_URL", "") or "") or base_url
    return activation_link(user=account, base_url=base)


def _acta_may_carry_link(account: Any, cuenta: dict[str, Any]) -> bool:
    """Only an account this case created, still without a password, whose one active
    position is the one this case gave: anything else (an existing person's account, one
    a baja closed, one that meanwhile holds other posts) is not the hand-over officer's
    to open. Its owner gets a link by e-mail from an administrator."""
    if account.has_usable_password() or not cuenta.get("cuenta_nueva"):
        return False
    active = set(Position.objects.filter(user=account, until__isnull=True).values_list("pk", flat=True))
    return active == {cuenta.get("position_id")}


@transaction.atomic
def account_acta_issue(*, by: Any, instance_pk: int, base_url: str) -> ActaPdf:
    """The printable acta de entrega of an approved alta (Director IE, staff of an IE),
    issued by `by`: the person's data, the username and, while the account has no
    password yet, a fresh one-time link (text + QR) to set it. `base_url` prefixes the
    link when PORTAL_URL is not set (the request's own, e.g. "https://host/").

    Only whoever may work the open hand-over task gets it (portal.accounts.access):
    anyone else, or once the hand-over is recorded, gets NotVisible and nothing changes.
    Every acta renews the link (the earlier actas' links stop working) and is logged
    without the link. The PDF is rendered inside the transaction: if rendering fails,
    the password is not renewed and the last acta handed over still works."""
    # The hand-over row stays locked until the acta commits: a second issue of the same
    # acta, or the hand-over being recorded meanwhile, waits for this one and then sees
    # the renewed password (or the finished step) instead of renewing from the same state.
    task = access.acta_task_for_work(scope_for(by), instance_pk, lock=True)
    # The account, person, role and unit come from what the alta step recorded, never from
    # the case data, which later steps' forms write to.
    record = selectors.alta_record(task.instance_id)
    if record is None:
        raise NotVisible
    cuenta, params = record["result"], record["params"]
    account = (get_user_model().objects.select_for_update().filter(pk=cuenta["user_id"]).first()
               if cuenta.get("user_id") else None)
    if account is None:
        raise NotVisible
    link = _renewed_link(account, base_url) if _acta_may_carry_link(account, cuenta) else ""
    unit = OrgUnit.objects.filter(code=params.get("unit")).first()
    role = Role.objects.filter(code=params.get("role")).first()
    data = selectors.open_task_data(task)  # only the cargo's title, which the acta names too
    now = timezone.localtime()
    hours = activation_hours()
    content = render_pdf("acta_entrega.html", {
        "expediente": task.instance_id, "fecha": now,
        "unidad": {"name": unit.name, "codigo_modular": unit.codigo_modular} if unit else None,
        "rol": role.name if role else "",
        "cargo_ie": selectors.cargo_ie_title(task.instance.definition, str(data.get("cargo_ie") or "")),
        "apellidos": params.get("apellidos") or "", "nombres": params.get("nombres") or "",
        "dni": params.get("document_number") or "",
        "usuario": account.get_username(), "enlace": link,
        "horas": hours, "vence": now + timedelta(hours=hours),
        "entrega": by.get_full_name() or by.get_username(),
    })
    activity_log(actor=by, action="acta_entrega_descargada", obj=account, unit=task.unit,
                 data={"instance": task.instance_id, "username": account.get_username(), "con_enlace": bool(link)})
    return ActaPdf(content=content, filename=f"acta-entrega-{task.instance_id}.pdf")
