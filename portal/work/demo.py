"""The work part of the demo (`manage.py seed_demo`): one instance of each deployed
process that a demo officer may start, so the inboxes are not empty.

The account procedures (alta_*, baja_*) are left to `portal.accounts.demo`, which files
realistic requests with documents. Idempotent: a process a demo officer already started
is not started again.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db import transaction

from engine.errors import EngineError
from engine.models import ProcessInstance
from portal.orgs.demo import DEMO_EMAIL_DOMAIN, USERS
from portal.schemaforms.loader import FormError, load_form
from portal.shared.errors import FormInvalid, NotAllowed, NotVisible

from . import access, services

if TYPE_CHECKING:
    from portal.core.demo import DemoRun


def _sample_value(name: str, node: dict[str, Any], dni: str) -> Any:
    """A plausible value for one form field from its schema, or None when unsure."""
    for key in ("default", "const"):
        if key in node:
            return node[key]
    if node.get("examples"):
        return node["examples"][0]
    if node.get("enum"):
        return node["enum"][0]
    if node.get("oneOf") and isinstance(node["oneOf"][0], dict) and "const" in node["oneOf"][0]:
        return node["oneOf"][0]["const"]
    kind, fmt = node.get("type"), node.get("format")
    if kind == "boolean":
        return False
    if kind in ("integer", "number"):
        return node.get("minimum", 1)
    if kind != "string" or "pattern" in node:
        return None
    if fmt == "dni" or name in ("dni", "numero_documento"):
        return dni
    if fmt == "email":
        return f"demo@{DEMO_EMAIL_DOMAIN}"
    if fmt == "date":
        return "2026-03-02"
    if fmt:
        return None
    return "Demostración"


def _sample_data(schema: dict[str, Any], dni: str) -> dict[str, Any] | None:
    data = {}
    for name, node in (schema.get("properties") or {}).items():
        value = _sample_value(name, node if isinstance(node, dict) else {}, dni)
        if value is None:
            if name in schema.get("required", ()):
                return None
            continue
        data[name] = value
    return data


def seed(run: DemoRun) -> None:
    """Start one instance of each deployed process that a demo officer may start, so the
    inboxes are not empty. Processes whose start form the sample values do not satisfy
    are skipped; a process a demo user already started is not started again."""
    if not run.start_instances:
        return
    users, report = run.users, run.report
    definitions = list(access.latest_definitions().defer("xml"))
    if not definitions:
        return
    by_role = {spec.role: users[spec.username] for spec in reversed(USERS)}  # first listed wins
    dni_of = {spec.username: spec.dni for spec in USERS}
    for definition in definitions:
        if definition.key.startswith(("alta_", "baja_")):
            continue  # account procedures get realistic requests with documents (accounts.demo)
        starter = next((by_role[r] for r in definition.start_roles if r in by_role), None)
        if starter is None or ProcessInstance.objects.filter(
                definition__key=definition.key, started_by=starter).exists():
            continue
        data: dict[str, Any] | None = {}
        if definition.start_form_key:
            try:
                schema = load_form(definition.start_form_key).schema
            except FormError:
                continue
            data = _sample_data(schema, dni_of[starter.username])
        if data is None:
            continue
        try:
            with transaction.atomic():
                services.process_start(user=starter, key=definition.key, data=data)
        except (FormInvalid, NotAllowed, NotVisible, EngineError, FormError):
            continue  # a demo nicety: a refused start (and its incident) is rolled back and skipped
        report.instances_started.append(f"{definition.key} ({starter.username})")
