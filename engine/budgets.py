"""Budgets of diagram code: the counters and guards that compiled scripts and expressions
call, and the compile-time transform that inserts them.

Every run of a script or expression has a `Budget`: a number of operations, a wall-clock
deadline and a cap on the size of the values it builds. It is counted by the code itself,
not by a signal, so it works in any thread: the transform inserts a counter call at the
top of every `while` body, function body and lambda; `for` loops and comprehensions count
through `_getiter_`; the operators, f-string fields, builtins and methods that can build
a huge value from a small one or do long work in C (`*`, `**`, `<<`, `//`, `%`, `str()`,
`sorted`, `math.factorial`, `str.ljust`, `list.extend`...) go through checked helpers that
refuse an oversized result and charge the work before it is done. Those builtins are
known by identity, so every call but a method call or a call of another builtin by a
name the script never binds goes through `Budget.call`. Hashes and comparisons of
containers are charged by what C will visit below their first level (`nested_weight`:
a few tuples shared 2**60 times over weigh 2**60). A C-level call the helpers do not
charge, on values within the caps, is not interrupted: the caps keep it short. An
overrun sticks to the budget (`settle`).
"""

from __future__ import annotations

import ast
import functools
import itertools
import math
import operator
import re
import time
import types
from collections.abc import Callable, Iterable, Iterator
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
    safer_getattr_raise,
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
    "sorted": sorted,
    "tuple": tuple,
}

# The builtins `Budget.call` checks, by identity: they consume a whole iterable in C
# (copying, hashing or sorting it), render a value as text, or call a function from C.
_HANDLED = frozenset({list, tuple, set, frozenset, dict, sorted, sum, str, repr, divmod, min, max, any,
                      all, map, filter, hash})
_BUILTIN_KINDS = (type, types.BuiltinFunctionType)
_BASE_BUILTINS: dict[str, Any] = {**safe_builtins, **_EXTRA_BUILTINS}
# Builtins a script may call directly, by their own name, when it never binds that name:
# they do little work in C or are guarded already (range, pow). Every other call goes
# through `Budget.call`.
DIRECT_CALLS = frozenset(
    name for name, value in _BASE_BUILTINS.items() if not name.startswith("_") and value not in _HANDLED)
# The `math` names scripts see, listed so a new Python's additions are not exposed
# unchecked: float functions and constants, and the integer functions `Budget._math`
# replaces with checked ones.
_MATH_ALLOWED = (
    "acos acosh asin asinh atan atan2 atanh cbrt ceil copysign cos cosh degrees dist e erf erfc exp exp2 "
    "expm1 fabs floor fmod frexp fsum gamma hypot inf isclose isfinite isinf isnan ldexp lgamma log log10 "
    "log1p log2 modf nan nextafter pi pow radians remainder sin sinh sqrt tan tanh tau trunc ulp "
    "comb factorial gcd isqrt lcm perm prod").split()
_MATH_NAMES: dict[str, Any] = {name: getattr(math, name) for name in _MATH_ALLOWED if hasattr(math, name)}


# --- Budgets ---------------------------------------------------------------------------------

# The step's own deadline (time.monotonic()), set by the engine around a step's engine work,
# so a script's budget never outlives the step's.
step_deadline: ContextVar[float | None] = ContextVar("engine_step_deadline", default=None)

# The clock is read once every this many operations: often enough to stop within
# a millisecond, rarely enough to cost little (see bench/budgets.py).
_CLOCK_EVERY = 32
# Work done in C (big-integer arithmetic, copying and sorting containers) is charged at
# one operation per this many nanoseconds on a 2-core reference machine, about what one
# interpreted step of a script costs, so SCRIPT_MAX_OPERATIONS bounds C time as well.
NS_PER_OPERATION = 50
# CPython stores integers in 30-bit digits ("limbs") and multiplies by Karatsuba above
# 70 of them; the constants (ns) were measured on the reference machine.
_LIMB_BITS = 30
_KARATSUBA_CUTOFF = 70
# Integers and strings below this many bits or characters take the guards' fast paths.
_SMALL_BITS = 4096
_MUL_NS = 3.5
_DIV_NS = 1.5
_ADD_NS = 1.0
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


def _limbs(number: int) -> int:
    return abs(number).bit_length() // _LIMB_BITS + 1


