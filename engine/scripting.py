"""The sandbox for BPMN scripts and expressions, and the service-task bridge.

Scripts and expressions (gateway conditions, timer expressions, service parameters) are
compiled with RestrictedPython, which rejects imports, dunder attribute access and the
`exec`/`open` family at compile time; at run time only the whitelisted builtins below and
the functions the product registered are reachable. Task data must stay JSON data.

Every run also has a budget of operations, time and value sizes (`engine.budgets`).
"""

from __future__ import annotations

import ast
import json
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from django.utils.translation import gettext as _
from RestrictedPython.compile import compile_restricted_eval, compile_restricted_exec
from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.script_engine.python_environment import BasePythonScriptEngineEnvironment

from .budgets import Budget, BudgetTransformer, text_estimate, thousands
from .conf import script_limits
from .errors import BudgetExceeded, ConflictError, ScriptError, ServiceTaskError


@lru_cache(maxsize=2048)
def _compile(source: str, mode: str) -> Any:
    compiler = compile_restricted_eval if mode == "eval" else compile_restricted_exec
    result = compiler(source, policy=BudgetTransformer)
    if result.errors:
        raise ScriptError(
            _("Script rechazado por el entorno seguro: %(errors)s") % {"errors": "; ".join(result.errors)})
    # RestrictedPython compiles `import` (it only fails at run time, as there is no
    # __import__): refuse it here so a diagram that imports cannot be deployed.
    if mode != "eval" and any(isinstance(node, ast.Import | ast.ImportFrom)
                              for node in ast.walk(ast.parse(source))):
        raise ScriptError(_("Script rechazado por el entorno seguro: no se permite 'import'."))
    return result.code


def _json_length(value: Any, cap: int | None) -> int:
    """The length of `value`'s JSON (as `json.dumps` writes it). Usual data is measured
    by the C encoder; data whose estimate is over the cap (possibly a few small
    containers shared many times over, which print as billions of items) is measured
    without being written: each distinct container once, its length remembered."""
    if cap is None or text_estimate(value, cap) <= cap:
        return len(json.dumps(value, allow_nan=False))
    try:
        return _json_size(value, {})
    except RecursionError:
        raise ValueError("nested too deeply") from None


def _json_size(value: Any, memo: dict[int, int]) -> int:
    if isinstance(value, str):
        if len(value) < 64:
            return len(json.dumps(value))
        if id(value) not in memo:
            memo[id(value)] = len(json.dumps(value))
        return memo[id(value)]
    if value is None or value is True:
        return 4
    if value is False:
        return 5
    if isinstance(value, int | float):
        return len(json.dumps(value, allow_nan=False))
    if not isinstance(value, list | tuple | dict):
        raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")
    key = id(value)
    if key in memo:
        if memo[key] < 0:
            raise ValueError("Circular reference detected")
        return memo[key]
    memo[key] = -1
    size = 2 + 2 * max(len(value) - 1, 0)  # brackets and ", " separators
    if isinstance(value, dict):
        for name, item in value.items():
            if not isinstance(name, str):
                if name is not None and not isinstance(name, int | float):  # bool is an int
                    raise TypeError(f"keys must be str, int, float, bool or None, not {type(name).__name__}")
                name = json.dumps(name, allow_nan=False).strip('"')
            size += _json_size(name, memo) + 2 + _json_size(item, memo)  # ": "
    else:
        size += sum(_json_size(item, memo) for item in value)
    memo[key] = size
    return size


def check_json_data(data: dict[str, Any], where: str, max_bytes: int | None = None) -> None:
    """Refuse task data that is not plain JSON (it could not be stored or audited), or
    whose JSON is larger than `max_bytes` altogether."""
    total = 0
    for key, value in data.items():
        try:
            total += _json_length(value, None if max_bytes is None else max_bytes - total)
        except (TypeError, ValueError) as exc:
            raise ScriptError(
                _("%(where)s: la variable '%(key)s' no es un dato JSON (%(type)s).")
                % {"where": where, "key": key, "type": type(value).__name__}
            ) from exc
        if max_bytes is not None and total > max_bytes:
            raise BudgetExceeded(
                _("el límite de %(n)s bytes de datos de la tarea (SCRIPT_MAX_VALUE_BYTES)")
                % {"n": thousands(max_bytes)})


