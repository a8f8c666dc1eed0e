"""Budgets of diagram code: a script or expression that runs too long, too many operations
or builds a huge value is stopped, the step rolls back, and an incident names the element
and the budget in Spanish."""

from __future__ import annotations

import threading
import time

import pytest

from engine.errors import BudgetExceeded, ScriptError
from engine.models import Incident, InstanceStatus
from engine.runtime import SCRIPT_ENGINE

from .conftest import open_task, open_tasks
from .constructs import task_data
from .test_safety import diagram, run_to_calc, xml_text

pytestmark = pytest.mark.django_db


@pytest.fixture
def budgets(settings):
    """Small budgets so an overrun is reached in milliseconds."""
    def set_budgets(**values):
        settings.ENGINE = {**settings.ENGINE, **values}
    set_budgets(SCRIPT_MAX_OPERATIONS=20_000, SCRIPT_MAX_SECONDS=30, SCRIPT_MAX_VALUE_BYTES=100_000)
    return set_budgets


def incident_of(inst) -> Incident:
    inst.refresh_from_db()
    assert inst.status == InstanceStatus.INCIDENT
    return Incident.objects.get(instance=inst, resolved_at__isnull=True)


def assert_rolled_back(inst) -> None:
    assert [t.element_id for t in open_tasks(inst)] == ["fill"]


def test_endless_while_loop_ends_at_the_operations_budget(user, budgets):
    """`while True` in a script task stops at SCRIPT_MAX_OPERATIONS: the step rolls back and the
    incident names the script and the budget."""
    inst, _fill, failed = run_to_calc(diagram(script=xml_text("x = 0\nwhile True:\n    x = x + 1")), user)
    assert failed is not None
    incident = incident_of(inst)
    assert incident.element_id == "calc"
    assert incident.message == ("El script de «Calcular promedio» superó el límite de 20.000 operaciones "
                                "(SCRIPT_MAX_OPERATIONS).")
    assert_rolled_back(inst)


@pytest.mark.parametrize("script", [
    "for i in range(300_000_000):\n    x = i",
    "x = sum(range(300_000_000))",
    "x = [i for i in 'abc' * 10_000]",
    "def f(n):\n    return f(n - 1) + f(n - 1) if n else 1\nx = f(60)",
    "f = lambda n: f(n - 1) + f(n - 1) if n else 1\nx = f(60)",
    "x = 0\nfor i in range(100):\n    for j in range(100):\n        for k in range(100):\n            x += 1",
    "r = range(15_000)\nfor a in r:\n    for b in r:\n        pass",
    "x = [len(list(range(10_000))) for i in range(10)]",
])
def test_operation_heavy_scripts_end_at_the_operations_budget(user, budgets, script):
    """Loops, comprehensions, recursion and C-consumed ranges all count against the same budget."""
    inst, _fill, failed = run_to_calc(diagram(script=xml_text(script)), user)
    assert failed is not None
    incident = incident_of(inst)
    assert "20.000 operaciones" in incident.message and "«Calcular promedio»" in incident.message
    assert_rolled_back(inst)


def test_slow_script_ends_at_the_time_budget(user, budgets):
    """With a huge operations budget, the wall-clock budget still ends an endless loop."""
    budgets(SCRIPT_MAX_OPERATIONS=10**12, SCRIPT_MAX_SECONDS=0.3)
    inst, _fill, failed = run_to_calc(diagram(script=xml_text("x = 0\nwhile True:\n    x = x + 1")), user)
    assert failed is not None
    incident = incident_of(inst)
    assert incident.message == ("El script de «Calcular promedio» superó el límite de 0,3 segundos "
                                "(SCRIPT_MAX_SECONDS).")
    assert_rolled_back(inst)