def _mul_ns(left: int, right: int) -> float:
    """Nanoseconds CPython takes to multiply integers of `left` and `right` limbs."""
    small, big = sorted((left, right))
    if small < _KARATSUBA_CUTOFF:
        return 1.0 * small * big
    return float(_MUL_NS * big * small ** 0.585)


def _div_ns(dividend: int, divisor: int) -> float:
    """Nanoseconds of a long division (schoolbook in CPython: quadratic)."""
    return _DIV_NS * divisor * max(1, dividend - divisor + 1)


def _log2_factorial(n: int) -> float:
    return float(math.lgamma(n + 1) / math.log(2)) if n > 1 else 0.0


_CONTAINER_TYPES = (list, tuple, dict, set, frozenset)


def _parts(item: Any) -> tuple[Any, ...]:
    if isinstance(item, dict):
        return (item.keys(), item.values())
    return (item,)


def _holds_containers(part: Any) -> bool:
    # The types of the items, collected at C speed: usually a handful to check.
    return any(issubclass(kind, _CONTAINER_TYPES) for kind in set(map(type, part)))


def _expand(item: Any, stack: list[tuple[Any, bool]], memo: dict[int, int]) -> None:
    """One step of the post-order walks below: `item` comes back once its children not
    yet measured have been."""
    stack.append((item, True))
    for part in _parts(item):
        if _holds_containers(part):
            stack.extend((child, False) for child in part
                         if isinstance(child, _CONTAINER_TYPES) and id(child) not in memo)


def _leaf_text(item: Any) -> int:
    if isinstance(item, str):
        return len(item) + 2
    if isinstance(item, bytes | bytearray):
        return 4 * len(item) + 3
    if isinstance(item, bool) or item is None:
        return 5
    if isinstance(item, int):
        return item.bit_length() + 2  # binary is the longest notation
    return 32


def text_estimate(value: Any, limit: int) -> int:
    """An upper estimate of the length of str(value) or repr(value): each occurrence of
    a shared item is printed again, but each distinct container is measured once (its
    estimate is remembered by identity), so a few containers shared billions of times
    over cost what they hold. Any number over `limit` means "over"."""
    if not isinstance(value, _CONTAINER_TYPES):
        return _leaf_text(value)
    memo: dict[int, int] = {}
    stack: list[tuple[Any, bool]] = [(value, False)]
    while stack:
        item, expanded = stack.pop()
        key = id(item)
        if not expanded:
            if key in memo:
                continue
            memo[key] = 5  # in progress: repr prints a container inside itself as "[...]"
            _expand(item, stack, memo)
            continue
        total = 2 + (4 if isinstance(item, dict) else 2) * len(item)
        for part in _parts(item):
            for child in part:
                total += memo.get(id(child), 0) if isinstance(child, _CONTAINER_TYPES) else _leaf_text(child)
                if total > limit:
                    break
        memo[key] = min(total, limit + 1)
    return memo[id(value)]


def nested_weight(value: Any, limit: int) -> int:
    """How many items C code visits below the first level of `value` when it hashes or
    compares it deeply: every occurrence of a shared item is visited again, so a tuple
    of two copies of itself, sixty times over, weighs about 2**61. Each distinct container
    is looked at once (its weight is remembered by identity), so the cost is the memory
    the value holds, not its weight; a list of lists of scalars is measured at C speed.
    Any number over `limit` means "over"."""
    if not isinstance(value, _CONTAINER_TYPES):
        return 0
    total = 0
    for part in _parts(value):
        if not _holds_containers(part):
            continue
        children = [item for item in part if isinstance(item, _CONTAINER_TYPES)]
        flat = sum(map(len, children))
        distinct = {id(child): child for child in children}.values()
        if flat > limit:
            total += flat
        elif all(type(child) in (list, tuple) for child in distinct) and not _holds_containers(
                itertools.chain.from_iterable(distinct)):
            total += flat  # rows of scalars: the usual case
        else:
            total += sum(_weights(children, limit))
        if total > limit:
            break
    return total


