"""A start token is unique per (user, process), not across the whole portal: another
user's request, or a request to another process, that happens to carry the same token
(an Idempotency-Key a client reuses) is a request of its own, never "already sent".
Rows written before name their process through their case; a row whose start left no
case keeps an empty key, which no new request matches.

Reversing it is possible only while no two rows share a token (the old constraint was a
global unique token): after two users' clients reused one Idempotency-Key, delete the
newer row of each pair first."""

from django.conf import settings
from django.db import migrations, models


def name_the_process(apps, schema_editor):
    """One UPDATE: each row with a case takes its case's process key."""
    StartSubmission = apps.get_model("work", "StartSubmission")
    ProcessInstance = apps.get_model("engine", "ProcessInstance")
    key = ProcessInstance.objects.filter(pk=models.OuterRef("instance_id")).values("definition__key")[:1]
    StartSubmission.objects.filter(instance__isnull=False).update(process_key=models.Subquery(key))


class Migration(migrations.Migration):

    dependencies = [
        ("engine", "0007_task_routing"),
        ("work", "0005_case_correction"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="startsubmission",
            name="process_key",
            field=models.CharField(default="", max_length=200),
        ),
        migrations.RunPython(name_the_process, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="startsubmission",
            name="token",
            field=models.UUIDField(),
        ),
        migrations.AddConstraint(
            model_name="startsubmission",
            constraint=models.UniqueConstraint(fields=("user", "process_key", "token"),
                                               name="work_startsubmission_user_process_token"),
        ),
    ]
