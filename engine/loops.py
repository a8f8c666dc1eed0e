"""Deploy-time warnings about loops: a cycle of sequence flows with nothing in it that
waits (no user task, timer, message or subprocess) runs all its rounds inside one step.
Deployment goes ahead; the step's budget (STEP_MAX_SECONDS) stops a loop that never ends."""

from __future__ import annotations

import ast
from typing import Any

from django.utils.translation import gettext as _
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.specs.event_definitions.simple import NoneEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.events.event_types import CatchingEvent
from SpiffWorkflow.bpmn.specs.mixins.subworkflow_task import SubWorkflowTask
from SpiffWorkflow.exceptions import SpiffWorkflowException

from .specs import ParsedFile, describe


def _waits(task_spec: Any) -> bool:
    """Whether the flow stops at this element until someone or something acts: a person,
    a timer, a message or signal, or a subprocess (which may hold any of those)."""
    if getattr(task_spec, "manual", False) or isinstance(task_spec, SubWorkflowTask):
        return True
    definition = getattr(task_spec, "event_definition", None)
    return isinstance(task_spec, CatchingEvent) and not isinstance(definition, NoneEventDefinition)


def _script(task_spec: Any) -> ast.Module | None:
    """The parsed code of a script task, or None (not a script, or code the sandbox
    refuses at validation)."""
    source = getattr(task_spec, "script", None)
    if not isinstance(source, str):
        return None
    try:
        return ast.parse(source)
    except SyntaxError:
        return None


def _exits(loop: ast.While) -> bool:
    """Whether anything in the loop's body leaves it: a `break` of this loop (not of a
    loop nested in it, wherever it sits inside that loop; the `else:` of a nested loop is
    this loop's flow again), a `return` or a `raise` (from any depth, not from a function
    defined inside)."""
    stack: list[tuple[ast.AST, bool]] = [(node, False) for node in loop.body]
    while stack:
        node, nested = stack.pop()
        if isinstance(node, ast.Return | ast.Raise) or (isinstance(node, ast.Break) and not nested):
            return True
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda | ast.ClassDef):
            continue
        if isinstance(node, ast.For | ast.While | ast.AsyncFor):
            stack.extend((child, True) for child in node.body)
            stack.extend((child, nested) for child in node.orelse)
            continue
        stack.extend((child, nested) for child in ast.iter_child_nodes(node))
    return False


_CONSTANT_TEST = (ast.Constant, ast.Compare, ast.BoolOp, ast.UnaryOp, ast.Not, ast.And, ast.Or, ast.Eq,
                  ast.NotEq, ast.Lt, ast.LtE, ast.Gt, ast.GtE, ast.Is, ast.IsNot, ast.In, ast.NotIn,
                  ast.USub, ast.UAdd)


def _always_true(test: ast.expr) -> bool:
    """A loop condition made of literals, comparisons and `not`/`and`/`or` only
    (`True`, `1`, `1 == 1`, `not False`) that is true. No arithmetic: evaluating it
    could itself take long (`10**10**10`)."""
    if not all(isinstance(node, _CONSTANT_TEST) for node in ast.walk(test)):
        return False
    try:
        return bool(eval(compile(ast.Expression(test), "<test>", "eval"), {"__builtins__": {}}))  # noqa: S307 - literals and comparisons only
    except Exception:
        return False


def _endless(tree: ast.Module) -> bool:
    """A `while` whose condition is always true (`while True:`, `while 1 == 1:`) with
    nothing that leaves it."""
    return any(isinstance(node, ast.While) and _always_true(node.test) and not _exits(node)
               for node in ast.walk(tree))


def _has_loop(tree: ast.Module) -> bool:
    return any(isinstance(node, ast.For | ast.While | ast.comprehension) for node in ast.walk(tree))


def _cycles(graph: dict[str, list[str]]) -> list[list[str]]:
    """Strongly connected components of `graph` that contain a cycle (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for root in graph:
        if root in index:
            continue
        work = [(root, iter(graph[root]))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(graph.get(child, []))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1 or node in graph.get(node, []):
                    found.append(component)
    return found


def loop_warnings(parsed: ParsedFile) -> dict[str, list[str]]:
    """Per process id, one warning for every loop of sequence flows with no user task,
    timer or message in it: it runs round after round within a single step, until its
    own condition ends it or the step's time budget stops it."""
    warnings: dict[str, list[str]] = {}
    for pid in parsed.process_ids:
        try:
            spec = parsed.parser.get_spec(pid)
            subprocess_specs = parsed.parser.get_subprocess_specs(pid, require_call_activity_specs=False)
        except (ValidationException, SpiffWorkflowException):
            continue  # validate_file reports it
        for wf_spec in [spec, *[s for s in subprocess_specs.values() if s is not None]]:
            specs = wf_spec.task_specs
            for ts in sorted((ts for ts in specs.values() if ts.bpmn_id), key=lambda ts: ts.bpmn_id):
                tree = _script(ts)
                if tree is not None and _endless(tree):
                    warnings.setdefault(pid, []).append(
                        _("%(where)s: el script tiene un bucle «while True:» sin «break»: no termina "
                          "hasta que lo detenga el límite de operaciones (SCRIPT_MAX_OPERATIONS) o de "
                          "tiempo (SCRIPT_MAX_SECONDS), y el paso falla con un incidente.")
                        % {"where": describe(ts)})
            graph = {name: [o.name for o in ts.outputs] for name, ts in specs.items()}
            for component in _cycles(graph):
                members = [specs[name] for name in component if name in specs]
                if any(_waits(ts) for ts in members):
                    continue
                named = sorted((ts for ts in members if ts.bpmn_id), key=lambda ts: ts.bpmn_id)
                if not named:
                    continue
                warnings.setdefault(pid, []).append(
                    _("%(where)s: el bucle que pasa por %(elements)s no tiene tarea de usuario, "
                      "temporizador ni mensaje: da todas sus vueltas dentro de un solo paso, hasta "
                      "que su condición lo termine o lo detenga el límite de tiempo del paso "
                      "(STEP_MAX_SECONDS).")
                    % {"where": describe(named[0]),
                       "elements": ", ".join(f"'{ts.bpmn_id}'" for ts in named)})
                for ts in named:
                    tree = _script(ts)
                    if tree is not None and _has_loop(tree):
                        warnings[pid].append(
                            _("%(where)s: el script tiene bucles y está dentro de un bucle del "
                              "diagrama sin tarea de usuario, temporizador ni mensaje: cada vuelta "
                              "del diagrama repite el bucle del script dentro del mismo paso "
                              "(STEP_MAX_SECONDS).") % {"where": describe(ts)})
    return warnings
