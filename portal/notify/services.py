"""Writes for the notifications outbox: inform someone, re-queue, mark read.

`notify` is what a procedure calls to "informar": it renders the Spanish templates in
`portal/notify/templates/notify/` and writes the row in the caller's transaction; the
e-mail is enqueued only after that transaction commits (`tasks.enqueue_send`), so a step
that rolls back informs nobody. Sending and retrying live in `delivery`; credentials
filled in only at send time in `markers`.

Imports go one way: markers → models → delivery → tasks → services.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.template import Context, Engine, TemplateDoesNotExist
from django.utils import timezone, translation

from portal.core.services import activity_log

from .delivery import FIRST_RETRY
from .models import Notification, NotificationStatus
from .tasks import enqueue_send

if TYPE_CHECKING:
    from django.contrib.auth.models import User

    from engine.models import ProcessInstance

TEMPLATE_KEY = re.compile(r"[a-z0-9_]+")
SUBJECT_MAX = Notification._meta.get_field("subject").max_length or 255


# --- Rendering --------------------------------------------------------------------------


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


def _tidy_text(text: str) -> str:
    """Template tags leave blank lines behind; keep at most one between paragraphs."""
    lines = [line.rstrip() for line in text.strip().splitlines()]
    tidy: list[str] = []
    for line in lines:
        if line or (tidy and tidy[-1]):
            tidy.append(line)
    return "\n".join(tidy).strip() + "\n"


def render_notification(template: str, context: Mapping[str, Any]) -> Rendered:
    """Render `notify/<template>.subject.txt`, `.txt` and, if it exists, `.html`.

    Text parts are rendered without autoescaping (a name like "O'Higgins & Cía" must
    read as written); the HTML part escapes every context value. The subject is one
    line. Rendered in the portal's language, whoever's request triggers it.
    Raises TemplateDoesNotExist for an unknown template.
    """
    if not TEMPLATE_KEY.fullmatch(template):
        raise ValueError(f"Invalid notification template key: {template!r}")
    engine = Engine.get_default()
    with translation.override(settings.LANGUAGE_CODE):
        subject: str = engine.get_template(f"notify/{template}.subject.txt").render(
            Context(context, autoescape=False))
        text = engine.get_template(f"notify/{template}.txt").render(Context(context, autoescape=False))
        try:
            html_template = engine.get_template(f"notify/{template}.html")
        except TemplateDoesNotExist:
            html = ""
        else:
            html = html_template.render(Context(context, autoescape=True)).strip()
    subject = " ".join(subject.split())
    if len(subject) > SUBJECT_MAX:
        subject = subject[: SUBJECT_MAX - 1].rstrip() + "…"
    return Rendered(subject=subject, text=_tidy_text(text), html=html)


# --- Secrets filled in at send time -------------------------------------------------------
#
# --- Creating ---------------------------------------------------------------------------


def notify(
    *,
    template: str,
    context: Mapping[str, Any],
    user: User | None = None,
    email: str = "",
    instance: ProcessInstance | int | None = None,
    link: str = "",
) -> Notification:
    """Inform `user` (an Avisos entry, and an e-mail to their address) and/or `email`.

    Call inside the transaction of the step that informs: the row is written there and
    the e-mail is enqueued only when it commits, so a rolled-back step sends nothing.
    The address is `email`, else the user's; it is kept on the row as sent. Without any
    address the row is `portal_only` (nothing to send). `link` is a portal path
    ("/expedientes/12/") the Avisos entry opens; templates also get it as `link` and,
    when the setting PORTAL_URL is set, as the absolute `link_url`.
    """
    if user is None and not email:
        raise ValueError("A notification needs a user or an e-mail address.")
    if link and (not link.startswith("/") or link.startswith("//")):
        raise ValueError(f"A notification link must be a path of this portal: {link!r}")
    address = (email or getattr(user, "email", "") or "").strip()
    if address:
        try:
            validate_email(address)
        except ValidationError as exc:
            raise ValueError(f"Invalid e-mail address for a notification: {address!r}") from exc
    portal_url = str(getattr(settings, "PORTAL_URL", "") or "").rstrip("/")
    rendered = render_notification(
        template, {**context, "link": link, "link_url": f"{portal_url}{link}" if portal_url and link else ""}
    )
    now = timezone.now()
    notification = Notification.objects.create(
        user=user,
        email=address,
        template=template,
        subject=rendered.subject,
        body_text=rendered.text,
        body_html=rendered.html,
        instance_id=instance if isinstance(instance, int) else getattr(instance, "pk", None),
        link=link,
        status=NotificationStatus.PENDING if address else NotificationStatus.PORTAL_ONLY,
        # The queued task sends it at once; the worker's sweep picks it up from here only
        # if that task was lost (worker down, enqueue failed).
        next_attempt_at=now + FIRST_RETRY if address else None,
        created_at=now,
    )
    if address:
        transaction.on_commit(partial(enqueue_send, notification.pk))
    return notification


@transaction.atomic
def notifications_requeue(*, ids: Iterable[int], by: User) -> int:
    """Give failed (or still pending) e-mails a fresh round of attempts, starting now.
    Rows already sent or without an address are left alone. Returns how many."""
    rows = list(
        Notification.objects.select_for_update()
        .filter(pk__in=list(ids), status__in=[NotificationStatus.FAILED, NotificationStatus.PENDING])
        .exclude(email="")
    )
    now = timezone.now()
    for row in rows:
        previous = row.status
        row.status = NotificationStatus.PENDING
        row.attempts = 0
        row.next_attempt_at = now + FIRST_RETRY
        row.save(update_fields=["status", "attempts", "next_attempt_at"])
        activity_log(actor=by, action="notification_requeued", obj=row, data={"previous_status": previous})
        transaction.on_commit(partial(enqueue_send, row.pk))
    return len(rows)


# --- Reading in the portal --------------------------------------------------------------


def notification_mark_read(*, notification: Notification) -> None:
    """Mark one Avisos entry read (once; opening it again keeps the first time)."""
    if notification.read_at is not None:
        return
    now = timezone.now()
    Notification.objects.filter(pk=notification.pk, read_at=None).update(read_at=now)
    notification.read_at = now


def notifications_mark_all_read(*, user: User) -> int:
    return Notification.objects.filter(user=user, read_at=None).update(read_at=timezone.now())