class RestrictedEnvironment(BasePythonScriptEngineEnvironment):  # type: ignore[misc]  # SpiffWorkflow has no type information
    """Task-data environment whose code runs under RestrictedPython, each run with its
    own budget."""

    def __init__(self, functions: Callable[[], dict[str, Callable[..., Any]]]):
        super().__init__({})
        self._functions = functions

    def _globals(self, context: dict[str, Any], external: dict[str, Any] | None,
                 budget: Budget) -> dict[str, Any]:
        env: dict[str, Any] = budget.guards()
        env.update(self._functions())
        env.update(external or {})
        env.update(context)
        return env

    def evaluate(self, expression: str, context: dict[str, Any],
                 external_context: dict[str, Any] | None = None) -> Any:
        code = _compile(expression.strip(), "eval")
        budget = Budget(script_limits())
        try:
            result = eval(code, self._globals(context, external_context, budget))  # noqa: S307 - restricted code
        except Exception:
            budget.settle()  # an overrun the expression swallowed is the failure to report
            raise
        budget.settle()
        return budget.check_size(result)

    def execute(self, script: str, context: dict[str, Any],
                external_context: dict[str, Any] | None = None) -> bool:
        functions = self._functions()
        clashes = (set(functions) | set(external_context or {})) & set(context)
        if clashes:
            raise ScriptError(
                _("Los datos de la tarea ocultan funciones del motor: %(names)s")
                % {"names": ", ".join(sorted(clashes))}
            )
        code = _compile(script, "exec")
        limits = script_limits()
        budget = Budget(limits)
        env = self._globals(context, external_context, budget)
        reserved = set(env) - set(context)
        try:
            exec(code, env)  # noqa: S102 - restricted code
        except Exception:
            budget.settle()  # an overrun the script swallowed is the failure to report
            raise
        budget.settle()
        for key, value in env.items():
            if key in reserved or key.startswith("_") or callable(value):
                continue
            context[key] = value
        for key in [k for k in context if k not in env]:
            del context[key]
        check_json_data(context, "Script", max_bytes=limits.value_bytes)
        return True


def _label(task: Any) -> str:
    spec = task.task_spec
    return str(spec.bpmn_name or spec.bpmn_id or spec.name)


def _budget_failure(exc: WorkflowTaskException | BudgetExceeded, task: Any,
                    text: str) -> WorkflowTaskException | None:
    """The incident-ready error for a budget overrun inside a script or expression, or
    None when `exc` is another failure."""
    # The library wraps the script's error without keeping it, except as the context of
    # the exception it raises.
    inner = exc if isinstance(exc, BudgetExceeded) else exc.__cause__ or exc.__context__
    if not isinstance(inner, BudgetExceeded):
        return None
    return WorkflowTaskException(text % {"element": _label(task), "limit": inner.limit}, task=task)


class EngineScriptEngine(PythonScriptEngine):  # type: ignore[misc]  # SpiffWorkflow has no type information
    """Script engine with the sandbox above and service calls through the registry.

    `call_service` is overridden because the library's own error path raises NameError;
    here a missing operator or a failing handler becomes a WorkflowTaskException that
    names the task, which the engine records as an incident.
    """

    def __init__(self, *, functions: Callable[[], dict[str, Callable[..., Any]]],
                 service_caller: Callable[..., Any]):
        super().__init__(environment=RestrictedEnvironment(functions))
        self._service_caller = service_caller

    def validate(self, expression: str) -> None:
        _compile(expression.strip(), "eval")

    def evaluate(self, task: Any, expression: str, external_context: dict[str, Any] | None = None) -> Any:
        try:
            return super().evaluate(task, expression, external_context)
        except (WorkflowTaskException, BudgetExceeded) as exc:
            failure = _budget_failure(exc, task, _("La expresión de «%(element)s» superó %(limit)s."))
            if failure is None:
                raise
            raise failure from exc

    def execute(self, task: Any, script: str, external_context: dict[str, Any] | None = None) -> bool:
        try:
            return bool(super().execute(task, script, external_context))
        except (WorkflowTaskException, BudgetExceeded) as exc:
            failure = _budget_failure(exc, task, _("El script de «%(element)s» superó %(limit)s."))
            if failure is None:
                raise
            raise failure from exc

    def call_service(self, task: Any, operation_name: str | None = None,
                     operation_params: dict[str, Any] | None = None, **kwargs: Any) -> str:
        params = {name: spec["value"] for name, spec in (operation_params or {}).items()}
        try:
            result = self._service_caller(task, operation_name, params)
            return json.dumps(result, allow_nan=False)
        except (WorkflowTaskException, ConflictError):
            # A ConflictError is a refusal the person acting must see (the world changed
            # under them): the step rolls back with no incident.
            raise
        except Exception as exc:
            raise WorkflowTaskException(
                _("El servicio '%(operator)s' falló: %(error)s") % {"operator": operation_name, "error": exc},
                task=task, exception=exc
            ) from exc


__all__ = ["BudgetExceeded", "EngineScriptEngine", "ScriptError", "ServiceTaskError", "check_json_data"]
