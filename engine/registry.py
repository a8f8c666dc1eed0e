"""Extension points through which the product plugs into the engine.

The engine imports nothing from the portal. The portal fills these registries in its
`AppConfig.ready()`: service-task handlers by operator name, the lane resolver that
turns a user task's lane/properties into a (role, unit) candidate, the form catalogue
used to validate deployments, extra functions that scripts may call, and periodic jobs
the background worker runs on each sweep. The engine's own `AppConfig.ready()` fills one
more: what enqueues an instance's timer wake-up.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from django.utils.translation import gettext as _


@dataclass(frozen=True)
class ServiceContext:
    """What a service-task handler may know about the step it runs in.

    Handlers run inside the step's transaction with the instance row locked; whatever
    they write to the database is rolled back with the step if anything fails later.
    """

    instance_id: int
    definition_key: str
    business_key: str
    org_unit: str
    element_id: str
    data: Mapping[str, Any]
    actor_id: int | None


def data_path(data: Any, path: str) -> Any:
    """The value at a dotted path (`preparacion.unidad`) in task data, or None."""
    value = data
    for part in path.split("."):
        if not isinstance(value, Mapping):
            return None
        value = value.get(part)
    return value


ServiceHandler = Callable[..., Any]
PeriodicJob = Callable[[], object]
# (instance id, when): make sure the instance's due timers fire at that moment.
WakeupScheduler = Callable[[int, datetime], None]


@dataclass(frozen=True)
class Candidate:
    """Who gets a user task: holders of (role, unit), of `nivel` when it is not blank.

    A resolver that sends the task elsewhere than the diagram says (nobody there may work
    it) names the (role, unit) it came from in `home_role`/`home_unit`, why in `routed`
    (models.TaskRouting) and says so to people in `note`; the task is created flagged
    with that note. A `note` alone flags the task where it is."""

    role: str
    unit: str
    nivel: str = ""
    note: str = ""
    home_role: str = ""
    home_unit: str = ""
    routed: str = ""


@dataclass(frozen=True)
class LaneContext:
    """Input to the lane resolver for one READY user task. `barred_user_id`: who may not
    work it (four eyes: the person who started the case), if anyone."""

    lane: str | None
    properties: Mapping[str, str]
    element_id: str
    instance_org_unit: str
    data: Mapping[str, Any]
    barred_user_id: int | None = None


class LaneResolver(Protocol):
    def resolve(self, ctx: LaneContext) -> Candidate: ...

    def known_roles(self) -> set[str] | None:
        """Role codes a diagram may use; None accepts any role."""
        ...

    def per_nivel_roles(self) -> set[str] | None:
        """Roles held per nivel educativo (a task's `nivel`/`nivelFrom` needs one); None
        accepts the properties on any role."""
        ...

    def holds(self, *, role: str, unit: str, nivel: str, user_id: int) -> bool:
        """Does the user hold (role, unit) of that nivel now? The engine asks it, with the
        task row locked, before a task that has a nivel is claimed, completed or given."""
        ...


class DefaultLaneResolver:
    """Role from the task's `role` property or else its lane name; unit from the
    property `unitFrom` (a dotted path in the instance data holding a unit code) or else
    the instance's own unit; nivel from `nivel` or `nivelFrom`. Nothing is routed."""

    def __init__(self, roles: Iterable[str] | None = None):
        self._roles = set(roles) if roles is not None else None

    def resolve(self, ctx: LaneContext) -> Candidate:
        role = ctx.properties.get("role") or ctx.lane or ""
        unit = ctx.instance_org_unit
        unit_key = ctx.properties.get("unitFrom")
        if unit_key:
            value = data_path(ctx.data, unit_key)
            if not isinstance(value, str) or not value:
                raise LookupError(
                    _("La tarea %(element)s toma su unidad del dato '%(path)s', que no existe o está vacío.")
                    % {"element": ctx.element_id, "path": unit_key}
                )
            unit = value
        nivel = ctx.properties.get("nivel") or data_path(ctx.data, ctx.properties.get("nivelFrom") or "-")
        return Candidate(role=role, unit=unit, nivel=nivel if isinstance(nivel, str) else "")

    def known_roles(self) -> set[str] | None:
        return self._roles

    def per_nivel_roles(self) -> set[str] | None:
        return None

    def holds(self, *, role: str, unit: str, nivel: str, user_id: int) -> bool:
        return True  # no org tree: whoever the caller lets work the task


class FormCatalogue(Protocol):
    def exists(self, form_key: str) -> bool: ...


class DirectoryFormCatalogue:
    """Forms are JSON Schema files `<form_key>.schema.json` in a directory."""

    def __init__(self, directory: str | Path):
        self.directory = Path(directory)

    def exists(self, form_key: str) -> bool:
        if not form_key or "/" in form_key or "\\" in form_key or form_key.startswith("."):
            return False
        return (self.directory / f"{form_key}.schema.json").is_file()


@dataclass
class Registry:
    services: dict[str, ServiceHandler] = field(default_factory=dict)
    script_functions: dict[str, Callable[..., Any]] = field(default_factory=dict)
    lane_resolver: LaneResolver = field(default_factory=DefaultLaneResolver)
    forms: FormCatalogue | None = None
    # Called without arguments on every sweep of `run_worker` (after the due timers), each
    # in its own try/except: a job must be idempotent, bounded and cheap when idle.
    periodic: list[PeriodicJob] = field(default_factory=list)
    # Set by EngineConfig.ready() to engine.tasks.schedule_wakeup. A hook rather than an
    # import: that background task fires timers, which run steps, so the step module
    # cannot import it. When unset, the worker's periodic sweep still fires every timer.
    schedule_wakeup: WakeupScheduler | None = None

    def service(self, name: str) -> Callable[[ServiceHandler], ServiceHandler]:
        """Decorator: register a service-task handler under an operator name.

        The handler is called as `handler(ctx: ServiceContext, **params)` with the
        evaluated parameters and must return a JSON-serialisable value.
        """

        def decorate(func: ServiceHandler) -> ServiceHandler:
            self.services[name] = func
            return func

        return decorate

    def register_service(self, name: str, func: ServiceHandler) -> None:
        self.services[name] = func

    def unregister_service(self, name: str) -> None:
        self.services.pop(name, None)

    def script_function(self, name: str, func: Callable[..., Any]) -> None:
        self.script_functions[name] = func

    def register_periodic(self, func: PeriodicJob) -> None:
        """Add a job to the worker's periodic sweep (once, however often it is called)."""
        if func not in self.periodic:
            self.periodic.append(func)


registry = Registry()
