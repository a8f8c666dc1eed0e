"""Script budget benchmark: what the budget's counters and guards cost a typical script.

Run:  DEBUG=1 .venv/bin/python bench/budgets.py           (writes its section of docs/performance.md)
      DEBUG=1 .venv/bin/python bench/budgets.py --quick   (fewer rounds, prints only)

The same script, a few hundred operations of the kind diagrams run (building a dict,
formatting strings, a loop of 1000 with arithmetic and appends), is compiled twice:
(a) with plain RestrictedPython and its usual guards, no budget, the baseline;
(b) with the engine's BudgetTransformer and a fresh Budget per run, as script tasks run.
Median microseconds per run; the ratio compares the two in the same run.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import re
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
os.environ.setdefault("DEBUG", "1")

import django  # noqa: E402

django.setup()

from RestrictedPython import compile_restricted_exec  # noqa: E402
from RestrictedPython.Guards import (  # noqa: E402
    full_write_guard,
    guarded_iter_unpack_sequence,
    guarded_unpack_sequence,
    safe_builtins,
    safer_getattr,
)

from bench.machine import describe  # noqa: E402
from engine.budgets import Budget, BudgetTransformer  # noqa: E402
from engine.conf import script_limits  # noqa: E402

SCRIPT = '''
alumnos = {}
for n in range(1000):
    codigo = f"{n:06d}"
    nota = (n * 7) % 21
    alumnos[codigo] = {"nota": nota, "aprobado": nota >= 11}
aprobados = [c for c, a in alumnos.items() if a["aprobado"]]
resumen = "Aprobados: %d de %d" % (len(aprobados), len(alumnos))
promedio = round(sum(a["nota"] for a in alumnos.values()) / len(alumnos), 2)
lineas = []
for codigo in aprobados[:50]:
    lineas.append(codigo.rjust(8) + " " + str(alumnos[codigo]["nota"]))
texto = "\\n".join(lineas)
'''


def _plain_globals() -> dict:
    def inplacevar(op: str, x, y):
        return {"+=": x.__add__, "-=": x.__sub__, "*=": x.__mul__}[op](y)
    return {"__builtins__": {**safe_builtins, "sum": sum, "list": list, "dict": dict},
            "_getattr_": safer_getattr, "_getitem_": lambda o, k: o[k], "_getiter_": iter,
            "_write_": full_write_guard, "_iter_unpack_sequence_": guarded_iter_unpack_sequence,
            "_unpack_sequence_": guarded_unpack_sequence, "_inplacevar_": inplacevar}


def _time(run, rounds: int) -> list[float]:
    samples = []
    for _ in range(rounds):
        started = time.perf_counter()
        run()
        samples.append((time.perf_counter() - started) * 1e6)
    return samples


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    rounds = 30 if args.quick else 300
    plain = compile_restricted_exec(SCRIPT)
    budgeted = compile_restricted_exec(SCRIPT, policy=BudgetTransformer)
    assert not plain.errors and not budgeted.errors, (plain.errors, budgeted.errors)
    limits = script_limits()

    def run_plain() -> None:
        exec(plain.code, _plain_globals())  # noqa: S102 - the bench's own script

    def run_budgeted() -> None:
        budget = Budget(limits)
        exec(budgeted.code, budget.guards())  # noqa: S102 - the bench's own script
        budget.settle()

    spent = Budget(limits)
    exec(budgeted.code, spent.guards())  # noqa: S102 - the bench's own script
    operations = limits.operations - spent.left
    # Interleave the two so drift on a shared machine hits both alike.
    a: list[float] = []
    b: list[float] = []
    for _ in range(3):
        a += _time(run_plain, rounds // 3)
        b += _time(run_budgeted, rounds // 3)
    ma, mb = statistics.median(a), statistics.median(b)
    report = "\n".join([
        "<!-- bench/budgets.py:start -->",
        "## Script budgets (bench/budgets.py)",
        "",
        f"Measured {dt.datetime.now(tz=dt.UTC).date().isoformat()}.",
        "",
        f"Machine: {describe()}",
        f"Command: DEBUG=1 .venv/bin/python bench/budgets.py (rounds={rounds})",
        "",
        f"A typical script (a dict of 1000 entries built in a loop, f-strings, `%`, a comprehension, "
        f"`sum`, 50 `rjust` and appends, a join): {operations:,} operations charged of "
        f"{limits.operations:,}.",
        "",
        "| part | median µs / run | p90 µs |",
        "|---|---|---|",
        f"| (a) plain RestrictedPython, no budget | {ma:,.0f} | {statistics.quantiles(a, n=10)[-1]:,.0f} |",
        f"| (b) engine: budget counters and guards | {mb:,.0f} | {statistics.quantiles(b, n=10)[-1]:,.0f} |",
        "",
        f"Ratio (b)/(a): {mb / ma:.2f}.",
        "<!-- bench/budgets.py:end -->",
    ])
    print(report)
    if not args.quick:
        path = ROOT / "docs" / "performance.md"
        text = path.read_text(encoding="utf-8")
        pattern = re.compile(r"<!-- bench/budgets.py:start -->.*?<!-- bench/budgets.py:end -->", re.S)
        if pattern.search(text):
            text = pattern.sub(lambda _m: report, text)
        else:
            text = text.rstrip("\n") + "\n\n" + report + "\n"
        path.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
