from django.conf import settings
from django.db import models
from django.utils import timezone


class StartSubmission(models.Model):
    """One row per submitted start form, keyed by the token the form was rendered with:
    a double click or a resent POST finds the case the first submission created instead
    of starting a second one. Written in the start's transaction: it exists exactly when
    its case (or the case's incident) does.

    A token is unique per user and process (as an Idempotency-Key is per client and
    endpoint): another user's or another process's request with the same token is a
    request of its own, never a replay of this one."""

    token = models.UUIDField()
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    process_key = models.CharField(max_length=200, default="")
    instance = models.ForeignKey("engine.ProcessInstance", null=True, blank=True, on_delete=models.CASCADE,
                                 related_name="+")
    # SHA-256 of the canonical request: the same token with other data is refused.
    # Empty on rows written before it was kept.
    body_sha256 = models.CharField(max_length=64, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "process_key", "token"],
                                               name="work_startsubmission_user_process_token")]

    def __str__(self) -> str:
        return str(self.token)


class CaseDocument(models.Model):
    """A document attached to a case through a document field of one of its forms, written
    in the transaction that stored the form's answer. This row, not a UUID found somewhere
    in the case data, is what lets a document be listed and downloaded through the case."""

    instance = models.ForeignKey("engine.ProcessInstance", on_delete=models.CASCADE, related_name="+")
    document = models.ForeignKey("schemaforms.Document", on_delete=models.CASCADE, related_name="+")
    form_key = models.CharField(max_length=200)
    field = models.CharField(max_length=300)  # dotted path of the document field in the form
    element_id = models.CharField(max_length=200, blank=True)  # the task's BPMN element; "" = start form
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["instance", "document"], name="work_case_document_once"),
        ]

    def __str__(self) -> str:
        return f"{self.instance_id}: {self.document_id}"


class CaseCorrection(models.Model):
    """A rejected case and the one case that corrects it. Both sides are unique, so a
    rejected case is corrected once, also when two corrections are sent at the same
    moment: the second waits on the index and is refused. Written in the start's
    transaction of the correction (portal.work.services)."""

    corrected = models.OneToOneField("engine.ProcessInstance", on_delete=models.CASCADE, related_name="+")
    correction = models.OneToOneField("engine.ProcessInstance", on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.corrected_id} → {self.correction_id}"