@pytest.mark.parametrize("script", [
    "x = 'a' * 10**9",
    "x = 10**10**8",
    "x = pow(10, 10**8)",
    "x = 1 << 10**9",
    "x = [0] * 10**9",
    "x = (0,) * 10**9",
    "x = 'ab'\nfor i in range(40):\n    x = x + x",
    "x = 'ab'\nfor i in range(40):\n    x += x",
    "x = [1]\nfor i in range(40):\n    x.extend(x)",
    "x = ','.join(['abcdefghij'] * 20_000)",
    "x = 'a'.ljust(10**9)",
    "x = 'a'.zfill(10**9)",
    "x = ('a' * 1000).replace('a', 'b' * 1000)",
    "x = '%1000000000d' % 1",
    "x = '%*d' % (10**9, 1)",
    "x = 2\nx **= 10**8",
])
def test_huge_values_are_refused(user, budgets, script):
    """A value over SCRIPT_MAX_VALUE_BYTES is refused before it is built (or right after, for
    values grown step by step)."""
    inst, _fill, failed = run_to_calc(diagram(script=xml_text(script)), user)
    assert failed is not None
    incident = incident_of(inst)
    assert incident.message == ("El script de «Calcular promedio» superó el límite de 100.000 bytes por "
                                "valor (SCRIPT_MAX_VALUE_BYTES).")
    assert_rolled_back(inst)


def test_task_data_over_the_cap_is_not_stored(user, budgets):
    """Many values each under the cap but together over it: the task data is refused before it is
    stored."""
    script = "x = []\nfor i in range(30):\n    x.append('a' * 4000)"
    inst, _fill, failed = run_to_calc(diagram(script=xml_text(script)), user)
    assert failed is not None
    incident = incident_of(inst)
    assert incident.message == ("El script de «Calcular promedio» superó el límite de 100.000 bytes de "
                                "datos de la tarea (SCRIPT_MAX_VALUE_BYTES).")
    assert_rolled_back(inst)


def test_task_data_of_shared_containers_is_measured_without_being_built(user, budgets):
    """Three small lists, each holding the previous one a thousand times: a few kilobytes in
    memory, but a billion items as JSON (3 GB). The task data is refused at the cap within a
    second instead of being encoded whole (review finding M2)."""
    script = "def build():\n    t1 = [0] * 1000\n    t2 = [t1] * 1000\n    return [t2] * 1000\nt3 = build()"
    started = time.monotonic()
    inst, _fill, failed = run_to_calc(diagram(script=xml_text(script)), user)
    assert time.monotonic() - started < 5
    assert failed is not None
    incident = incident_of(inst)
    assert incident.message == ("El script de «Calcular promedio» superó el límite de 100.000 bytes de "
                                "datos de la tarea (SCRIPT_MAX_VALUE_BYTES).")
    assert_rolled_back(inst)


def test_shared_containers_under_the_cap_are_stored(user, budgets):
    """The chunked measure is exact: shared lists whose JSON fits are kept as they print."""
    script = "t1 = [1] * 50\nt2 = [t1] * 50\ns = 0"
    inst, _fill, failed = run_to_calc(diagram(script=xml_text(script)), user, {"total": 0})
    assert failed is None, failed
    assert task_data(open_task(inst, "redo"))["t2"] == [[1] * 50] * 50


def test_many_values_under_the_cap_are_refused_in_total(user, budgets):
    """Fresh values each under the cap still count: a run builds at most ten times the cap in
    all (a list of many large fresh strings would exhaust memory otherwise)."""
    script = "x = []\nfor i in range(2000):\n    x.append('a' * 1000)"
    inst, _fill, failed = run_to_calc(diagram(script=xml_text(script)), user)
    assert failed is not None
    incident = incident_of(inst)
    assert incident.message == ("El script de «Calcular promedio» superó el límite de 1.000.000 bytes "
                                "construidos en total (10 × SCRIPT_MAX_VALUE_BYTES).")
    assert_rolled_back(inst)


def test_condition_over_budget_names_the_gateway(user, budgets):
    """A gateway condition has a budget too; the incident names the gateway."""
    inst, _fill, failed = run_to_calc(diagram(condition=xml_text("sum(range(10**9)) > 0")), user)
    assert failed is not None
    incident = incident_of(inst)
    assert incident.element_id == "decide"
    assert incident.message == ("La expresión de «¿Aprobado?» superó el límite de 20.000 operaciones "
                                "(SCRIPT_MAX_OPERATIONS).")
    assert_rolled_back(inst)


def test_scripts_within_budget_work(user, budgets):
    """Work under the budgets runs normally, including loops that use most of it."""
    script = "t = 0\nfor i in range(15_000):\n    t += i\nx = 'ab' * 1000"
    inst, _fill, failed = run_to_calc(diagram(script=xml_text(script)), user, {"total": 0})
    assert failed is None, failed
    data = task_data(open_task(inst, "redo"))
    assert data["t"] == sum(range(15_000)) and len(data["x"]) == 2000


