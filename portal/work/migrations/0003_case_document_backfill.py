"""Link the documents of existing cases, from their audit trail.

Until now a document counted as a case's when its UUID appeared anywhere in the case
data. Only values at document-field paths of the case's forms become links; a UUID in
any other field (observaciones) links nothing. A form that cannot be loaded any more is
skipped (its documents stay unreachable through the case rather than guessed)."""

from django.db import migrations


def link_existing_documents(apps, schema_editor):
    from django.db.models import F, OuterRef, Subquery

    from portal.schemaforms.files import document_values
    from portal.schemaforms.loader import FormError, load_form

    AuditEvent = apps.get_model("engine", "AuditEvent")
    HumanTask = apps.get_model("engine", "HumanTask")
    CaseDocument = apps.get_model("work", "CaseDocument")
    Document = apps.get_model("schemaforms", "Document")
    schemas: dict = {}

    def schema_of(form_key):
        if form_key not in schemas:
            try:
                schemas[form_key] = load_form(form_key).schema if form_key else None
            except FormError:
                schemas[form_key] = None
        return schemas[form_key]

    def save(rows):
        stored = set(Document.objects.filter(pk__in={row.document_id for row in rows}).values_list("pk", flat=True))
        CaseDocument.objects.bulk_create([row for row in rows if row.document_id in stored], ignore_conflicts=True)

    task_form = HumanTask.objects.filter(instance_id=OuterRef("instance_id"), task_id=OuterRef("task_id"))
    events = (AuditEvent.objects.filter(action__in=["start", "complete"], instance__isnull=False)
              .annotate(task_form_key=Subquery(task_form.values("form_key")[:1]),
                        start_form_key=F("instance__definition__start_form_key"))
              .order_by("pk"))
    rows = []
    for event in events.iterator(chunk_size=500):
        data = (event.data or {}).get("data")
        if not isinstance(data, dict):
            continue
        if event.action == "start":
            form_key, element_id = event.start_form_key or "", ""
        else:
            form_key, element_id = event.task_form_key or "", event.element_id
        schema = schema_of(form_key)
        if schema is None:
            continue
        for path, pk in document_values(schema, data):
            rows.append(CaseDocument(instance_id=event.instance_id, document_id=pk, form_key=form_key,
                                     field=path, element_id=element_id, created_at=event.created_at))
        if len(rows) >= 500:
            save(rows)
            rows = []
    if rows:
        save(rows)


class Migration(migrations.Migration):
    dependencies = [
        ("work", "0002_case_document"),
        ("engine", "0005_task_escalation"),
    ]

    operations = [
        migrations.RunPython(link_existing_documents, migrations.RunPython.noop),
    ]
