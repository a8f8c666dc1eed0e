"""The sandbox for BPMN scripts and expressions, and the service-task bridge.

Scripts and expressions (gateway conditions, timer expressions, service parameters) are
compiled with RestrictedPython, which rejects imports, dunder attribute access and the
`exec`/`open` family at compile time; at run time only the whitelisted builtins below and
the functions the product registered are reachable. Task data must stay JSON data.
"""

from __future__ import annotations

import ast
import json
import math
import operator
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from django.utils.translation import gettext as _
from RestrictedPython.compile import compile_restricted_eval, compile_restricted_exec
from RestrictedPython.Guards import (
    full_write_guard,
    guarded_iter_unpack_sequence,
    guarded_unpack_sequence,
    safe_builtins,
    safer_getattr,
)
from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.script_engine.python_environment import BasePythonScriptEngineEnvironment

from .errors import ConflictError, ScriptError, ServiceTaskError

_EXTRA_BUILTINS: dict[str, Any] = {
    "list": list,
    "dict": dict,
    "set": set,
    "frozenset": frozenset,
    "min": min,
    "max": max,
    "sum": sum,
    "any": any,
    "all": all,
    "enumerate": enumerate,
    "reversed": reversed,
    "map": map,
    "filter": filter,
    "math": math,
}

_INPLACE: dict[str, Callable[[Any, Any], Any]] = {
    "+=": operator.iadd,
    "-=": operator.isub,
    "*=": operator.imul,
    "/=": operator.itruediv,
    "//=": operator.ifloordiv,
    "%=": operator.imod,
    "**=": operator.ipow,
    "|=": operator.ior,
    "&=": operator.iand,
}


def _inplacevar(op: str, x: Any, y: Any) -> Any:
    try:
        return _INPLACE[op](x, y)
    except KeyError:
        raise ScriptError(_("Operador no permitido en scripts: %(op)s") % {"op": op}) from None


def _getitem(obj: Any, key: Any) -> Any:
    return obj[key]


def _restricted_builtins() -> dict[str, Any]:
    builtins = dict(safe_builtins)
    builtins.update(_EXTRA_BUILTINS)
    return builtins


_GUARDS: dict[str, Any] = {
    "_getattr_": safer_getattr,
    "_getitem_": _getitem,
    "_getiter_": iter,
    "_write_": full_write_guard,
    "_iter_unpack_sequence_": guarded_iter_unpack_sequence,
    "_unpack_sequence_": guarded_unpack_sequence,
    "_inplacevar_": _inplacevar,
}


@lru_cache(maxsize=2048)
def _compile(source: str, mode: str) -> Any:
    result = (compile_restricted_eval if mode == "eval" else compile_restricted_exec)(source)
    if result.errors:
        raise ScriptError(
            _("Script rechazado por el entorno seguro: %(errors)s") % {"errors": "; ".join(result.errors)})
    # RestrictedPython compiles `import` (it only fails at run time, as there is no
    # __import__): refuse it here so a diagram that imports cannot be deployed.
    if mode != "eval" and any(isinstance(node, ast.Import | ast.ImportFrom)
                              for node in ast.walk(ast.parse(source))):
        raise ScriptError(_("Script rechazado por el entorno seguro: no se permite 'import'."))
    return result.code


def check_json_data(data: dict[str, Any], where: str) -> None:
    """Refuse task data that is not plain JSON (it could not be stored or audited)."""
    for key, value in data.items():
        try:
            json.dumps(value, allow_nan=False)
        except (TypeError, ValueError) as exc:
            raise ScriptError(
                _("%(where)s: la variable '%(key)s' no es un dato JSON (%(type)s).")
                % {"where": where, "key": key, "type": type(value).__name__}
            ) from exc


class RestrictedEnvironment(BasePythonScriptEngineEnvironment):  # type: ignore[misc]  # SpiffWorkflow has no type information
    """Task-data environment whose code runs under RestrictedPython."""

    def __init__(self, functions: Callable[[], dict[str, Callable[..., Any]]]):
        super().__init__({})
        self._functions = functions

    def _globals(self, context: dict[str, Any], external: dict[str, Any] | None) -> dict[str, Any]:
        env: dict[str, Any] = {"__builtins__": _restricted_builtins(), **_GUARDS}
        env.update(self._functions())
        env.update(external or {})
        env.update(context)
        return env

    def evaluate(self, expression: str, context: dict[str, Any],
                 external_context: dict[str, Any] | None = None) -> Any:
        code = _compile(expression.strip(), "eval")
        return eval(code, self._globals(context, external_context))  # noqa: S307 - restricted code

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
        env = self._globals(context, external_context)
        reserved = set(env) - set(context)
        exec(code, env)  # noqa: S102 - restricted code
        for key, value in env.items():
            if key in reserved or key.startswith("_") or callable(value):
                continue
            context[key] = value
        for key in [k for k in context if k not in env]:
            del context[key]
        check_json_data(context, "Script")
        return True


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


__all__ = ["EngineScriptEngine", "ScriptError", "ServiceTaskError", "check_json_data"]