def test_budget_works_in_a_thread(budgets):
    """The budget is counted by the code itself, so it stops a script run outside the main
    thread (the worker may run steps in threads; a signal-based alarm could not)."""
    outcome: list[BaseException | None] = []

    def run() -> None:
        try:
            SCRIPT_ENGINE.environment.execute("x = 0\nwhile True:\n    x = x + 1", {})
            outcome.append(None)
        except BaseException as exc:  # noqa: BLE001 - the test inspects it
            outcome.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(timeout=60)
    assert not thread.is_alive()
    [exc] = outcome
    assert isinstance(exc, BudgetExceeded) and "operaciones" in str(exc)


def run_script(source: str) -> None:
    """Run `source` as a script task's code, with the budgets of the `budgets` fixture."""
    SCRIPT_ENGINE.environment.execute(source, {})


def assert_refused_quickly(source: str, budget: str) -> None:
    started = time.monotonic()
    with pytest.raises(BudgetExceeded) as raised:
        run_script(source)
    assert budget in raised.value.limit
    assert time.monotonic() - started < 2


@pytest.mark.parametrize("script", [
    "x = math.factorial(10**7)",
    "x = math.comb(10**7, 5 * 10**6)",
    "x = math.perm(10**7, 5 * 10**6)",
    "x = 1 << 10**10",
    "x = 1\nx <<= 10**10",
    "a = 1 << 450_000\nx = a * a",
    "a = 1 << 450_000\nx = a\nx *= a",
])
def test_huge_integers_are_refused_before_they_are_computed(budgets, script):
    """An integer result over SCRIPT_MAX_VALUE_BYTES (factorials, combinations, shifts, products
    of big integers, in-place operators too) is refused at once, without computing it."""
    assert_refused_quickly(script, "bytes por valor")


@pytest.mark.parametrize("script", [
    "a = 10**90_000\nx = a * a",
    "a = (1 << 400_000) - 1\nx = a // ((1 << 200_000) - 3)",
    "a = (1 << 400_000) - 1\nx = a % ((1 << 200_000) - 3)",
    "a = (1 << 400_000) - 1\nx = divmod(a, (1 << 200_000) - 3)",
    "x = pow(3, 1 << 100_000, (1 << 400_000) - 1)",
    "x = math.prod([10**1000] * 2000)",
    "x = math.lcm(*range(1, 200_000))",
    "x = math.isqrt(10**90_000)",
    "x = 10**5000\nx = x**30",
    "x = sum([1 << 600_000] * 10_000)",
    "big = [1 << 600_000] * 10_000\nx = sum(i for i in big)",
])
def test_long_integer_work_is_charged_to_the_operations_budget(budgets, script):
    """Big-integer work done in one C call (multiplying, dividing, modular powers, products)
    costs operations in proportion to its work, charged before it starts: a single call cannot
    run for seconds."""
    assert_refused_quickly(script, "20.000 operaciones")


@pytest.mark.parametrize("script", [
    'x = f"{1:>1000000000}"',
    'w = 10**9\nx = f"{1:>{w}}"',
    'x = f"{1.0:.1000000000f}"',
    "x = '%.1000000000f' % 1.0",
    "s = 'a' * 90_000\nx = str([s] * 1000)",
    "s = 'a' * 90_000\nx = f'{[s] * 1000}'",
    "s = 'a' * 90_000\nx = '%s' % ([s] * 1000,)",
    "x = ','.join(['a' * 90_000] * 1000)",
    "x = [*('a' * 90_000)]",
    "x = list('a' * 90_000)",
    "x = sorted('a' * 90_000)",
    "x = sum([[0] * 1000] * 1000, [])",
    "x = 'a' * 60_000 + 'b' * 60_000",
])
def test_texts_and_copies_over_the_cap_are_refused_before_they_are_built(budgets, script):
    """f-string widths and precisions, the text of containers that repeat a big string, joins,
    star unpacking and copies are checked against SCRIPT_MAX_VALUE_BYTES before they are built."""
    assert_refused_quickly(script, "bytes por valor")


