"""Budgets of diagram code: the counters and guards that compiled scripts and expressions
call, and the compile-time transform that inserts them.

Every run of a script or expression has a `Budget`: a number of operations, a wall-clock
deadline and a cap on the size of the values it builds. It is counted by the code itself,
not by a signal, so it works in any thread: the transform inserts a counter call at the
top of every `while` body, function body and lambda; `for` loops and comprehensions count
through `_getiter_`; the operators and methods that can build a huge value from a small
one (`*`, `**`, `<<`, `+`, `%`, `str.ljust`...) go through checked helpers. A C-level call
on values the script could build within the caps (sorting a 10 MB list) is not
interrupted: the caps keep it short.
"""

from __future__ import annotations

import ast
import math
import operator
import re
import time
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from typing import Any, TypeVar

from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from RestrictedPython.Guards import (
    full_write_guard,
    guarded_iter_unpack_sequence,
    guarded_unpack_sequence,
    safe_builtins,
    safer_getattr,
)
from RestrictedPython.transformer import RestrictingNodeTransformer

from .conf import ScriptLimits
from .errors import BudgetExceeded, ScriptError

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

def _getitem(obj: Any, key: Any) -> Any:
    return obj[key]


_BASE_BUILTINS: dict[str, Any] = {**safe_builtins, **_EXTRA_BUILTINS}


# --- Budgets ---------------------------------------------------------------------------------

# The step's own deadline (time.monotonic()), set by the engine around a step's engine work,
# so a script's budget never outlives the step's.
step_deadline: ContextVar[float | None] = ContextVar("engine_step_deadline", default=None)

# The clock is read once every this many operations: often enough to stop within
# milliseconds, rarely enough to cost nothing.
_CLOCK_EVERY = 1024
# Iterating a sized container this small is charged at once instead of item by item.
_CHARGE_AT_ONCE = 64


def thousands(number: int) -> str:
    """1000000 → "1.000.000" (Peruvian Spanish groups thousands with dots in prose)."""
    return f"{number:,}".replace(",", ".")


def _plural(seconds: float) -> int:
    """The count ngettext chooses the form by: 1 for exactly one second."""
    return 1 if seconds == 1 else 2


def seconds_text(seconds: float) -> str:
    return f"{seconds:g}".replace(".", ",")


def operations_limit(limit: int) -> str:
    return _("el límite de %(n)s operaciones (SCRIPT_MAX_OPERATIONS)") % {"n": thousands(limit)}


def step_time_limit(seconds: float) -> str:
    return ngettext("el límite de %(s)s segundo por paso (STEP_MAX_SECONDS)",
                    "el límite de %(s)s segundos por paso (STEP_MAX_SECONDS)",
                    _plural(seconds)) % {"s": seconds_text(seconds)}


def _size(value: Any) -> int:
    """A cheap lower bound of the memory a value holds (shallow: 8 bytes per item)."""
    if isinstance(value, str | bytes | bytearray):
        return len(value)
    if isinstance(value, int):
        return value.bit_length() // 8
    if isinstance(value, list | tuple | dict | set | frozenset):
        return 8 * len(value)
    return 0


