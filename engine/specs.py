"""Parsing, validating and caching BPMN specs.

A definition's parsed spec is cached per (definition id, pinned callee versions), so
SpiffWorkflow parses each version once per process; specs are shared by every workflow
built from them and are never written into an instance's stored state.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _
from lxml import etree
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.events.start_event import StartEvent
from SpiffWorkflow.bpmn.specs.mixins.script_task import ScriptTask
from SpiffWorkflow.bpmn.specs.mixins.service_task import ServiceTask
from SpiffWorkflow.bpmn.specs.mixins.subworkflow_task import CallActivity
from SpiffWorkflow.bpmn.specs.mixins.user_task import UserTask
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.spiff.parser.process import VALIDATOR, SpiffBpmnParser

from .errors import DeploymentError, ScriptError
from .scripting import _compile
from .timer_cycles import use_working_day_cycles
from .xmlsafe import parse_bpmn_xml

# form key -> None when the form is usable, else the reason (Spanish).
FormCheck = Callable[[str], str | None]


@dataclass(frozen=True)
class UserTaskInfo:
    element_id: str
    title: str
    lane: str | None
    properties: dict[str, str]
    form_key: str


@dataclass
class ParsedFile:
    """Everything deployment needs to know about one BPMN file."""

    root: Any
    parser: SpiffBpmnParser
    process_ids: list[str]
    names: dict[str, str]
    external_callees: set[str] = field(default_factory=set)


def user_task_info(task_spec: Any) -> UserTaskInfo:
    extensions = getattr(task_spec, "extensions", {}) or {}
    properties = dict(extensions.get("properties") or {})
    form_key = properties.get("formKey") or extensions.get("formJsonSchemaFilename") or ""
    for suffix in (".schema.json", ".json"):
        if form_key.endswith(suffix):
            form_key = form_key[: -len(suffix)]
    return UserTaskInfo(
        element_id=task_spec.bpmn_id or task_spec.name,
        title=task_spec.bpmn_name or task_spec.bpmn_id or task_spec.name,
        lane=task_spec.lane,
        properties=properties,
        form_key=form_key,
    )


def describe(task_spec: Any) -> str:
    label = task_spec.bpmn_name or ""
    element = task_spec.bpmn_id or task_spec.name
    if label:
        return _("elemento '%(element)s' («%(label)s»)") % {"element": element, "label": label}
    return _("elemento '%(element)s'") % {"element": element}


def parse_file(content: bytes | str, *, source: str = "", max_bytes: int) -> ParsedFile:
    """Safely parse one BPMN file into a SpiffWorkflow parser. Raises DeploymentError."""
    root = parse_bpmn_xml(content, max_bytes=max_bytes)
    if root.tag != "{http://www.omg.org/spec/BPMN/20100524/MODEL}definitions":
        raise DeploymentError([
            _("El archivo no es un diagrama BPMN 2.0: se esperaba el elemento raíz "
              "<bpmn:definitions> y se encontró <%(root)s>.") % {"root": etree.QName(root).localname}
        ])
    parser = SpiffBpmnParser(validator=VALIDATOR)
    try:
        parser.add_bpmn_xml(root, filename=source or None)
    except ValidationException as exc:
        raise DeploymentError([_validation_message(exc)]) from exc
    except (SpiffWorkflowException, etree.LxmlError, ValueError, KeyError) as exc:
        raise DeploymentError([_("El BPMN no se pudo leer: %(error)s") % {"error": exc}]) from exc
    ids = parser.get_process_ids()
    if not ids:
        raise DeploymentError([_("El archivo no contiene ningún proceso ejecutable (isExecutable=\"true\").")])
    names = {}
    for pid in ids:
        proc_parser = parser.get_process_parser(pid)
        names[pid] = proc_parser.get_name() if proc_parser is not None else pid
    local = set(parser.process_parsers)
    external = {c for c in parser.get_process_dependencies() if c and c not in local}
    return ParsedFile(root=root, parser=parser, process_ids=ids, names=names, external_callees=external)


def _validation_message(exc: ValidationException) -> str:
    element = getattr(exc, "id", None) or ""
    name = getattr(exc, "name", None) or ""
    if not element:
        where = _("archivo")
    elif name:
        where = _("elemento '%(element)s' («%(label)s»)") % {"element": element, "label": name}
    else:
        where = _("elemento '%(element)s'") % {"element": element}
    line = getattr(exc, "line_number", None)
    suffix = _(" (línea %(line)s)") % {"line": line} if line else ""
    return f"{where}{suffix}: {exc.args[0] if exc.args else exc}"


def validate_file(
    parsed: ParsedFile,
    *,
    available_callees: Iterable[str],
    services: Iterable[str],
    known_roles: set[str] | None,
    form_exists: FormCheck | None,
    per_nivel_roles: set[str] | None = None,
) -> list[str]:
    """Check what SpiffWorkflow cannot: forms, service operators, roles, scripts.

    Returns one message per problem, each naming the element id.
    """
    problems: list[str] = []
    services = set(services)
    missing_callees = parsed.external_callees - set(available_callees)
    named_callees: set[str] = set()  # missing callees reported on their call activity
    seen: set[int] = set()
    for pid in parsed.process_ids:
        try:
            spec = parsed.parser.get_spec(pid)
            subprocess_specs = parsed.parser.get_subprocess_specs(
                pid, require_call_activity_specs=False
            )
        except ValidationException as exc:
            problems.append(_validation_message(exc))
            continue
        except SpiffWorkflowException as exc:
            problems.append(_("proceso '%(process)s': %(error)s") % {"process": pid, "error": exc})
            continue
        for wf_spec in [spec, *[s for s in subprocess_specs.values() if s is not None]]:
            if id(wf_spec) in seen:
                continue
            seen.add(id(wf_spec))
            for task_spec in wf_spec.task_specs.values():
                problems.extend(
                    _check_task_spec(task_spec, services, known_roles, form_exists, per_nivel_roles)
                )
                callee = getattr(task_spec, "spec", None)
                if isinstance(task_spec, CallActivity) and callee in missing_callees:
                    named_callees.add(callee)
                    problems.append(
                        _("%(where)s: la actividad de llamada invoca el proceso '%(callee)s', "
                          "que no está desplegado.") % {"where": describe(task_spec), "callee": callee}
                    )
    for callee in sorted(missing_callees - named_callees):
        problems.append(
            _("Una actividad de llamada invoca el proceso '%(callee)s', que no está desplegado.")
            % {"callee": callee}
        )
    return problems


def _check_task_spec(task_spec: Any, services: set[str], known_roles: set[str] | None,
                     form_exists: FormCheck | None, per_nivel_roles: set[str] | None = None) -> list[str]:
    problems: list[str] = []
    where = describe(task_spec)
    if isinstance(task_spec, UserTask):
        info = user_task_info(task_spec)
        role = info.properties.get("role") or info.lane
        if not role:
            problems.append(
                _("%(where)s: la tarea de usuario no tiene rol (ponla en un carril o usa la "
                  "propiedad 'role').") % {"where": where}
            )
        elif known_roles is not None and role not in known_roles:
            problems.append(
                _("%(where)s: el rol '%(role)s' no existe en el catálogo de roles.") % {"where": where, "role": role})
        nivel = [name for name in ("nivel", "nivelFrom") if info.properties.get(name)]
        if nivel and per_nivel_roles is not None and role and not info.properties.get("roleFrom") \
                and role not in per_nivel_roles:
            problems.append(_("%(where)s: '%(property)s' solo vale para un rol que se ejerce por nivel educativo; "
                              "'%(role)s' no lo es.") % {"where": where, "property": nivel[0], "role": role})
        if info.properties.get("fourEyes", "true").strip().lower() not in ("true", "false"):
            problems.append(_("%(where)s: 'fourEyes' es \"true\" o \"false\".") % {"where": where})
        form_problem = form_exists(info.form_key) if info.form_key and form_exists is not None else None
        if form_problem:
            problems.append(f"{where}: {form_problem}")
        due = info.properties.get("dueIn")
        if due:
            try:
                if not TimerEventDefinition.parse_iso_duration(due):
                    raise ValueError("empty duration")
            except Exception:
                problems.append(_("%(where)s: 'dueIn' debe ser una duración ISO 8601 (p. ej. P3D): %(value)s.")
                                % {"where": where, "value": repr(due)})
        working = (info.properties.get("dueInWorkingDays") or "").strip()
        if working.isdigit():
            if not 0 < int(working) <= 365:
                problems.append(_("%(where)s: 'dueInWorkingDays' debe ser un entero entre 1 y 365: %(value)s.")
                                % {"where": where, "value": repr(working)})
        elif working:
            problems.extend(_check_expression(where, "'dueInWorkingDays'", working))
    if isinstance(task_spec, ServiceTask):
        operator = getattr(task_spec, "operation_name", None)
        if not operator:
            problems.append(_("%(where)s: la tarea de servicio no indica su operador.") % {"where": where})
        elif operator not in services:
            problems.append(_("%(where)s: el operador de servicio '%(operator)s' no está registrado.")
                            % {"where": where, "operator": operator})
        for name, param in (getattr(task_spec, "operation_params", None) or {}).items():
            what = _("parámetro '%(name)s'") % {"name": name}
            problems.extend(_check_expression(where, what, param.get("value", "")))
    if isinstance(task_spec, ScriptTask):
        try:
            _compile(task_spec.script or "", "exec")
        except ScriptError as exc:
            problems.append(f"{where}: {exc}")
    for condition, _target in getattr(task_spec, "cond_task_specs", None) or []:
        # SpiffWorkflow wraps each condition in an operator whose first arg is the text.
        text = condition.args[0] if hasattr(condition, "args") and condition.args else condition
        if isinstance(text, str):
            problems.extend(_check_expression(where, _("condición"), text))
    event_definition = getattr(task_spec, "event_definition", None)
    if isinstance(event_definition, TimerEventDefinition):
        problems.extend(_check_expression(where, _("temporizador"), event_definition.expression or ""))
    if isinstance(task_spec, CallActivity) and not getattr(task_spec, "spec", None):
        problems.append(_("%(where)s: la actividad de llamada no indica el proceso a invocar.") % {"where": where})
    return problems


def _check_expression(where: str, what: str, expression: str) -> list[str]:
    if not expression or not expression.strip():
        return [_("%(where)s: %(what)s vacío.") % {"where": where, "what": what}]
    try:
        _compile(expression.strip(), "eval")
    except ScriptError as exc:
        return [f"{where}: {what}: {exc}"]
    except SyntaxError as exc:
        return [_("%(where)s: %(what)s con error de sintaxis: %(error)s")
                % {"where": where, "what": what, "error": exc}]
    return []


def message_start_names(parsed: ParsedFile, process_id: str) -> list[str]:
    spec = parsed.parser.get_spec(process_id)
    names = set()
    for task_spec in spec.task_specs.values():
        event_definition = getattr(task_spec, "event_definition", None)
        if isinstance(task_spec, StartEvent) and isinstance(event_definition, MessageEventDefinition):
            names.add(event_definition.name)
    return sorted(names)


BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
SPIFF_NS = "http://spiffworkflow.org/bpmn/schema/1.0/core"


@dataclass(frozen=True)
class StartInfo:
    """Who may start a process by hand and with which form.

    Roles come from the start event's `starterRoles` property (comma-separated) or else
    the lane holding the plain start event; the form from its `formKey` property.
    Processes started only by messages have no roles here.
    """

    roles: list[str]
    form_key: str


def start_info(parsed: ParsedFile, process_id: str) -> StartInfo:
    ns = {"bpmn": BPMN_NS, "spiffworkflow": SPIFF_NS}
    process = parsed.root.find(f"bpmn:process[@id='{process_id}']", ns) if "'" not in process_id else None
    if process is None:
        return StartInfo(roles=[], form_key="")
    roles: list[str] = []
    form_key = ""
    for event in process.findall("bpmn:startEvent", ns):
        if any(etree.QName(child).localname.endswith("EventDefinition") for child in event):
            continue
        props = {
            prop.get("name"): prop.get("value") or ""
            for prop in event.findall("bpmn:extensionElements/spiffworkflow:properties/spiffworkflow:property", ns)
        }
        form_key = form_key or props.get("formKey", "")
        explicit = [r.strip() for r in props.get("starterRoles", "").split(",") if r.strip()]
        if explicit:
            roles.extend(explicit)
            continue
        for lane in process.iterfind(".//bpmn:lane", ns):
            refs = {(ref.text or "").strip() for ref in lane.findall("bpmn:flowNodeRef", ns)}
            if event.get("id") in refs and lane.get("name"):
                roles.append(lane.get("name").strip())
    for suffix in (".schema.json", ".json"):
        if form_key.endswith(suffix):
            form_key = form_key[: -len(suffix)]
    return StartInfo(roles=sorted(set(roles)), form_key=form_key)


def validate_start(parsed: ParsedFile, *, known_roles: set[str] | None,
                   form_exists: FormCheck | None) -> list[str]:
    problems: list[str] = []
    for pid in parsed.process_ids:
        info = start_info(parsed, pid)
        for role in info.roles:
            if known_roles is not None and role not in known_roles:
                problems.append(
                    _("proceso '%(process)s', evento de inicio: el rol '%(role)s' no existe en el catálogo de "
                      "roles.") % {"process": pid, "role": role})
        form_problem = form_exists(info.form_key) if info.form_key and form_exists is not None else None
        if form_problem:
            problems.append(_("proceso '%(process)s', evento de inicio: %(problem)s")
                            % {"process": pid, "problem": form_problem})
    return problems


# --- Runtime cache ---------------------------------------------------------------------


@dataclass(frozen=True)
class LoadedSpec:
    spec: Any
    subprocess_specs: dict[str, Any]
    user_tasks: dict[str, UserTaskInfo]


_cache: dict[tuple[int, str, tuple[tuple[str, int], ...]], LoadedSpec] = {}
_cache_lock = threading.Lock()


def load_spec(definition: Any, callee_versions: dict[str, int], fetch_xml: Any) -> LoadedSpec:
    """Parsed spec for a definition with its callees pinned to the given versions.

    `fetch_xml(key, version)` returns the XML of another deployed definition; it is only
    called on a cache miss.
    """
    cache_key = (definition.pk, definition.sha256, tuple(sorted(callee_versions.items())))
    cached = _cache.get(cache_key)
    if cached is not None:
        return cached
    parser = SpiffBpmnParser()
    parser.add_bpmn_xml(parse_bpmn_xml(definition.xml, max_bytes=len(definition.xml.encode()) + 1))
    for key, version in sorted(callee_versions.items()):
        if key in parser.process_parsers:
            continue  # defined in a file already added
        xml = fetch_xml(key, version)
        parser.add_bpmn_xml(parse_bpmn_xml(xml, max_bytes=len(xml.encode()) + 1))
    spec = parser.get_spec(definition.key)
    subprocess_specs = parser.get_subprocess_specs(definition.key)
    user_tasks: dict[str, UserTaskInfo] = {}
    for wf_spec in [spec, *subprocess_specs.values()]:
        use_working_day_cycles(wf_spec)
        for task_spec in wf_spec.task_specs.values():
            if isinstance(task_spec, UserTask):
                user_tasks[task_spec.name] = user_task_info(task_spec)
    loaded = LoadedSpec(spec=spec, subprocess_specs=subprocess_specs, user_tasks=user_tasks)
    with _cache_lock:
        _cache[cache_key] = loaded
    return loaded


def clear_cache() -> None:
    with _cache_lock:
        _cache.clear()