@pytest.mark.parametrize("script", [
    "x = ''.join(str(i) for i in range(10**8))",
    "x = dict.fromkeys(range(10**8))",
    "x = dict.fromkeys('a' * 90_000)",
    "x = sorted(range(10**9))",
    "x = tuple(range(10**9))",
    "x = [*range(10**9)]",
    "x = [0] * 1000\nx.extend(range(10**8))",
    "x = set()\nx.update(range(10**8))",
    "x = set()\nx.update('ab' * 40_000)",
    "x = {}\nx.update(dict.fromkeys(range(10**7)))",
    "x = [3, 1, 2] * 4000\nx.sort()",
])
def test_containers_are_charged_by_what_they_process(budgets, script):
    """Container constructors and methods that consume an iterable in C are charged one
    operation per item (more for hashing and sorting) before they run."""
    assert_refused_quickly(script, "20.000 operaciones")


@pytest.mark.parametrize("script", [
    "s = sum\nx = s([1 << 600_000] * 10_000)",
    "x = sum(*[[1 << 600_000] * 10_000])",
    "f = [sorted][0]\nx = f(range(10**9))",
    "def g(h):\n    return h(range(10**9))\nx = g(tuple)",
    "x = list(map(sum, [[1 << 600_000] * 10_000]))",
    "big = [[1 << 600_000] * 10_000]\nx = max(big, key=sum)",
    "big = [[1 << 600_000] * 10_000]\nx = sorted(big, key=sum)",
    "big = [[1 << 600_000] * 10_000]\nbig.sort(key=sum)",
    "x = list(filter(sum, [[1 << 600_000] * 10_000]))",
])
def test_guarded_builtins_are_guarded_under_any_name(budgets, script):
    """A guarded builtin stays guarded when the script reaches it by an alias, a container,
    a parameter, a `*args` call or by handing it to C code that calls it back (`map`, a sort
    key): review finding M1."""
    assert_refused_quickly(script, "20.000 operaciones")


def test_a_builtin_name_the_script_rebinds_is_still_guarded(budgets):
    """`len = sum` makes `len(...)` a call of `sum`: a rebound builtin name is not trusted."""
    assert_refused_quickly("len = sum\nx = len([1 << 600_000] * 10_000)", "20.000 operaciones")


DOUBLED = "def doubled(n):\n    t = ()\n    for i in range(n):\n        t = (t, t)\n    return t\n"
DOUBLED_LISTS = "def doubled(n):\n    t = []\n    for i in range(n):\n        t = [t, t]\n    return t\n"


@pytest.mark.parametrize("script", [
    DOUBLED + "x = hash(doubled(60))",
    DOUBLED + "x = doubled(60) == doubled(60)",
    DOUBLED + "x = doubled(60) < doubled(60)",
    DOUBLED + "x = doubled(60) in [doubled(60)]",
    DOUBLED + "x = len({doubled(60)})",
    DOUBLED + "x = len({doubled(60): 1})",
    DOUBLED + "d = {}\nd[doubled(60)] = 1",
    DOUBLED + "d = {}\nx = d.get(doubled(60))",
    DOUBLED + "s = set()\ns.add(doubled(60))",
    DOUBLED + "s = set()\ns.update([doubled(60)])",
    DOUBLED + "x = 0 == doubled(60)",
    DOUBLED + "x = 1 < 2 < doubled(60)",
    DOUBLED + "x = len(set([doubled(60)]))",
    DOUBLED + "x = len(set(t for t in [doubled(60)]))",
    DOUBLED + "x = len({t for t in [doubled(60)]})",
    DOUBLED + "x = len({t: 0 for t in [doubled(60)]})",
    DOUBLED + "x = max(doubled(60), doubled(60))",
    DOUBLED + "x = max(t for t in [doubled(60), doubled(60)])",
    DOUBLED + "x = sorted(t for t in [doubled(60), doubled(60)])",
    DOUBLED + "x = len(dict((t, 1) for t in [doubled(60)]))",
    DOUBLED + "x = sorted([doubled(60), doubled(60)])",
    DOUBLED + "x = [doubled(60), doubled(60)]\nx.sort()",
    DOUBLED + "x = (doubled(60),).count(doubled(60))",
    DOUBLED + "x = (doubled(60),).index(doubled(60))",
    DOUBLED_LISTS + "x = [doubled(60)].count(doubled(60))",
    DOUBLED_LISTS + "x = [doubled(60)].index(doubled(60))",
    DOUBLED_LISTS + "x = [doubled(60)]\nx.remove(doubled(60))",
    "a = (0,) * 10_000\nb = (a,) * 10_000\nx = hash(b)",
])
def test_hashing_or_comparing_shared_containers_is_charged_before_it_starts(budgets, script):
    """A tuple of two copies of itself, sixty times over, is sixty small tuples in memory,
    but hashing or comparing it visits 2**60 items in one C call that nothing could stop.
    Every hash and comparison of a container is charged by what it will visit, measured
    without visiting it twice over, and refused within a second (review finding M2)."""
    assert_refused_quickly(script, "20.000 operaciones")


