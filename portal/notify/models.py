"""The notifications outbox: what the portal told someone, by e-mail and in "Avisos".

A row is written inside the step that informs (it rolls back with the step) and keeps
the rendered subject and body, so the outbox shows exactly what was sent. The e-mail is
sent after commit by a background task; a failed send is retried by the worker's
periodic sweep with exponential backoff and gives up (`failed`) after
`NOTIFY_MAX_ATTEMPTS`, when an administrator can re-queue it.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .markers import hide_secrets


class NotificationStatus(models.TextChoices):
    """State of the e-mail. The portal entry exists whatever the status."""

    PENDING = "pending", _("pendiente de envío")
    SENT = "sent", _("enviado")
    FAILED = "failed", _("fallido")  # gave up after NOTIFY_MAX_ATTEMPTS; an administrator may re-queue
    # No e-mail address (a user without one): there is nothing to send, only the portal
    # entry. Kept apart from `sent` so the outbox never claims a mail that never left.
    PORTAL_ONLY = "portal_only", _("solo en el portal (sin correo)")


class Notification(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="notifications", verbose_name=_("destinatario"),
        db_index=False,  # covered by the (user, created_at) index below
    )
    email = models.EmailField(
        _("correo"), max_length=254, blank=True,
        help_text=_("Dirección a la que se envió (la del usuario al crear el aviso, o la indicada)."),
    )
    template = models.CharField(_("plantilla"), max_length=100)
    subject = models.CharField(_("asunto"), max_length=255)
    body_text = models.TextField(_("texto"))
    body_html = models.TextField(_("HTML"), blank=True)
    # PROTECT, as the engine's audit events do: the outbox is the record of what the
    # administration told a person about a case, so a case that informed someone cannot
    # be deleted out from under it (instances are never deleted in normal operation).
    instance = models.ForeignKey(
        "engine.ProcessInstance", null=True, blank=True, on_delete=models.PROTECT,
        related_name="+", verbose_name=_("expediente"),
    )
    link = models.CharField(_("enlace"), max_length=500, blank=True,
                            help_text=_("Ruta del portal que abre el aviso, p. ej. /expedientes/12/."))
    status = models.CharField(_("estado"), max_length=20, choices=NotificationStatus.choices,
                              default=NotificationStatus.PENDING)
    attempts = models.PositiveIntegerField(_("intentos"), default=0)
    next_attempt_at = models.DateTimeField(
        _("próximo intento"), null=True, blank=True,
        help_text=_("Cuándo el barrido del worker lo reintentará si la tarea en cola no lo envió."),
    )
    last_error = models.TextField(_("último error"), blank=True)
    sent_at = models.DateTimeField(_("enviado"), null=True, blank=True)
    read_at = models.DateTimeField(_("leído"), null=True, blank=True)
    created_at = models.DateTimeField(_("creado"), default=timezone.now)

    class Meta:
        verbose_name = _("aviso")
        verbose_name_plural = _("avisos")
        ordering = ["-created_at", "-pk"]
        indexes = [
            # The worker's sweep: pending rows whose next attempt is due, oldest first.
            models.Index(fields=["next_attempt_at"], condition=Q(status="pending"), name="notify_due_pending"),
            # A user's Avisos page, newest first.
            models.Index(fields=["user", "-created_at"], name="notify_user_created"),
            # The unread badge in the navbar.
            models.Index(fields=["user"], condition=Q(read_at__isnull=True), name="notify_user_unread"),
        ]

    def __str__(self) -> str:
        return f"{self.subject} → {self.email or self.user_id}"

    @property
    def is_read(self) -> bool:
        return self.read_at is not None

    @property
    def display_text(self) -> str:
        """The body as the portal shows it: credentials filled in only at send time are
        not stored, and a note stands in their place."""
        return hide_secrets(self.body_text)
