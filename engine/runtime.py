"""Running SpiffWorkflow inside a step: the step context, the script engine and the
bridge to service-task handlers, loading a workflow from its stored state, and running
the engine until it waits.

Nothing here opens a transaction or writes a row: `engine.step` wraps these in the
step's transaction and `engine.persistence` saves what they produced.
"""

from __future__ import annotations

import json
import time
import traceback
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from django.db import DatabaseError
from django.utils import timezone
from django.utils.translation import gettext as _
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.util.task import TaskState

from . import calendar as business_calendar
from .budgets import step_deadline, step_time_limit
from .conf import step_max_seconds
from .errors import ConflictError, EngineError, ServiceTaskError
from .models import AuditAction, AuditEvent, HumanTask, ProcessDefinition, ProcessInstance
from .registry import ServiceContext, registry
from .scripting import EngineScriptEngine
from .serialization import all_tasks, all_workflows, prune_history, restore_workflow, unreachable_tasks
from .specs import LoadedSpec, load_spec
from .timer_cycles import working_days_cycle

PRUNE_KEEP = 12


# --- Script functions every diagram may use -------------------------------------------------


def _working_days(days: int) -> str:
    """ISO date-time `days` Peruvian working days from now (for timeDate timers)."""
    return business_calendar.add_working_days(timezone.now(), int(days)).isoformat()


def _now_iso() -> str:
    return timezone.now().isoformat()


BUILTIN_FUNCTIONS: dict[str, Callable[..., Any]] = {
    "working_days": _working_days,
    "working_days_cycle": working_days_cycle,
    "now_iso": _now_iso,
}


def _script_functions() -> dict[str, Callable[..., Any]]:
    return {**BUILTIN_FUNCTIONS, **registry.script_functions}


# --- Step context ----------------------------------------------------------------------------


@dataclass
class StepContext:
    instance: ProcessInstance
    actor: Any
    loaded: LoadedSpec
    workflow: BpmnWorkflow | None = None
    audit: list[AuditEvent] = field(default_factory=list)
    current_task: Any = None
    completed_by_actor: set[UUID] = field(default_factory=set)
    thrown: list[Any] = field(default_factory=list)
    schedule_timer: bool = False
    # Open human-task rows, when the action already read (and locked) them.
    open_rows: list[HumanTask] | None = None
    completed: bool = False  # the workflow reached its end (set by run_engine)
    # Called before every task the engine runs (set by run_engine: the step's time budget).
    before_task: Callable[[Any], None] | None = None
    keep_incident: bool = False  # an incident that only a retry can settle is still open

    @property
    def wf(self) -> BpmnWorkflow:
        """The loaded workflow; every step loads it before its action runs."""
        assert self.workflow is not None, "the step's workflow is not loaded yet"
        return self.workflow

    def record(self, action: str, *, task: Any = None, element_id: str = "", role: str = "",
               unit: str = "", data: dict[str, Any] | None = None, task_id: Any = None) -> None:
        if task is not None:
            task_id = task.id
            element_id = element_id or (task.task_spec.bpmn_id or task.task_spec.name)
        self.audit.append(
            AuditEvent(
                instance=self.instance,
                definition_id=self.instance.definition_id,
                task_id=task_id,
                element_id=element_id or "",
                actor=self.actor if getattr(self.actor, "pk", None) else None,
                role=role,
                unit=unit,
                action=action,
                data=data or {},
                created_at=timezone.now(),
            )
        )


_current: ContextVar[StepContext | None] = ContextVar("engine_step", default=None)


def _call_service(task: Any, operation: str, params: dict[str, Any]) -> Any:
    ctx = _current.get()
    if ctx is None:
        raise ServiceTaskError(_("Una tarea de servicio se ejecutó fuera de un paso del motor."))
    handler = registry.services.get(operation)
    element_id = task.task_spec.bpmn_id or task.task_spec.name
    if handler is None:
        raise ServiceTaskError(
            _("El operador de servicio '%(operation)s' no está registrado.") % {"operation": operation})
    service_ctx = ServiceContext(
        instance_id=ctx.instance.pk,
        definition_key=ctx.instance.definition.key,
        business_key=ctx.instance.business_key,
        org_unit=ctx.instance.org_unit,
        element_id=element_id,
        data=dict(task.data),
        actor_id=getattr(ctx.actor, "pk", None),
    )
    result = handler(service_ctx, **params)
    ctx.record(
        AuditAction.SERVICE_CALL, task=task,
        data={"operator": operation, "params": params, "result": result},
    )
    return result


