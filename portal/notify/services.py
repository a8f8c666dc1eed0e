"""Writes for the notifications outbox: inform someone, send, retry, re-queue, mark read.

`notify` is what a procedure calls to "informar": it renders the Spanish templates in
`portal/notify/templates/notify/` and writes the row in the caller's transaction; the
e-mail is enqueued only after that transaction commits, so a step that rolls back
informs nobody. Sending holds the row lock, so two workers never send one row twice.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives
from django.core.validators import validate_email
from django.db import transaction
from django.template import Context, Engine, TemplateDoesNotExist
from django.utils import timezone, translation

from portal.core.models import log_activity

from .models import Notification, NotificationStatus

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

    from engine.models import ProcessInstance

log = logging.getLogger(__name__)

TEMPLATE_KEY = re.compile(r"[a-z0-9_]+")
FIRST_RETRY = timedelta(minutes=1)
MAX_RETRY_DELAY = timedelta(hours=1)
DEFAULT_MAX_ATTEMPTS = 8
SUBJECT_MAX = Notification._meta.get_field("subject").max_length or 255
ERROR_MAX = 2000


def max_attempts() -> int:
    """Sending attempts before a notification is marked `failed` (setting NOTIFY_MAX_ATTEMPTS)."""
    return max(1, int(getattr(settings, "NOTIFY_MAX_ATTEMPTS", DEFAULT_MAX_ATTEMPTS)))


def retry_delay(attempts: int) -> timedelta:
    """How long to wait after the `attempts`-th failed send: 1 min, 2, 4, ... at most 1 h."""
    exponent = min(max(attempts - 1, 0), 10)  # 2**10 min is far past the cap
    return min(FIRST_RETRY * 2**exponent, MAX_RETRY_DELAY)


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
        subject = engine.get_template(f"notify/{template}.subject.txt").render(Context(context, autoescape=False))
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
# Some notices carry a credential (a one-time activation link). The outbox must not keep
# it: the template gets a marker (`secret_marker("activacion")`) that is stored as is and
# replaced by the registered provider only in the message handed to the mail backend. The
# portal copy (Avisos, the admin) shows a note instead.

SecretProvider = Callable[[Notification], str]
_SECRETS: dict[str, SecretProvider] = {}
_SECRET_RE = re.compile(r"\[\[secreto:([a-z0-9_]+)\]\]")
SECRET_HIDDEN = "(enlace personal: solo en el correo enviado)"  # noqa: S105 - a note, not a password


def register_secret(name: str, provider: SecretProvider) -> None:
    """Register `provider(notification) -> str` for the marker `secret_marker(name)`."""
    if not TEMPLATE_KEY.fullmatch(name):
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


# --- Creating ---------------------------------------------------------------------------


def notify(
    *,
    template: str,
    context: Mapping[str, Any],
    user: AbstractBaseUser | None = None,
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


def enqueue_send(notification_id: int) -> None:
    """Queue the e-mail of one notification (after commit). If the queue fails the row
    stays pending and the worker's sweep sends it when it is due."""
    from .tasks import send_notification

    try:
        send_notification.enqueue(notification_id)
    except Exception:  # noqa: BLE001 - the sweep still sends it
        log.exception("Could not enqueue notification %s; the worker's sweep will send it.", notification_id)


# --- Sending ----------------------------------------------------------------------------


def _send_mail(notification: Notification) -> None:
    message = EmailMultiAlternatives(
        subject=notification.subject,
        body=fill_secrets(notification, notification.body_text),
        to=[notification.email],
        headers={"Auto-Submitted": "auto-generated"},  # RFC 3834: no auto-replies, please
    )
    if notification.body_html:
        message.attach_alternative(fill_secrets(notification, notification.body_html), "text/html")
    if message.send(fail_silently=False) == 0:
        raise RuntimeError("The e-mail backend reported that nothing was sent.")


def notification_send(*, notification_id: int, due_only: bool = False) -> bool:
    """Send the e-mail of one pending notification; True if it left.

    Holds the row lock (skip_locked on PostgreSQL; SQLite serialises writers anyway)
    while sending, so a row is never sent twice; a row that is not pending (already
    sent, failed, portal-only) is left alone. With `due_only` (the sweep) a row whose
    next attempt is not due yet is skipped too. A failure is recorded on the row with
    the next attempt after `retry_delay`, or `failed` after `max_attempts()`.
    """
    with transaction.atomic():
        rows = Notification.objects.select_for_update(skip_locked=True).filter(
            pk=notification_id, status=NotificationStatus.PENDING
        )
        if due_only:
            rows = rows.filter(next_attempt_at__lte=timezone.now())
        notification = rows.first()
        if notification is None or not notification.email:
            return False
        notification.attempts += 1
        try:
            _send_mail(notification)
        except Exception as exc:  # noqa: BLE001 - any failure of the mail server is retried
            notification.last_error = f"{type(exc).__name__}: {exc}"[:ERROR_MAX]
            if notification.attempts >= max_attempts():
                notification.status = NotificationStatus.FAILED
                notification.next_attempt_at = None
                log.error("Notification %s failed %d times; giving up: %s",
                          notification.pk, notification.attempts, notification.last_error)
            else:
                notification.next_attempt_at = timezone.now() + retry_delay(notification.attempts)
                log.warning("Notification %s not sent (attempt %d), retrying at %s: %s", notification.pk,
                            notification.attempts, notification.next_attempt_at, notification.last_error)
            notification.save(update_fields=["attempts", "last_error", "status", "next_attempt_at"])
            return False
        notification.status = NotificationStatus.SENT
        notification.sent_at = timezone.now()
        notification.next_attempt_at = None
        notification.save(update_fields=["attempts", "status", "sent_at", "next_attempt_at"])
        return True


def retry_due_notifications(limit: int = 100) -> list[int]:
    """The worker's periodic job: send up to `limit` pending notifications whose next
    attempt is due, oldest first. Returns the ids that were sent."""
    due = (
        Notification.objects.filter(status=NotificationStatus.PENDING, next_attempt_at__lte=timezone.now())
        .order_by("next_attempt_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )
    return [pk for pk in list(due) if notification_send(notification_id=pk, due_only=True)]


@transaction.atomic
def notifications_requeue(*, ids: Iterable[int], by: AbstractBaseUser) -> int:
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
        log_activity(actor=by, action="notification_requeued", obj=row, data={"previous_status": previous})
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


def notifications_mark_all_read(*, user: AbstractBaseUser) -> int:
    return Notification.objects.filter(user=user, read_at=None).update(read_at=timezone.now())
