"""Portal-level audit: changes to offices and positions, and reads of personal data.

Process steps are audited by the engine (engine.AuditEvent); this log covers what
happens outside a process. Rows are append-only, like the engine's.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ActivityLog(models.Model):
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    action = models.CharField(_("acción"), max_length=64)
    object_type = models.CharField(max_length=64, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    unit = models.CharField(_("unidad"), max_length=64, blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("registro de actividad")
        verbose_name_plural = _("registro de actividad")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["object_type", "object_id"], name="core_activity_object")]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.action}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("Activity log rows are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("Activity log rows are append-only")


class ApiToken(models.Model):
    """A REST API credential of one user (`Authorization: Token <key>`).

    Only the SHA-256 of the key is stored: the key is shown once, when issued, and a copy
    of this table opens nothing. A token stops working when it expires, when it is revoked
    (by its owner, a baja, the account's closure, a password set through activation), and
    when the user's password changes by any path: `auth_hash` is the user's session
    authentication hash at issue time, the same check that ends Django sessions.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key_hash = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(_("inicio de la clave"), max_length=8)  # so the owner recognises it
    label = models.CharField(_("etiqueta"), max_length=100, blank=True)
    auth_hash = models.CharField(max_length=128)
    created_at = models.DateTimeField(_("emitido"), default=timezone.now)
    expires_at = models.DateTimeField(_("vence"))
    last_used_at = models.DateTimeField(_("último uso"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revocado"), null=True, blank=True)
    revoked_reason = models.CharField(max_length=32, blank=True)

    class Meta:
        verbose_name = _("token de la API")
        verbose_name_plural = _("tokens de la API")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user_id})"