def _weights(roots: list[Any], limit: int) -> Iterator[int]:
    """The full weight (items at every level) of each of `roots`, by dynamic programming
    over distinct containers; a container inside itself counts once (C code comparing it
    stops at its recursion limit)."""
    memo: dict[int, int] = {}
    for root in roots:
        stack: list[tuple[Any, bool]] = [(root, False)]
        while stack:
            item, expanded = stack.pop()
            key = id(item)
            if key in memo and not expanded:
                continue
            if not expanded:
                memo[key] = 0  # in progress: a cycle back to it adds nothing
                _expand(item, stack, memo)
                continue
            weight = 0
            for part in _parts(item):
                weight += len(part)
                if _holds_containers(part):
                    weight += sum(memo.get(id(child), 0) for child in part if isinstance(child, _CONTAINER_TYPES))
            memo[key] = min(weight, limit + 1)
        yield memo[id(root)]


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
    "//": operator.floordiv,
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
    "^=": operator.ixor,
    "<<=": operator.ilshift,
    ">>=": operator.irshift,
}
# Methods that build a value much larger than their inputs, or grow their object.
_PADDING = frozenset({"ljust", "rjust", "center", "zfill"})
_WATCHED_METHODS = _PADDING | {"expandtabs", "replace", "format", "format_map", "join",
                               "append", "extend", "insert", "update", "union", "sort",
                               "intersection", "difference", "symmetric_difference",
                               "intersection_update", "difference_update",
                               "symmetric_difference_update", "fromkeys", "count", "index",
                               "split", "splitlines", "encode", "upper", "lower", "title",
                               "swapcase", "casefold", "capitalize", "translate"}
# Methods that hash their first argument (of a dict or set) or compare it (of a list).
_KEYED_METHODS = frozenset({"get", "setdefault", "pop", "add", "remove", "discard"})
_DIGITS = re.compile(r"\d+")
# A run may build, in all, this many times SCRIPT_MAX_VALUE_BYTES.
BUILT_FACTOR = 10