def test_shared_containers_print_and_store_within_a_second(budgets):
    """str() of, and the task data left by, a deeply shared value are measured in what the
    value holds, not in what it prints: both are refused at the cap at once."""
    started = time.monotonic()
    assert_refused_quickly(DOUBLED_LISTS + "x = str(doubled(60))", "bytes por valor")
    with pytest.raises(BudgetExceeded) as raised:
        run_script(DOUBLED_LISTS + "x = doubled(60)")
    assert "bytes de datos de la tarea" in raised.value.limit
    assert time.monotonic() - started < 1


def test_comparisons_and_hashes_of_plain_values_keep_their_results(budgets):
    """The guards on comparisons, hashes, keys and calls change no result."""
    context: dict = {}
    SCRIPT_ENGINE.environment.execute(
        "rows = [[i, str(i)] for i in range(50)]\n"
        "a = [[3, 'x'] in rows, [3, '3'] in rows, rows[3] == [3, '3'], (1, 2) < (1, 3), 1 < 2 < 3 > 2]\n"
        "d = {(1, 2): 'p'}\nd[(3, 4)] = 'q'\nb = [d[(1, 2)], d.get((3, 4)), d.pop((1, 2)), len(d)]\nd = None\n"
        "s = {(1, 2), (1, 2)}\ns.add((5,))\ns.discard((5,))\nc = len(s) + len({k: 0 for k in [(1,), (1,)]})\n"
        "e = [min(3, 5), max(2, 9, 4), max(['a', 'bbb'], key=len), sorted(['b', 'A'], key=str.lower)]\n"
        "s = sum\nf = [s([1, 2]), list(map(str, [1, 2])), list(filter(None, [0, 1])), hash((1, 2)) == hash((1, 2))]\n"
        "s = None\n"
        "g = [rows.count([1, '1']), rows.index([2, '2'])]\nrows.remove([0, '0'])\nh = len(rows)\nrows = None\n",
        context)
    assert context["a"] == [False, True, True, True, True]
    assert context["b"] == ["p", "q", "p", 1]
    assert context["c"] == 2
    assert context["e"] == [3, 9, "bbb", ["A", "b"]]
    assert context["f"] == [3, ["1", "2"], [1], True]
    assert context["g"] == [1, 2] and context["h"] == 49


def test_str_format_stays_refused(budgets):
    """str.format and format_map stay refused by the sandbox (they can reach attributes), so
    their widths (`"{:>{w}}".format(x, w=10**9)`) cannot build anything."""
    for script, name in [("x = '{:>{w}}'.format(1, w=10**9)", "format"),
                         ("x = '{:>1000000000}'.format_map({})", "format_map")]:
        with pytest.raises(ScriptError) as refused:
            run_script(script)
        assert str(refused.value) == (f"Script rechazado por el entorno seguro: no se permite «{name}» de textos; "
                                      'use un f-string, por ejemplo f"{nombre}".')