SCRIPT_ENGINE = EngineScriptEngine(functions=_script_functions, service_caller=_call_service)


# --- Loading a workflow ----------------------------------------------------------------------


def fetch_xml(key: str, version: int) -> str:
    xml: str = ProcessDefinition.objects.values_list("xml", flat=True).get(key=key, version=version)
    return xml


def loaded_spec(instance: ProcessInstance) -> LoadedSpec:
    return load_spec(instance.definition, instance.callee_versions, fetch_xml)


def new_workflow(loaded: LoadedSpec) -> BpmnWorkflow:
    return BpmnWorkflow(loaded.spec, loaded.subprocess_specs, script_engine=SCRIPT_ENGINE)


def load_workflow(instance: ProcessInstance, loaded: LoadedSpec) -> BpmnWorkflow:
    wf = restore_workflow(
        instance.state, instance.serializer_version, loaded.spec, loaded.subprocess_specs
    )
    wf.script_engine = SCRIPT_ENGINE
    return wf


# --- Running the engine ----------------------------------------------------------------------


class EngineFailure(Exception):
    """Internal: the engine part of a step failed; carries what the incident needs."""

    def __init__(self, exc: BaseException, element_id: str):
        self.exc = exc
        self.element_id = element_id
        self.trace = "".join(traceback.format_exception(exc))
        super().__init__(str(exc))


def _element_of(exc: BaseException, ctx: StepContext) -> str:
    task = getattr(exc, "task", None)
    if task is None and ctx.current_task is not None:
        task = ctx.current_task
    if task is None:
        return ""
    return str(task.task_spec.bpmn_id or task.task_spec.name)


def failure_message(exc: BaseException) -> str:
    """The message an incident shows for a failure (the library's wrapper plus its cause)."""
    if isinstance(exc, WorkflowTaskException):
        inner = getattr(exc, "exception", None)
        base = str(exc.args[0]) if exc.args else str(exc)
        if inner is not None and str(inner) and str(inner) not in base:
            return f"{base} ({inner})"
        return base
    return str(exc) or exc.__class__.__name__


def _names(tasks: Any) -> str:
    return ", ".join(sorted({t.task_spec.bpmn_id or t.task_spec.name for t in tasks}))


# Automatic work the engine may still find after a pass of do_engine_steps: a loop of
# scripts and gateways runs until the library's iterator stops seeing its tasks (depth
# 1000), so the step prunes and runs another pass.
_LIVE = TaskState.READY | TaskState.WAITING | TaskState.STARTED


def _ready_automatic(wf: BpmnWorkflow) -> set[UUID]:
    return {t.id for t in all_tasks(wf) if t.state == TaskState.READY and not t.task_spec.manual}


def _refuse_unreachable(wf: BpmnWorkflow, stuck: list[Any]) -> None:
    if stuck:
        raise EngineError(
            _("El flujo tiene tareas pendientes que el motor ya no alcanza (árbol de tareas "
              "con más de 1000 niveles): %(names)s. No se marca como completado.")
            % {"names": _names(stuck)}
        )


# Tasks run in one pass before the step prunes: the library walks the whole tree for every
# task it runs, so a long loop costs the square of its length unless pruned as it goes.
PASS_TASKS = 200


class _Pause(Exception):
    """Internal: raised before a task runs to end a pass (the task stays READY)."""