class Budget:
    """What one run of a script or expression may spend; its methods are the guards
    the compiled code calls (see `BudgetTransformer`). One budget per run, never shared
    between threads."""

    __slots__ = ("_fresh", "built", "deadline", "exceeded", "left", "math", "max_built", "max_bytes",
                 "max_operations", "seconds", "step_bound")

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
        # The first overrun, kept: a script that catches it still fails (see `settle`).
        self.exceeded: BudgetExceeded | None = None
        self.math = self._math()

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

    def fail(self, exc: BudgetExceeded) -> BudgetExceeded:
        """Record an overrun (the first one is kept) and return it to be raised."""
        if self.exceeded is None:
            self.exceeded = exc
        return exc

    def settle(self) -> None:
        """Call when the run ends: an overrun the script caught and swallowed (`try: ...
        except Exception: pass`) still fails the run."""
        if self.exceeded is not None:
            raise BudgetExceeded(self.exceeded.limit)

    def _check(self) -> None:
        if self.exceeded is not None:
            raise BudgetExceeded(self.exceeded.limit)
        if self.left < 0:
            raise self.fail(BudgetExceeded(operations_limit(self.max_operations)))
        if time.monotonic() > self.deadline:
            if self.step_bound:
                raise self.fail(BudgetExceeded(_("el límite de tiempo del paso (STEP_MAX_SECONDS)")))
            raise self.fail(BudgetExceeded(
                ngettext("el límite de %(s)s segundo (SCRIPT_MAX_SECONDS)",
                         "el límite de %(s)s segundos (SCRIPT_MAX_SECONDS)",
                         _plural(self.seconds)) % {"s": seconds_text(self.seconds)}))

    def work(self, nanoseconds: float) -> None:
        """Charge C work before it is done, so work over the budget is never started."""
        self.charge(int(nanoseconds // NS_PER_OPERATION))

    def consume(self, items: Any, per_item_ns: float = 50.0) -> Any:
        """What a C function about to consume `items` will see: a sized container is
        charged and size-checked at once, anything else is counted item by item."""
        if isinstance(items, list | tuple | str | bytes | dict | set | frozenset | range):
            if type(items) is not range or self._fresh.pop(id(items), None) is not items:
                self.work(per_item_ns * len(items))
            self._expect(8 * len(items))
            return items
        return self._counted(iter(items))

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

    # deep hashing and comparing

    def _affordable(self, per_item_ns: float) -> int:
        return int(max(self.left, 0) * NS_PER_OPERATION // per_item_ns) + 1

    def deep(self, value: Any, per_item_ns: float = 20.0) -> None:
        """Charge C work that walks `value` to the bottom (hashing a tuple of tuples,
        comparing two lists of lists), before it starts."""
        limit = self._affordable(per_item_ns)
        weight = nested_weight(value, limit)
        if weight > limit:  # more than the operations left: the walk stopped early
            self.charge(max(self.left, 0) + 1)
        self.work(per_item_ns * weight)

    def hashing(self, value: Any) -> Any:
        """A value about to be hashed (a set item, a dict key): tuples and frozensets
        hash every item below them."""
        if isinstance(value, tuple | frozenset):
            self.work(20.0 * len(value))
            self.deep(value)
        return value

    def compared(self, value: Any) -> Any:
        """An operand of `==`, `<`, `in`...: containers are compared item by item, and
        their items below them."""
        if isinstance(value, _CONTAINER_TYPES):
            if not isinstance(value, dict | set | frozenset):  # `in` of those hashes the other side
                self.work(10.0 * len(value))
            self.deep(value)
        return value

    def getitem(self, obj: Any, key: Any) -> Any:
        if isinstance(key, tuple):
            self.hashing(key)
        return obj[key]

    # value sizes

    def too_big(self) -> BudgetExceeded:
        return self.fail(BudgetExceeded(_("el límite de %(n)s bytes por valor (SCRIPT_MAX_VALUE_BYTES)")
                                        % {"n": thousands(self.max_bytes)}))

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
            raise self.fail(BudgetExceeded(
                _("el límite de %(n)s bytes construidos en total (%(k)s × SCRIPT_MAX_VALUE_BYTES)")
                % {"n": thousands(self.max_built), "k": BUILT_FACTOR}))
        return value

    def _expect(self, estimate: float) -> None:
        if estimate > self.max_bytes:
            raise self.too_big()

    def _copy(self, nbytes: float) -> None:
        """Charge a linear copy of `nbytes` (about 0.1 ns a byte)."""
        self.work(nbytes / 10)

    def _before(self, op: str, a: Any, b: Any) -> None:
        """Refuse an operation whose result would be over the cap or whose C work would
        be over the operations left, before it is done; charge its work otherwise."""
        ints = isinstance(a, int) and isinstance(b, int)
        if op == "*":
            if ints:
                self._expect((a.bit_length() + b.bit_length()) / 8)
                self.work(_mul_ns(_limbs(a), _limbs(b)))
                return
            if isinstance(a, int) and not isinstance(b, int):
                a, b = b, a
            if isinstance(b, int) and isinstance(a, str | bytes | bytearray | list | tuple):
                self._expect(_size(a) * b)
                self._copy(_size(a) * max(b, 0))
        elif op == "**":
            if ints and b > 0 and abs(a) > 1:
                bits = b * (abs(a).bit_length() - 1)
                self._expect(bits / 8)
                limbs = bits // _LIMB_BITS + 1
                self.work(_mul_ns(limbs, limbs))
        elif op == "<<":
            if ints and a:
                self._expect((a.bit_length() + b) / 8)
                self._copy((a.bit_length() + b) / 8)
        elif op in ("//", "%") and ints and b:
            self.work(_div_ns(_limbs(a), _limbs(b)))
        elif op == "%" and isinstance(a, str | bytes):
            self._template(a, b)
        elif op in ("+", "-") and ints:
            # Linear in the longer operand: nothing for small numbers, but a sum of many
            # big integers in one C call (`sum`) must not run for minutes.
            self.work(_ADD_NS * max(_limbs(a), _limbs(b)))
        elif op == "+" and type(a) is type(b) and isinstance(a, str | bytes | bytearray | list | tuple):
            self._expect(_size(a) + _size(b))
            self._copy(_size(a) + _size(b))

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
        shown = list(args.values()) if isinstance(args, dict) else args if isinstance(args, tuple) else (args,)
        self._expect(len(text) + sum(text_estimate(v, self.max_bytes) for v in shown))

    def format_value(self, value: Any, conversion: int, spec: str) -> str:
        """One `{value!conversion:spec}` of an f-string, with the spec's width and
        precision and the value's text checked before it is rendered."""
        kind = type(value)
        if (conversion == -1 and len(spec) <= 4 and kind in (int, float, bool, str)
                and (kind is not str or len(value) < _SMALL_BITS)
                and (kind is not int or value.bit_length() < _SMALL_BITS)):
            # Fast path: a short spec (width under 10,000) of a small scalar.
            return format(value, spec)
        self._template(spec, ())
        self._expect(text_estimate(value, self.max_bytes))
        if conversion == ord("r"):
            value = repr(value)
        elif conversion == ord("s"):
            value = str(value)
        elif conversion == ord("a"):
            value = ascii(value)
        result = format(value, spec)
        self.account(result)
        return result

    def binop(self, op: str, a: Any, b: Any) -> Any:
        # Fast path: arithmetic on integers of a few limbs costs one operation at most and
        # builds almost nothing (`**` and `<<` can grow any integer, so they are checked).
        if (type(a) is int and type(b) is int and op not in ("**", "<<")
                and a.bit_length() < _SMALL_BITS and b.bit_length() < _SMALL_BITS):
            return _BINOPS[op](a, b)
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
            if isinstance(exp, int) and isinstance(mod, int):
                limbs = _limbs(mod)
                self.work(abs(exp).bit_length() * (_mul_ns(limbs, limbs) + _div_ns(2 * limbs, limbs)))
            return pow(base, exp, mod)
        return self.binop("**", base, exp)

    def starred(self, value: Any) -> Any:
        """`*value` in a call or a display: expanded in C, so charged as consumed."""
        return self.consume(value, per_item_ns=5)

    def call(self, function: Any, /, *args: Any, **kwargs: Any) -> Any:
        """Every call a script makes, except method calls (`_getattr_` watches those) and
        calls of the other builtins by a name the script never rebinds: a builtin in
        `_HANDLED` is checked whatever name, alias, container or `*args` call reached it;
        anything else is just called. Also RestrictedPython's `_apply_` (calls with
        `*args` or `**kwargs`)."""
        if type(function) not in _BUILTIN_KINDS or function not in _HANDLED:
            return function(*args, **kwargs)
        if function is sum:
            return self._sum(*args, **kwargs)
        if function is divmod and len(args) == 2:
            self._before("//", args[0], args[1])
            return divmod(args[0], args[1])
        if function in (str, repr) and len(args) == 1 and not kwargs:
            self._expect(text_estimate(args[0], self.max_bytes))
            return self.account(function(args[0]))
        if function is hash and len(args) == 1:
            self.hashing(args[0])
            return hash(args[0])
        if function in (set, frozenset) and args and not isinstance(args[0], (*_CONTAINER_TYPES, str, range)):
            return self.account(function(map(self.hashing, self.consume(args[0], per_item_ns=30))))
        if function in (map, filter) and args:
            return function(self.guarded_callable(args[0]), *args[1:], **kwargs)
        if "key" in kwargs:
            kwargs["key"] = self.guarded_callable(kwargs["key"])
        if function in (min, max) and len(args) > 1:
            self.consume(args, per_item_ns=5)
            self.deep(args)
            return function(*args, **kwargs)
        if args:
            hashing = function in (set, frozenset, dict)
            first = self.consume(args[0], per_item_ns=30 if hashing else 5)
            if function not in (list, tuple, any, all):  # they hash or compare the items
                if not isinstance(first, (*_CONTAINER_TYPES, str, range)):
                    first = list(first)  # a generator: its items, counted, then measured
                self.deep(first)
            if function is sorted and isinstance(first, list | tuple | str | dict | set | frozenset | range):
                self.work(30 * len(first) * max(1, len(first).bit_length()))
            result = function(first, *args[1:], **kwargs)
            return self.account(result) if function not in (min, max, any, all) else result
        return function(*args, **kwargs)

    def guarded_callable(self, function: Any) -> Any:
        """`function` as C code may call it back (`map(str, ...)`, `sorted(key=sum)`):
        a handled builtin goes through `call` on every call."""
        if type(function) in _BUILTIN_KINDS and function in _HANDLED:
            return functools.partial(self.call, function)
        return function

    def _sum(self, items: Any, start: Any = 0) -> Any:
        if isinstance(start, int | float):
            items = self.consume(items, per_item_ns=20)
            if type(items) is range:
                if max(abs(items.start), abs(items.stop)).bit_length() <= _SMALL_BITS:
                    return sum(items, start)
            else:
                items = items if isinstance(items, list | tuple) else list(items)
                # Small numbers add in constant time; big integers cost by their size, as `+`.
                if not any(type(item) is int and item.bit_length() > _SMALL_BITS for item in items):
                    return sum(items, start)
            total = start
            for item in items:  # each partial sum replaces the last: charged, not counted as built
                self._before("+", total, item)
                total += item
            return self.account(total)
        # A non-number start (`sum(lists, [])`) adds copies: quadratic in C, so each step
        # goes through the checked `+`.
        total = start
        for item in self._counted(iter(items)):
            total = self.binop("+", total, item)
        return total

    def _math(self) -> types.SimpleNamespace:
        """The `math` module scripts see: its integer functions that can build huge
        results or do long C work are checked first."""
        space = types.SimpleNamespace(**_MATH_NAMES)
        space.factorial = self._factorial
        space.comb = self._comb
        space.perm = self._perm
        space.prod = self._prod
        space.lcm = self._lcm
        space.gcd = self._gcd
        space.isqrt = self._isqrt
        return space

    def _big_result(self, bits: float) -> None:
        """Refuse an integer result of `bits` over the cap; charge building it."""
        self._expect(bits / 8)
        limbs = int(bits) // _LIMB_BITS + 1
        self.work(_mul_ns(limbs, limbs))

    def _factorial(self, n: int) -> int:
        if isinstance(n, int) and n > 1:
            self._big_result(_log2_factorial(n))
        return math.factorial(n)

    def _comb(self, n: int, k: int) -> int:
        if isinstance(n, int) and isinstance(k, int) and 0 < k < n:
            self._big_result(_log2_factorial(n) - _log2_factorial(k) - _log2_factorial(n - k))
        return math.comb(n, k)

    def _perm(self, n: int, k: int | None = None) -> int:
        if isinstance(n, int) and n > 1 and (k is None or (isinstance(k, int) and 0 < k <= n)):
            self._big_result(_log2_factorial(n) - _log2_factorial(n - (n if k is None else k)))
        return math.perm(n, k)

    def _prod(self, items: Iterable[Any], *, start: Any = 1) -> Any:
        total = start
        for item in self._counted(iter(items)):
            total = self.binop("*", total, item)
        return total

    def _lcm(self, *numbers: int) -> int:
        ints = [n for n in numbers if isinstance(n, int)]
        bits = sum(n.bit_length() for n in ints)
        self._expect(bits / 8)
        for n in ints:
            self.work(_div_ns(_limbs(n), _limbs(n)) + _mul_ns(_limbs(n), bits // _LIMB_BITS + 1))
        return math.lcm(*numbers)

    def _gcd(self, *numbers: int) -> int:
        for n in numbers:
            if isinstance(n, int):
                self.work(_div_ns(_limbs(n), _limbs(n)))
        return math.gcd(*numbers)

    def _isqrt(self, n: int) -> int:
        if isinstance(n, int):
            self.work(5 * _mul_ns(_limbs(n), _limbs(n)))
        return math.isqrt(n)

    def guarded_getattr(self, obj: Any, name: str, *default: Any) -> Any:
        try:
            # A missing attribute is an AttributeError, as in Python: RestrictedPython's
            # safer_getattr would answer None, so a misspelt name would pass silently.
            value = (safer_getattr(obj, name, *default) if default  # type: ignore[no-untyped-call]  # untyped
                     else safer_getattr_raise(obj, name))  # type: ignore[no-untyped-call]
        except NotImplementedError:
            # str.format / format_map / string.Formatter reach attributes through their
            # fields: the sandbox refuses them. Say so in the administrator's words.
            raise ScriptError(_("Script rechazado por el entorno seguro: no se permite «%(name)s» de textos; "
                                "use un f-string, por ejemplo f\"{nombre}\".") % {"name": name}) from None
        if name in _KEYED_METHODS and isinstance(obj, dict | set | list):
            return self._keyed(obj, value)
        if name in _WATCHED_METHODS and (
                isinstance(obj, str | bytes | bytearray | list | set | dict)
                or (name in ("count", "index") and isinstance(obj, tuple))
                or (name == "fromkeys" and obj in (dict, set, frozenset, list, str))):
            return self._watched(obj, name, value)
        return value

    def _keyed(self, obj: Any, method: Callable[..., Any]) -> Callable[..., Any]:
        """A method that hashes its first argument (`d.get(k)`, `s.add(x)`) or, on a list,
        compares it with the items (`remove`)."""
        def call(*args: Any, **kwargs: Any) -> Any:
            if isinstance(obj, list):
                self.deep(obj)
            elif args:
                self.hashing(args[0])
            return method(*args, **kwargs)
        return call

    def _watched(self, obj: Any, name: str, method: Callable[..., Any]) -> Callable[..., Any]:
        def call(*args: Any, **kwargs: Any) -> Any:
            if "key" in kwargs:  # list.sort(key=sum)
                kwargs["key"] = self.guarded_callable(kwargs["key"])
            if isinstance(obj, str | bytes | bytearray | list | tuple | set | dict):
                # Every method of these walks its object (or its key table) at least once.
                self.work((1 if isinstance(obj, str | bytes | bytearray) else 5) * len(obj))
            if name in ("extend", "update", "union", "intersection", "difference", "fromkeys",
                        "symmetric_difference", "intersection_update", "difference_update",
                        "symmetric_difference_update"):
                hashing = name != "extend"
                consumed = args[:1] if name == "fromkeys" else args  # fromkeys(keys, value)
                args = (*(self.consume(a, per_item_ns=30 if hashing else 5) for a in consumed),
                        *args[len(consumed):])
                if hashing:  # their items are hashed, to the bottom
                    for consumed_arg in args[:len(consumed)]:
                        self.deep(consumed_arg)
                self._expect((0 if isinstance(obj, type) else _size(obj)) + sum(_size(a) for a in args))
            elif name in ("count", "index") and isinstance(obj, list | tuple):
                self.deep(obj)  # compares its argument with every item, to the bottom
            elif name == "sort" and isinstance(obj, list):
                self.work(30 * len(obj) * max(1, len(obj).bit_length()))
                self.deep(obj)  # comparing two items walks them to the bottom
            elif name == "join" and args:
                items = args[0] if isinstance(args[0], list | tuple) else list(self.consume(args[0]))
                self.work(5 * len(items))
                try:
                    length = sum(map(len, items))
                except TypeError:
                    length = 0  # join itself refuses what is not a string
                self._expect(length + len(obj) * max(len(items) - 1, 0))
                args = (items, *args[1:])
            elif name in _PADDING and args and isinstance(args[0], int):
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
            if result is None:  # append, extend, insert, update...: the object grew
                self.check_size(obj)
                for arg in args:
                    self.account(arg)
            elif not isinstance(result, int | bool):
                self.account(result)
            return result
        return call

    def guards(self) -> dict[str, Any]:
        builtins = dict(_BASE_BUILTINS)
        builtins["range"] = self.guarded_range
        builtins["pow"] = self.guarded_pow
        builtins["math"] = self.math
        return {
            "__builtins__": builtins,
            "_getattr_": self.guarded_getattr,
            "_getitem_": self.getitem,
            "_cmpv_": self.compared,
            "_hashed_": self.hashing,
            "_getiter_": self.getiter,
            "_write_": full_write_guard,
            "_iter_unpack_sequence_": guarded_iter_unpack_sequence,
            "_unpack_sequence_": guarded_unpack_sequence,
            "_inplacevar_": self.inplacevar,
            "_apply_": self.call,
            "_call_": self.call,
            "_star_": self.starred,
            "_format_": self.format_value,
            "_tick_": self.tick,
            "_tickv_": self.tick_value,
            "_binop_": self.binop,
        }


# --- Compiling -------------------------------------------------------------------------------

_GUARDED_BINOPS: dict[type[ast.operator], str] = {
    ast.Mult: "*", ast.Pow: "**", ast.LShift: "<<", ast.Add: "+", ast.Mod: "%", ast.FloorDiv: "//",
}


_Node = TypeVar("_Node", bound=ast.AST)


def _located(node: _Node, like: ast.AST) -> _Node:
    for child in ast.walk(node):
        ast.copy_location(child, like)
    return node


def _call(name: str, args: list[ast.expr], like: ast.AST) -> ast.Call:
    return _located(ast.Call(func=ast.Name(name, ast.Load()), args=args, keywords=[]), like)


def _checked(guard: str, value: ast.expr) -> ast.expr:
    """`guard(value)`, except for a literal number or string (nothing to walk)."""
    if isinstance(value, ast.Constant):
        return value
    return _call(guard, [value], value)


def bound_names(tree: ast.AST) -> frozenset[str]:
    """Every name the code binds anywhere (assignment, `for`, `def`, argument, `as`...)."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load):
            names.add(node.id)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.arg):
            names.add(node.arg)
        elif isinstance(node, ast.alias):
            names.add((node.asname or node.name).split(".")[0])
        elif isinstance(node, ast.ExceptHandler | ast.MatchAs | ast.MatchStar) and node.name:
            names.add(node.name)
        elif isinstance(node, ast.MatchMapping) and node.rest:
            names.add(node.rest)
        elif isinstance(node, ast.Global | ast.Nonlocal):
            names.update(node.names)
    return frozenset(names)


class BudgetTransformer(RestrictingNodeTransformer):
    """RestrictedPython's checks plus the budget's counters. The nodes added here come
    after RestrictedPython visited the code, so its refusal of `_` names still applies
    to everything the diagram wrote."""

    _bound: frozenset[str] | None = None

    def visit(self, node: ast.AST) -> Any:
        if self._bound is None:  # the whole script or expression, before any of it is visited
            self._bound = bound_names(node)
        return super().visit(node)

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

    def visit_Call(self, node: ast.Call) -> Any:
        method = isinstance(node.func, ast.Attribute)  # `_getattr_` watches what it returns
        direct = isinstance(node.func, ast.Name) and node.func.id in DIRECT_CALLS - (self._bound or frozenset())
        visited = super().visit_Call(node)
        assert isinstance(visited, ast.Call)
        node = visited
        applied = isinstance(node.func, ast.Name) and node.func.id == "_apply_"  # f(*args): `_apply_` is `call`
        if not (method or direct or applied):
            node.args = [node.func, *node.args]
            node.func = _located(ast.Name("_call_", ast.Load()), node)
        return node

    def visit_Compare(self, node: ast.Compare) -> Any:
        visited = super().visit_Compare(node)
        assert isinstance(visited, ast.Compare)
        node = visited
        # Comparing two containers walks them in step, so it costs at most what one side
        # holds: one side of each pair is enough (the other where one is a literal).
        # `in` walks the container, or hashes its left side for a dict or set: both.
        values = [node.left, *node.comparators]
        guarded: set[int] = set()
        for i, op in enumerate(node.ops):
            if isinstance(op, ast.In | ast.NotIn):
                guarded.update((i, i + 1))
            elif not isinstance(op, ast.Is | ast.IsNot):
                guarded.add(i + 1 if isinstance(values[i], ast.Constant) else i)
        values = [_checked("_cmpv_", value) if i in guarded else value for i, value in enumerate(values)]
        node.left, node.comparators = values[0], values[1:]
        return node

    def visit_Set(self, node: ast.Set) -> Any:
        visited = super().visit_Set(node)
        assert isinstance(visited, ast.Set)
        visited.elts = [_checked("_hashed_", value) for value in visited.elts]
        return visited

    def visit_Dict(self, node: ast.Dict) -> Any:
        visited = super().visit_Dict(node)
        assert isinstance(visited, ast.Dict)
        visited.keys = [None if key is None else _checked("_hashed_", key) for key in visited.keys]
        return visited

    def visit_SetComp(self, node: ast.SetComp) -> Any:
        visited = super().visit_SetComp(node)
        assert isinstance(visited, ast.SetComp)
        visited.elt = _checked("_hashed_", visited.elt)
        return visited

    def visit_DictComp(self, node: ast.DictComp) -> Any:
        visited = super().visit_DictComp(node)
        assert isinstance(visited, ast.DictComp)
        visited.key = _checked("_hashed_", visited.key)
        return visited

    def visit_Subscript(self, node: ast.Subscript) -> Any:
        visited = super().visit_Subscript(node)
        if (isinstance(visited, ast.Subscript) and not isinstance(visited.ctx, ast.Load)
                and not isinstance(visited.slice, ast.Slice)):
            visited.slice = _checked("_hashed_", visited.slice)  # `d[key] = ...` hashes the key
        return visited

    def visit_Starred(self, node: ast.Starred) -> Any:
        visited = super().visit_Starred(node)
        assert isinstance(visited, ast.Starred)
        node = visited
        if isinstance(node.ctx, ast.Load):
            node.value = _call("_star_", [node.value], node)
        return node

    def visit_FormattedValue(self, node: ast.FormattedValue) -> Any:
        visited = super().visit_FormattedValue(node)
        assert isinstance(visited, ast.FormattedValue)
        node = visited
        spec: ast.expr = node.format_spec if node.format_spec is not None else ast.Constant("")
        args = [node.value, ast.Constant(node.conversion), spec]
        return _located(ast.FormattedValue(value=_call("_format_", args, node), conversion=-1,
                                           format_spec=None), node)
