"""One correction per rejected case, as a row with a unique index on each side; the
corrections already filed (start data `corrige_a` in the audit trail) are written first,
the oldest winning where a case was corrected twice before."""

import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models


def existing_corrections(apps, schema_editor):
    AuditEvent = apps.get_model("engine", "AuditEvent")
    ProcessInstance = apps.get_model("engine", "ProcessInstance")
    CaseCorrection = apps.get_model("work", "CaseCorrection")
    corrected: set = set()
    corrections: set = set()
    rows = []
    events = AuditEvent.objects.filter(action="start", instance__isnull=False).order_by("instance_id", "pk")
    for event in events.iterator(chunk_size=500):
        value = ((event.data or {}).get("data") or {}).get("corrige_a")
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int) or value in corrected \
                or event.instance_id in corrections or value == event.instance_id:
            continue
        corrected.add(value)
        corrections.add(event.instance_id)
        rows.append((value, event.instance_id, event.created_at))
    present = set(ProcessInstance.objects.filter(pk__in={r[0] for r in rows}).values_list("pk", flat=True))
    CaseCorrection.objects.bulk_create(
        [CaseCorrection(corrected_id=old, correction_id=new, created_at=at) for old, new, at in rows if old in present],
        ignore_conflicts=True)


class Migration(migrations.Migration):

    dependencies = [
        ("engine", "0006_definition_deploy_permission"),
        ("work", "0004_start_submission_body_sha256"),
    ]

    operations = [
        migrations.CreateModel(
            name="CaseCorrection",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                ("corrected", models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name="+",
                                                   to="engine.processinstance")),
                ("correction", models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name="+",
                                                    to="engine.processinstance")),
            ],
        ),
        migrations.RunPython(existing_corrections, migrations.RunPython.noop),
    ]
