"""Deployment: a BPMN file, validated against the registries, becomes a new
ProcessDefinition version of each process whose content changed."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from .conf import engine_settings, max_bpmn_bytes
from .errors import DeploymentError, NotFoundError
from .loops import loop_warnings
from .models import AuditAction, AuditEvent, ProcessDefinition
from .registry import DirectoryFormCatalogue, registry
from .specs import (
    FormCheck,
    ParsedFile,
    message_start_names,
    parse_file,
    start_info,
    validate_file,
    validate_start,
)


@dataclass(frozen=True)
class DeployResult:
    key: str
    version: int
    created: bool
    definition: ProcessDefinition
    # Problems that do not stop the deployment (Spanish, each naming its element), e.g. a
    # loop that no person, timer or message interrupts.
    warnings: tuple[str, ...] = ()


def _missing_form(key: str) -> str:
    return _("el formulario '%(key)s' no existe en forms/.") % {"key": key}


def _form_exists() -> FormCheck | None:
    """The form check for deployments: the registered catalogue, else the FORMS_DIR
    setting, else None (forms are not checked)."""
    catalogue = registry.forms
    if catalogue is not None:
        def check(key: str) -> str | None:
            if catalogue.exists(key):
                return None
            problem = getattr(catalogue, "problem", None)
            detail: str | None = problem(key) if problem is not None else None
            return detail or _missing_form(key)
        return check
    forms_dir = engine_settings().get("FORMS_DIR")
    if forms_dir is None:
        return None
    directory = DirectoryFormCatalogue(forms_dir)
    return lambda key: None if directory.exists(key) else _missing_form(key)


def deploy(*, content: bytes | str, source: str = "", deployed_by: Any = None) -> list[DeployResult]:
    """Validate and deploy one BPMN file. Raises DeploymentError listing every problem."""
    parsed = parse_file(content, source=source, max_bytes=max_bpmn_bytes())
    return _deploy_parsed(parsed, content, source=source, deployed_by=deployed_by,
                          available=_deployed_keys())


def deploy_directory(*, directory: Path | str, deployed_by: Any = None) -> list[DeployResult]:
    """Deploy every *.bpmn below a directory, all or nothing. A call activity may call a
    process from another file of the same batch."""
    files: list[tuple[Path, bytes, ParsedFile]] = []
    problems: list[str] = []
    for path in sorted(Path(directory).rglob("*.bpmn")):
        content = path.read_bytes()
        try:
            files.append((path, content, parse_file(content, source=path.name, max_bytes=max_bpmn_bytes())))
        except DeploymentError as exc:
            problems.extend(f"{path.name}: {p}" for p in exc.problems)
    if problems:
        raise DeploymentError(problems)
    available = _deployed_keys() | {pid for _path, _content, parsed in files for pid in parsed.process_ids}
    results: list[DeployResult] = []
    with transaction.atomic():
        for path, content, parsed in files:
            try:
                results.extend(_deploy_parsed(parsed, content, source=path.name,
                                              deployed_by=deployed_by, available=available))
            except DeploymentError as exc:
                problems.extend(f"{path.name}: {p}" for p in exc.problems)
        if problems:
            transaction.set_rollback(True)
    if problems:
        raise DeploymentError(problems)
    return results


def _deployed_keys() -> set[str]:
    return set(ProcessDefinition.objects.values_list("key", flat=True).distinct())


def _deploy_parsed(parsed: ParsedFile, content: bytes | str, *, source: str, deployed_by: Any,
                   available: set[str]) -> list[DeployResult]:
    """Validate a parsed file against the registries and save a version of each process
    whose content changed. `available` are the process keys a call activity may call."""
    problems = validate_file(
        parsed,
        available_callees=available,
        services=registry.services.keys(),
        known_roles=registry.lane_resolver.known_roles(),
        form_exists=_form_exists(),
        per_nivel_roles=registry.lane_resolver.per_nivel_roles(),
    )
    problems += validate_start(
        parsed, known_roles=registry.lane_resolver.known_roles(), form_exists=_form_exists())
    if problems:
        raise DeploymentError(problems)
    text = content.decode("utf-8") if isinstance(content, bytes) else content
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    warnings = loop_warnings(parsed)
    results = []
    with transaction.atomic():
        for pid in parsed.process_ids:
            latest = (
                ProcessDefinition.objects.select_for_update()
                .filter(key=pid).order_by("-version").first()
            )
            if latest is not None and latest.sha256 == digest:
                results.append(DeployResult(pid, latest.version, False, latest,
                                            tuple(warnings.get(pid, ()))))
                continue
            definition = ProcessDefinition.objects.create(
                key=pid,
                version=(latest.version + 1) if latest else 1,
                name=parsed.names.get(pid) or pid,
                xml=text,
                sha256=digest,
                source=source[:300],
                callees=sorted(parsed.external_callees),
                message_starts=message_start_names(parsed, pid),
                start_roles=(start := start_info(parsed, pid)).roles,
                start_form_key=start.form_key,
                deployed_by=deployed_by if getattr(deployed_by, "pk", None) else None,
            )
            AuditEvent.objects.create(
                definition=definition, actor=definition.deployed_by, action=AuditAction.DEPLOY,
                data={"key": pid, "version": definition.version, "sha256": digest,
                      "source": source},
            )
            results.append(DeployResult(pid, definition.version, True, definition,
                                        tuple(warnings.get(pid, ()))))
    return results


def latest_definition(*, key: str) -> ProcessDefinition:
    """The newest deployed version of process `key`; NotFoundError if there is none."""
    definition = ProcessDefinition.objects.filter(key=key).order_by("-version").first()
    if definition is None:
        raise NotFoundError(_("El proceso '%(key)s' no está desplegado.") % {"key": key})
    return definition


def callee_versions(definition: ProcessDefinition) -> dict[str, int]:
    """Pin every process this definition calls (transitively) to its latest version."""
    pinned: dict[str, int] = {}
    pending = list(definition.callees)
    while pending:
        key = pending.pop()
        if key in pinned or key == definition.key:
            continue
        callee = latest_definition(key=key)
        pinned[key] = callee.version
        pending.extend(callee.callees)
    return pinned
