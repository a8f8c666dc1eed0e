"""Budgets of diagram code: a script or expression that runs too long, too many operations
or builds a huge value is stopped, the step rolls back, and an incident names the element
and the budget in Spanish."""

from __future__ import annotations

import threading

import pytest

from engine.errors import BudgetExceeded
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
