from django.conf import settings
from django.db import models
from django.utils import timezone


class StartSubmission(models.Model):
    """One row per submitted start form, keyed by the token the form was rendered with:
    a double click or a resent POST finds the case the first submission created instead
    of starting a second one. Written in the start's transaction: it exists exactly when
    its case (or the case's incident) does."""

    token = models.UUIDField(unique=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    instance = models.ForeignKey("engine.ProcessInstance", null=True, blank=True, on_delete=models.CASCADE,
                                 related_name="+")
    # SHA-256 of the canonical request: the same token with other data is refused.
    # Empty on rows written before it was kept.
    body_sha256 = models.CharField(max_length=64, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return str(self.token)