_BINOPS: dict[str, Callable[[Any, Any], Any]] = {
    "*": operator.mul, "**": operator.pow, "<<": operator.lshift, "+": operator.add, "%": operator.mod,
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
# Methods that build a value much larger than their inputs, or grow their object.
_PADDING = frozenset({"ljust", "rjust", "center", "zfill"})
_WATCHED_METHODS = _PADDING | {"expandtabs", "replace", "format", "format_map", "join",
                               "append", "extend", "insert"}
_DIGITS = re.compile(r"\d+")
# A run may build, in all, this many times SCRIPT_MAX_VALUE_BYTES.
BUILT_FACTOR = 10


class Budget:
    """What one run of a script or expression may spend; its methods are the guards
    the compiled code calls (see `BudgetTransformer`). One budget per run, never shared
    between threads."""

    __slots__ = ("_fresh", "built", "deadline", "left", "max_built", "max_bytes", "max_operations",
                 "seconds", "step_bound")

    def __init__(self, limits: ScriptLimits) -> None:
        self.max_operations = limits.operations
        self.left = limits.operations
        self.max_bytes = limits.value_bytes
        # Bytes built by operators and growing methods in all: many values each under the
        # cap (a list of a million fresh 10 kB strings) would still exhaust memory.
        self.built = 0
        self.max_built = BUILT_FACTOR * limits.value_bytes
        self._fresh: dict[int, range] = {}
        deadline = time.monotonic() + limits.seconds
        step = step_deadline.get()
        self.step_bound = step is not None and step < deadline
        self.deadline = step if step is not None and self.step_bound else deadline
        self.seconds = limits.seconds

    # operations and time

    def tick(self) -> None:
        self.left -= 1
        if not self.left & (_CLOCK_EVERY - 1) or self.left < 0:
            self._check()

    def tick_value(self, value: Any) -> Any:
        self.tick()
        return value

    def charge(self, count: int) -> None:
        before = self.left
        self.left -= count
        if self.left < 0 or before // _CLOCK_EVERY != self.left // _CLOCK_EVERY:
            self._check()

    def _check(self) -> None:
        if self.left < 0:
            raise BudgetExceeded(operations_limit(self.max_operations))
        if time.monotonic() > self.deadline:
            if self.step_bound:
                raise BudgetExceeded(_("el límite de tiempo del paso (STEP_MAX_SECONDS)"))
            raise BudgetExceeded(ngettext("el límite de %(s)s segundo (SCRIPT_MAX_SECONDS)",
                                          "el límite de %(s)s segundos (SCRIPT_MAX_SECONDS)",
                                          _plural(self.seconds)) % {"s": seconds_text(self.seconds)})

    def getiter(self, ob: Any) -> Iterator[Any]:
        if type(ob) is range and self._fresh.pop(id(ob), None) is ob:
            return self._clocked(iter(ob))
        if isinstance(ob, list | tuple | str | dict | set | frozenset | range) and len(ob) <= _CHARGE_AT_ONCE:
            self.charge(len(ob))
            return iter(ob)
        return self._counted(iter(ob))

    def _counted(self, iterator: Iterator[Any]) -> Iterator[Any]:
        tick = self.tick
        for item in iterator:
            tick()
            yield item

    def guarded_range(self, *args: Any) -> range:
        # range() is consumed in C by sum(), list(), sorted()...: it costs its length when
        # it is made. The first `for` over it is then free of charge (only the clock is
        # read); any later one pays again.
        result = range(*args)
        self.charge(len(result))
        self._fresh[id(result)] = result
        return result

    def _clocked(self, iterator: Iterator[Any]) -> Iterator[Any]:
        for count, item in enumerate(iterator, 1):
            if not count & (_CLOCK_EVERY - 1):
                self._check()
            yield item

    # value sizes

    def too_big(self) -> BudgetExceeded:
        return BudgetExceeded(_("el límite de %(n)s bytes por valor (SCRIPT_MAX_VALUE_BYTES)")
                              % {"n": thousands(self.max_bytes)})

    def check_size(self, value: Any) -> Any:
        if _size(value) > self.max_bytes:
            raise self.too_big()
        return value

    def account(self, value: Any) -> Any:
        """Check a value an operator or method built, and add it to the run's total."""
        size = _size(value)
        if size > self.max_bytes:
            raise self.too_big()
        self.built += size
        if self.built > self.max_built:
            raise BudgetExceeded(
                _("el límite de %(n)s bytes construidos en total (%(k)s × SCRIPT_MAX_VALUE_BYTES)")
                % {"n": thousands(self.max_built), "k": BUILT_FACTOR})
        return value

    def _expect(self, estimate: float) -> None:
        if estimate > self.max_bytes:
            raise self.too_big()

    def _before(self, op: str, a: Any, b: Any) -> None:
        """Refuse an operation whose result would be over the cap, before it is built."""
        if op == "*":
            if isinstance(a, int) and not isinstance(b, int):
                a, b = b, a
            if isinstance(b, int) and isinstance(a, str | bytes | bytearray | list | tuple):
                self._expect(_size(a) * b)
        elif op == "**":
            if isinstance(a, int) and isinstance(b, int) and b > 0 and abs(a) > 1:
                self._expect(b * (abs(a).bit_length() - 1) / 8)
        elif op == "<<":
            if isinstance(a, int) and isinstance(b, int) and a:
                self._expect((a.bit_length() + b) / 8)
        elif op == "%" and isinstance(a, str | bytes):
            self._template(a, b)

    def _template(self, template: Any, args: Any) -> None:
        """Widths in a format template ("%1000000000d", "{:>1000000000}") and starred
        widths taken from the arguments."""
        text = template if isinstance(template, str) else template.decode("latin-1")
        widths = [int(d) for d in _DIGITS.findall(text) if len(d) < 30]
        if "*" in text:
            values = args if isinstance(args, tuple) else (args,)
            widths.extend(v for v in values if isinstance(v, int))
        if any(len(d) >= 30 for d in _DIGITS.findall(text)):
            raise self.too_big()
        self._expect(max(widths, default=0))

    def binop(self, op: str, a: Any, b: Any) -> Any:
        self._before(op, a, b)
        return self.account(_BINOPS[op](a, b))

    def inplacevar(self, op: str, x: Any, y: Any) -> Any:
        try:
            function = _INPLACE[op]
        except KeyError:
            raise ScriptError(_("Operador no permitido en scripts: %(op)s") % {"op": op}) from None
        self._before(op[:-1], x, y)
        return self.account(function(x, y))

    def guarded_pow(self, base: Any, exp: Any, mod: Any = None) -> Any:
        if mod is not None:
            return pow(base, exp, mod)
        return self.binop("**", base, exp)

    def guarded_getattr(self, obj: Any, name: str, *default: Any) -> Any:
        value = safer_getattr(obj, name, *default)  # type: ignore[no-untyped-call]  # RestrictedPython is untyped
        if name in _WATCHED_METHODS and isinstance(obj, str | bytes | bytearray | list):
            return self._watched(obj, name, value)
        return value

    def _watched(self, obj: Any, name: str, method: Callable[..., Any]) -> Callable[..., Any]:
        def call(*args: Any, **kwargs: Any) -> Any:
            if name in _PADDING and args and isinstance(args[0], int):
                self._expect(args[0])
            elif name == "expandtabs":
                self._expect(len(obj) * int(args[0] if args else kwargs.get("tabsize", 8)))
            elif name == "replace" and len(args) >= 2:
                old, new = args[0], args[1]
                count = obj.count(old) if old else len(obj) + 1
                self._expect(len(obj) + count * _size(new))
            elif name in ("format", "format_map"):
                self._template(obj, ())
            result = method(*args, **kwargs)
            if result is None:  # append, extend, insert: the list grew by its arguments
                self.check_size(obj)
                for arg in args:
                    self.account(arg)
            else:
                self.account(result)
            return result
        return call

    def guards(self) -> dict[str, Any]:
        builtins = dict(_BASE_BUILTINS)
        builtins["range"] = self.guarded_range
        builtins["pow"] = self.guarded_pow
        return {
            "__builtins__": builtins,
            "_getattr_": self.guarded_getattr,
            "_getitem_": _getitem,
            "_getiter_": self.getiter,
            "_write_": full_write_guard,
            "_iter_unpack_sequence_": guarded_iter_unpack_sequence,
            "_unpack_sequence_": guarded_unpack_sequence,
            "_inplacevar_": self.inplacevar,
            "_tick_": self.tick,
            "_tickv_": self.tick_value,
            "_binop_": self.binop,
        }


# --- Compiling -------------------------------------------------------------------------------

_GUARDED_BINOPS: dict[type[ast.operator], str] = {
    ast.Mult: "*", ast.Pow: "**", ast.LShift: "<<", ast.Add: "+", ast.Mod: "%",
}


_Node = TypeVar("_Node", bound=ast.AST)


def _located(node: _Node, like: ast.AST) -> _Node:
    for child in ast.walk(node):
        ast.copy_location(child, like)
    return node


def _call(name: str, args: list[ast.expr], like: ast.AST) -> ast.Call:
    return _located(ast.Call(func=ast.Name(name, ast.Load()), args=args, keywords=[]), like)


class BudgetTransformer(RestrictingNodeTransformer):
    """RestrictedPython's checks plus the budget's counters. The nodes added here come
    after RestrictedPython visited the code, so its refusal of `_` names still applies
    to everything the diagram wrote."""

    def _tick(self, like: ast.AST) -> ast.Expr:
        return _located(ast.Expr(_call("_tick_", [], like)), like)

    def visit_While(self, node: ast.While) -> Any:
        visited = super().visit_While(node)
        assert isinstance(visited, ast.While)
        node = visited
        node.body.insert(0, self._tick(node))
        return node

    def visit_FunctionDef(self, node: ast.FunctionDef) -> Any:
        visited = super().visit_FunctionDef(node)
        assert isinstance(visited, ast.FunctionDef)
        node = visited
        node.body.insert(0, self._tick(node))
        return node

    def visit_Lambda(self, node: ast.Lambda) -> Any:
        visited = super().visit_Lambda(node)
        assert isinstance(visited, ast.Lambda)
        node = visited
        node.body = _call("_tickv_", [node.body], node)
        return node

    def visit_BinOp(self, node: ast.BinOp) -> Any:
        visited = super().visit_BinOp(node)
        assert isinstance(visited, ast.BinOp)
        node = visited
        op = _GUARDED_BINOPS.get(type(node.op))
        if op is None:
            return node
        return _call("_binop_", [_located(ast.Constant(op), node), node.left, node.right], node)
