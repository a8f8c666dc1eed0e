"""The audit trail of an instance in plain Spanish, for officers, requesters and auditors.

"12/11/2026 10:32 — Especialista SIAGIE UGEL 03 Breña verificó los requisitos: cumple".
The acting office is named by role and unit; a person's name is added only for viewers
who hold a position (staff), never for a requester outside the administration. Form
values are summarised through the form's `timeline` hint, never dumped (Ley 29733).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from lxml import etree

from engine.errors import EngineError
from engine.models import AuditAction, AuditEvent, HumanTask, ProcessInstance
from engine.services import element_states as engine_element_states
from engine.xmlsafe import parse_bpmn_xml
from portal.orgs.models import OrgUnit
from portal.orgs.roles import role_name
from portal.schemaforms.loader import load_form
from portal.schemaforms.timeline import timeline_text

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Entry:
    when: datetime
    action: str
    who: str  # office: "Especialista SIAGIE UGEL — UGEL 03 Breña" (empty for the system)
    person: str  # the acting person's name, for staff viewers only
    text: str  # the whole sentence without the date
    element_id: str

    @property
    def when_text(self) -> str:
        return timezone.localtime(self.when).strftime("%d/%m/%Y %H:%M")

    @property
    def line(self) -> str:
        return f"{self.when_text} — {self.text}"


def _form_summary(form_key: str, data: dict) -> str | None:
    if not form_key:
        return None
    try:
        return timeline_text(load_form(form_key), data) or None
    except Exception:  # a broken or removed form must not break the case page
        logger.warning("timeline: form %s could not summarise", form_key, exc_info=True)
        return None


# Events a person did themselves (others, like "task created", only follow from them).
PERSONAL_ACTIONS = {
    AuditAction.START, AuditAction.CLAIM, AuditAction.UNCLAIM, AuditAction.REASSIGN, AuditAction.COMPLETE,
    AuditAction.RETRY, AuditAction.SUSPEND, AuditAction.RESUME, AuditAction.CANCEL,
}


def office_label(role: str, unit_name: str) -> str:
    """"Especialista SIAGIE UGEL (UGEL 03 Breña)"."""
    name = role_name(role) if role else ""
    if name and unit_name:
        return f"{name} ({unit_name})"
    return name or unit_name


def build(instance: ProcessInstance, *, staff: bool, events: list[AuditEvent] | None = None) -> list[Entry]:
    if events is None:
        events = list(AuditEvent.objects.filter(instance=instance).select_related("actor").order_by("created_at", "pk"))
    tasks = {t.task_id: t for t in HumanTask.objects.filter(instance=instance).only(
        "task_id", "title", "form_key", "role", "unit")}
    codes = {e.unit for e in events if e.unit} | {t.unit for t in tasks.values()} | {instance.org_unit}
    units = dict(OrgUnit.objects.filter(code__in=codes).values_list("code", "name"))
    start_role = ""
    entries = []
    names = lru_cache(maxsize=1)(lambda: element_names(instance.definition))
    for event in events:
        task = tasks.get(event.task_id) if event.task_id is not None else None
        title = task.title if task else (names().get(event.element_id) or event.element_id)
        role, unit = event.role, event.unit
        if event.action == AuditAction.START:
            start_role = (event.data.get("data") or {}).get("solicitante_rol", "")
            role, unit = start_role, instance.org_unit
        office = office_label(role, units.get(unit, unit))
        actor = event.actor
        acted = event.action in PERSONAL_ACTIONS
        person = (actor.get_full_name() or actor.get_username()) if (actor and staff and acted) else ""
        who = office or (person if staff else "") or _("El sistema")
        text = _sentence(event, who=who, title=title, task=task, instance=instance, units=units, staff=staff)
        entries.append(Entry(when=event.created_at, action=event.action, who=office, person=person,
                             text=text, element_id=event.element_id))
    return entries


def _sentence(event: AuditEvent, *, who: str, title: str, task: HumanTask | None,
              instance: ProcessInstance, units: dict[str, str], staff: bool) -> str:
    data = event.data or {}
    action = event.action
    if action == AuditAction.START:
        return _("%(who)s inició el trámite «%(name)s».") % {"who": who, "name": instance.definition.name}
    if action == AuditAction.TASK_CREATED:
        return _("Pendiente: «%(title)s», a cargo de %(who)s.") % {"title": title, "who": who}
    if action == AuditAction.CLAIM:
        return _("%(who)s tomó la tarea «%(title)s».") % {"who": who, "title": title}
    if action == AuditAction.UNCLAIM:
        return _("%(who)s liberó la tarea «%(title)s».") % {"who": who, "title": title}
    if action == AuditAction.REASSIGN:
        return _("La tarea «%(title)s» fue reasignada.") % {"title": title}
    if action == AuditAction.COMPLETE:
        summary = _form_summary(task.form_key if task else "", data.get("data") or {})
        if summary:
            return f"{who} {summary}"
        return _("%(who)s completó «%(title)s».") % {"who": who, "title": title}
    if action == AuditAction.ROUTE:
        if data.get("back"):
            return _("La tarea «%(title)s» volvió a %(who)s: %(note)s") % {
                "title": title, "who": who, "note": data.get("note", "")}
        return _("La tarea «%(title)s» pasó a %(who)s. %(note)s") % {
            "title": title, "who": who, "note": data.get("note", "")}
    if action == AuditAction.ESCALATE and data.get("note"):
        return _("La tarea «%(title)s» quedó marcada: %(note)s") % {"title": title, "note": data["note"]}
    if action == AuditAction.TASK_CANCELLED:
        return _("La tarea «%(title)s» se cerró: el trámite siguió por otro camino.") % {"title": title}
    if action == AuditAction.TIMER:
        return _("Venció un plazo del trámite.")
    if action == AuditAction.MESSAGE:
        return _("Se recibió el aviso «%(name)s».") % {"name": data.get("message", "")}
    if action == AuditAction.SERVICE_CALL:
        # A handler may say what it did in words (`resumen`): it names people, so staff only.
        result = data.get("result")
        summary = result.get("resumen") if isinstance(result, dict) else None
        if staff and isinstance(summary, str) and summary.strip():
            return _("El sistema ejecutó «%(step)s»: %(summary)s.") % {"step": title, "summary": summary.strip()}
        return _("El sistema ejecutó «%(step)s».") % {"step": title}
    if action == AuditAction.INCIDENT:
        return _("Se produjo una incidencia; el equipo de soporte fue alertado.")
    if action == AuditAction.RETRY:
        return _("Un administrador reintentó el paso que había fallado. Motivo: %(reason)s") % {
            "reason": data.get("reason") or _("(sin motivo)")}
    if action == AuditAction.SUSPEND:
        return _("Un administrador suspendió el trámite. Motivo: %(reason)s") % {"reason": data.get("reason", "")}
    if action == AuditAction.RESUME:
        return _("Un administrador reanudó el trámite. Motivo: %(reason)s") % {"reason": data.get("reason", "")}
    if action == AuditAction.CANCEL:
        return _("El trámite fue cancelado. Motivo: %(reason)s") % {"reason": data.get("reason", "")}
    if action == AuditAction.END:
        return _("El trámite terminó.")
    return str(AuditAction(action).label) if action in AuditAction.values else action


def element_states(instance: ProcessInstance) -> dict[str, list[str]]:
    """BPMN element ids to mark on the diagram: completed and active."""
    return engine_element_states(instance=instance)


def current_steps(instance: ProcessInstance, *, staff: bool) -> list[dict[str, Any]]:
    """Open tasks: title, office, who holds it (if claimed; names for staff only), due date."""
    rows = HumanTask.objects.filter(instance=instance, state="open").select_related("claimed_by").order_by("pk")
    units = dict(OrgUnit.objects.filter(code__in={r.unit for r in rows}).values_list("code", "name"))
    return [{"task": r, "title": r.title, "office": office_label(r.role, units.get(r.unit, r.unit)),
             "holder": (r.claimed_by.get_full_name() or r.claimed_by.get_username())
             if (r.claimed_by and staff) else "",
             "due_at": r.due_at} for r in rows]


GENERIC_ELEMENT_NAMES = {
    "startEvent": gettext_lazy("inicio"),
    "endEvent": gettext_lazy("fin"),
    "exclusiveGateway": gettext_lazy("decisión"),
    "inclusiveGateway": gettext_lazy("decisión"),
    "parallelGateway": gettext_lazy("bifurcación"),
    "eventBasedGateway": gettext_lazy("espera de eventos"),
    "intermediateCatchEvent": gettext_lazy("espera"),
    "boundaryEvent": gettext_lazy("evento de borde"),
}


def diagram_info(xml: str) -> tuple[bool, dict[str, str]]:
    """(whether the BPMN has diagram interchange to draw, element id → readable name)."""
    try:
        root = parse_bpmn_xml(xml or "", max_bytes=max(len((xml or "").encode()), 1))
    except EngineError:
        return False, {}
    has_di = False
    names: dict[str, str] = {}
    for node in root.iter():
        if not isinstance(node.tag, str):
            continue
        local = etree.QName(node).localname
        if local == "BPMNShape":
            has_di = True
            continue
        ident = node.get("id")
        if ident:
            name = " ".join((node.get("name") or "").split())
            names[ident] = name or str(GENERIC_ELEMENT_NAMES.get(local, ident))
    return has_di, names


@lru_cache(maxsize=256)
def _names_of_definition(definition_pk: int, xml: str) -> dict[str, str]:
    return diagram_info(xml)[1]


def element_names(definition) -> dict[str, str]:
    """Element id → readable name for a deployed definition (its XML never changes)."""
    return _names_of_definition(definition.pk, definition.xml)