def _run_passes(ctx: StepContext, before_task: Callable[[Any], None]) -> None:
    """do_engine_steps until no automatic task is READY, pruning history between passes."""
    wf = ctx.wf
    previous: set[UUID] | None = None
    ran = 0

    def counted(task: Any) -> None:
        nonlocal ran
        before_task(task)
        ran += 1
        if ran > PASS_TASKS:
            raise _Pause

    while True:
        ran = 0
        try:
            wf.do_engine_steps(will_complete_task=counted)
        except _Pause:
            prune_history(wf, keep=PRUNE_KEEP)
            continue
        prune_history(wf, keep=PRUNE_KEEP)
        ready = _ready_automatic(wf)
        if not ready:
            return
        if ready == previous:
            # Another pass would run nothing new: the library no longer reaches them.
            _refuse_unreachable(wf, unreachable_tasks(wf))
            raise EngineError(
                _("El motor no puede avanzar las tareas automáticas listas: %(names)s.")
                % {"names": _names(t for t in all_tasks(wf) if t.id in ready)})
        previous = ready


def engine_steps(ctx: StepContext) -> None:
    """Run automatic work until the workflow waits, within the step's budget and pruning
    as it goes. For an `act` passed to run_engine (in place of wf.do_engine_steps())."""
    _run_passes(ctx, ctx.before_task or (lambda task: setattr(ctx, "current_task", task)))


def run_engine(ctx: StepContext, act: Callable[[], None] | None = None) -> None:
    """Run `act` and then the engine until it waits. Any failure becomes EngineFailure.

    The engine part of the step has a time budget (STEP_MAX_SECONDS), checked before every
    task the engine runs and, through `step_deadline`, inside every script. After it, an
    unfinished workflow must have something that can move it (a READY or WAITING task, a
    started one): otherwise the step fails instead of leaving the instance waiting for ever.
    """
    wf = ctx.wf
    limit = step_max_seconds()
    deadline = time.monotonic() + limit

    def before_task(task: Any) -> None:
        ctx.current_task = task
        if time.monotonic() > deadline:
            raise EngineError(
                _("El paso superó %(limit)s; se detuvo antes de «%(element)s».")
                % {"limit": step_time_limit(limit),
                   "element": task.task_spec.bpmn_name or task.task_spec.bpmn_id or task.task_spec.name})

    ctx.before_task = before_task
    token = _current.set(ctx)
    deadline_token = step_deadline.set(deadline)
    try:
        if act is not None:
            act()
        _run_passes(ctx, before_task)
        ctx.current_task = None
        # A tree holding fewer than 1000 tasks cannot be 1000 levels deep.
        _refuse_unreachable(
            wf, unreachable_tasks(wf) if sum(len(w.tasks) for w in all_workflows(wf)) >= 1000 else [])
        ctx.completed = bool(wf.is_completed())
        if ctx.completed:
            pending = [t for t in all_tasks(wf) if t.has_state(TaskState.READY | TaskState.WAITING)]
            if pending:
                raise EngineError(
                    _("El flujo parece terminado pero quedan tareas pendientes: %(names)s.")
                    % {"names": _names(pending)}
                )
        elif not any(t.has_state(_LIVE) for t in all_tasks(wf)):
            raise EngineError(
                _("El flujo quedó detenido sin tareas, temporizadores ni mensajes pendientes: "
                  "nada podría moverlo. No se guarda así."))
        ctx.thrown.extend(wf.get_events())
    except (DatabaseError, ConflictError):
        raise
    except Exception as exc:  # noqa: BLE001 - every engine failure becomes an incident
        raise EngineFailure(exc, _element_of(exc, ctx)) from exc
    finally:
        step_deadline.reset(deadline_token)
        _current.reset(token)


def json_safe(data: dict[str, Any], what: str) -> dict[str, Any]:
    """Validate that caller-supplied data is a JSON object with string keys."""
    if not isinstance(data, dict):
        raise EngineError(_("%(what)s: se esperaba un objeto JSON.") % {"what": what})
    try:
        safe: dict[str, Any] = json.loads(json.dumps(data, allow_nan=False))
    except (TypeError, ValueError) as exc:
        raise EngineError(
            _("%(what)s: los datos no son JSON válido (%(error)s).") % {"what": what, "error": exc}
        ) from exc
    return safe
