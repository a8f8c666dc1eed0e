"""Link the documents of existing cases, from their audit trail.

Until now a document counted as a case's when its UUID appeared anywhere in the case
data. Only values at document-field paths of the case's forms become links; a UUID in
any other field (observaciones) links nothing. A form that cannot be loaded any more is
skipped (its documents stay unreachable through the case rather than guessed)."""

import json
import re
import uuid
from pathlib import Path

from django.conf import settings
from django.db import migrations

# Frozen copies of what this backfill needs from portal.schemaforms and portal.shared as
# they were when it was written: a migration must give the same result whatever those
# modules become later.
_KEY_RE = re.compile(r"[a-z0-9_\-]+")
_UUID_RE = re.compile(r"[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}")
_BRANCHES = ("allOf", "anyOf", "oneOf", "then", "else")
_MAX_DEPTH = 20


def _pointer(root, ref):
    node = root
    path = ref[1:].lstrip("/")
    for token in path.split("/") if path else []:
        token = token.replace("~1", "/").replace("~0", "~")
        if isinstance(node, dict) and token in node:
            node = node[token]
        elif isinstance(node, list) and token.isdigit() and int(token) < len(node):
            node = node[int(token)]
        else:
            return None
    return node


def _resolve(node, root):
    """The node with its local $ref chain merged in (the node's own keys win)."""
    if not isinstance(node, dict):
        return {}
    result, depth = dict(node), 0
    while isinstance(result.get("$ref"), str) and result["$ref"].startswith("#") and depth < _MAX_DEPTH:
        target = _pointer(root, result.pop("$ref"))
        if not isinstance(target, dict):
            break
        result = {**target, **result}
        depth += 1
    return result


def _fields(node, root, fields, depth=0):
    if depth > _MAX_DEPTH:
        return fields
    properties = node.get("properties")
    if isinstance(properties, dict):
        for name, child in properties.items():
            resolved = _resolve(child, root)
            fields[name] = {**resolved, **fields[name]} if name in fields else resolved
    branches = []
    for keyword in _BRANCHES:
        value = node.get(keyword)
        branches.extend(value if isinstance(value, list) else [value])
    if isinstance(node.get("dependentSchemas"), dict):
        branches.extend(node["dependentSchemas"].values())
    for branch in branches:
        if isinstance(branch, dict):
            _fields(_resolve(branch, root), root, fields, depth + 1)
    return fields


def _first_type(node):
    kind = node.get("type")
    kinds = [kind] if isinstance(kind, str) else kind if isinstance(kind, list) else []
    kinds = [k for k in kinds if isinstance(k, str) and k != "null"]
    return kinds[0] if kinds else None


def _document_paths(node, root, prefix="", depth=0):
    for name, child in _fields(_resolve(node, root), root, {}).items():
        if child.get("format") == "document":
            yield f"{prefix}{name}"
        elif isinstance(child.get("properties"), dict) and _first_type(child) == "object" and depth < 5:
            yield from _document_paths(child, root, f"{prefix}{name}.", depth + 1)


def _document_values(schema, data):
    found = []
    for path in _document_paths(schema, schema):
        value = data
        for part in path.split("."):
            value = value.get(part) if isinstance(value, dict) else None
        if isinstance(value, str) and _UUID_RE.fullmatch(value):
            found.append((path, uuid.UUID(value)))
    return found


def _load_schema(form_key):
    """The form's JSON Schema from the forms directory, or None when it cannot be read."""
    if not form_key or not _KEY_RE.fullmatch(form_key):
        return None
    try:
        schema = json.loads((Path(settings.ENGINE["FORMS_DIR"]) / f"{form_key}.schema.json").read_text("utf-8"))
    except (OSError, ValueError):
        return None
    return schema if isinstance(schema, dict) else None


def link_existing_documents(apps, schema_editor):
    from django.db.models import F, OuterRef, Subquery

    AuditEvent = apps.get_model("engine", "AuditEvent")
    HumanTask = apps.get_model("engine", "HumanTask")
    CaseDocument = apps.get_model("work", "CaseDocument")
    Document = apps.get_model("schemaforms", "Document")
    schemas: dict = {}

    def schema_of(form_key):
        if form_key not in schemas:
            schemas[form_key] = _load_schema(form_key)
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
        for path, pk in _document_values(schema, data):
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