def test_guarded_builtins_keep_their_results(budgets):
    """The checks change no result: math, f-strings, sorting, sums, joins, star calls and the
    in-place shift all give what plain Python gives."""
    context: dict = {}
    SCRIPT_ENGINE.environment.execute(
        "a = math.factorial(20) + math.comb(10, 3) + math.perm(5, 2) + math.isqrt(99) + math.gcd(12, 18)\n"
        "b = f'{3!r:>5}|{2.5:.2f}|{\"x\":{\"*\"}^{5}}'\n"
        "c = [sorted([3, 1, 2]), list(tuple('ab')), sum([1, 2], 10), str([1, 'a'])]\n"
        "def f(*args, **kwargs):\n    return len(args) + len(kwargs)\n"
        "d = [f(*[1, 2], **{'k': 3}), *[4], *'z']\n"
        "e = ','.join(str(i) for i in range(4)) + '%05d' % 42\n"
        "g = 1\ng <<= 3\ng ^= 1\n"
        "h = divmod(17, 5)[0] + 2**10 + pow(3, 4, 5) + math.prod([2, 3]) + math.lcm(4, 6)\n"
        "s = set()\ns.update([1, 2])\nk = sorted(dict.fromkeys(['q'], 0)) + sorted(s)\ns = None\n",
        context)
    assert context["a"] == 2432902008176640000 + 120 + 20 + 9 + 6
    assert context["b"] == "    3|2.50|**x**"
    assert context["c"] == [[1, 2, 3], ["a", "b"], 13, "[1, 'a']"]
    assert context["d"] == [3, 4, "z"]
    assert context["e"] == "0,1,2,300042"
    assert context["g"] == 9 and context["h"] == 3 + 1024 + 1 + 6 + 12
    assert context["k"] == ["q", 1, 2]


@pytest.mark.parametrize("script", [
    "try:\n    x = 'a' * 10**9\nexcept Exception:\n    pass\ny = 1",
    "x = 0\ntry:\n    while True:\n        x += 1\nexcept Exception:\n    x = -1",
    "def f():\n    try:\n        return math.factorial(10**7)\n    except Exception:\n        return 0\nx = f()",
])
def test_an_overrun_the_script_swallows_still_fails_the_run(user, budgets, script):
    """A script that catches the budget's exception and carries on still fails: the overrun
    sticks to the run, the step rolls back and the incident names the budget."""
    inst, _fill, failed = run_to_calc(diagram(script=xml_text(script)), user)
    assert failed is not None
    incident = incident_of(inst)
    assert incident.element_id == "calc"
    assert "superó el límite de" in incident.message
    assert_rolled_back(inst)


def test_a_swallowed_overrun_keeps_failing_inside_the_run(budgets):
    """Once the operations budget is spent, every further operation fails again: a loop that
    swallows the exception cannot keep running."""
    budgets(SCRIPT_MAX_OPERATIONS=1000)
    started = time.monotonic()
    with pytest.raises(BudgetExceeded):
        run_script("n = 0\nwhile True:\n    try:\n        n += 1\n    except Exception:\n        pass")
    assert time.monotonic() - started < 2


def test_huge_f_string_becomes_an_incident_naming_the_script(user, budgets):
    """Through the engine, an f-string width over the cap is an incident naming the element
    and the budget in Spanish."""
    inst, _fill, failed = run_to_calc(diagram(script=xml_text('x = f"{1:>1000000000}"')), user)
    assert failed is not None
    assert incident_of(inst).message == ("El script de «Calcular promedio» superó el límite de "
                                         "100.000 bytes por valor (SCRIPT_MAX_VALUE_BYTES).")
    assert_rolled_back(inst)


def test_the_clock_is_read_within_32_operations(budgets):
    """The time budget is checked at least every 32 operations: a loop whose every round
    spends milliseconds in one uncharged C call (comparing two long lists) stops soon after
    the deadline, not a thousand rounds later."""
    budgets(SCRIPT_MAX_OPERATIONS=10**12, SCRIPT_MAX_SECONDS=0.2, SCRIPT_MAX_VALUE_BYTES=10**8)
    started = time.monotonic()
    with pytest.raises(BudgetExceeded) as raised:
        run_script("x = [0] * 1_000_000\nz = [0] * 1_000_000\nwhile True:\n    y = x == z")
    assert "0,2 segundos" in raised.value.limit
    assert time.monotonic() - started < 1


def test_a_misspelt_attribute_is_an_error_not_none(budgets):
    """`"abc".uper()` fails as in Python instead of calling None (RestrictedPython's getattr
    answers None for a missing attribute), and `math` offers only the listed functions."""
    context: dict = {}
    SCRIPT_ENGINE.environment.execute(
        "try:\n    x = 'abc'.uper()\nexcept AttributeError:\n    x = 'error'\n"
        "try:\n    y = math.sumprod\nexcept AttributeError:\n    y = 'error'\n"
        "z = [math.floor(2.5), math.sqrt(16.0), round(math.pi, 2)]\n",
        context)
    assert context == {"x": "error", "y": "error", "z": [2, 4.0, 3.14]}
