"""Engine benchmark: what persistence and audit cost on top of SpiffWorkflow.

Run:  .venv/bin/python bench/engine.py            (all parts; writes docs/performance.md)
      .venv/bin/python bench/engine.py --quick    (fewer rounds, for a smoke run)

(a) SpiffWorkflow alone: a 5-user-task approval completed in memory.
(b) The same with the library's serialize + deserialize around every completion.
(c) The same through the engine service API (row lock, persistence, human-task rows,
    full audit) on SQLite and on a throwaway PostgreSQL cluster.
(d) One completion in an instance that already has 300 completed loop iterations.
(t) Throughput: two worker processes completing tasks on PostgreSQL at once.
Medians are in ms per task completion; ratios compare parts of the same run.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DIAGRAMS = Path(__file__).resolve().parent / "diagrams"
sys.path.insert(0, str(ROOT))

from bench.machine import describe  # noqa: E402 - after the path is set


def _spiff_parts(rounds: int) -> dict:
    from SpiffWorkflow.bpmn import BpmnWorkflow
    from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
    from SpiffWorkflow.spiff.parser.process import VALIDATOR, SpiffBpmnParser
    from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
    from SpiffWorkflow.util.task import TaskState

    parser = SpiffBpmnParser(validator=VALIDATOR)
    parser.add_bpmn_file(str(DIAGRAMS / "bench_approval.bpmn"))
    spec = parser.get_spec("bench_approval")
    serializer = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(SPIFF_CONFIG))

    def complete_one(wf):
        task = wf.get_tasks(state=TaskState.READY, manual=True)[0]
        task.set_data(decision="ok", by="bench")
        task.run()
        wf.do_engine_steps()

    in_memory, with_serial, sizes = [], [], []
    for _ in range(rounds):
        wf = BpmnWorkflow(spec)
        wf.do_engine_steps()
        for _ in range(5):
            t0 = time.perf_counter()
            complete_one(wf)
            in_memory.append(time.perf_counter() - t0)
        assert wf.is_completed()

        wf = BpmnWorkflow(spec)
        wf.do_engine_steps()
        state = serializer.serialize_json(wf)
        for _ in range(5):
            t0 = time.perf_counter()
            wf = serializer.deserialize_json(state)
            complete_one(wf)
            state = serializer.serialize_json(wf)
            with_serial.append(time.perf_counter() - t0)
            sizes.append(len(state))
        assert wf.is_completed()
    return {
        "a_ms": statistics.median(in_memory) * 1000,
        "b_ms": statistics.median(with_serial) * 1000,
        "b_state_bytes": int(statistics.median(sizes)),
    }


# --- Database parts (run in a child process per database) ------------------------------------


def _django_setup():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    os.environ["DEBUG"] = "1"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    # The engine is measured on its own: lanes resolve to (lane, instance unit) as in the
    # engine's tests, not through the portal's org tree (which these diagrams know nothing of).
    from engine.registry import DefaultLaneResolver, registry

    registry.lane_resolver = DefaultLaneResolver()


def _prepare():
    from django.contrib.auth import get_user_model

    from engine import services

    user, _ = get_user_model().objects.get_or_create(username="bench")
    for name in ("bench_approval", "bench_loop"):
        services.deploy(content=(DIAGRAMS / f"{name}.bpmn").read_bytes(), source=f"{name}.bpmn")
    return user


def _open_task_id(instance_id: int) -> int:
    from engine.models import HumanTask

    return HumanTask.objects.filter(instance_id=instance_id, state="open").values_list("pk", flat=True)[0]


def _db_parts(rounds: int, loop_iterations: int) -> dict:
    _django_setup()
    from django.db import connection

    from engine import services
    from engine.models import AuditEvent, ProcessInstance

    user = _prepare()
    # The baseline again, in this process, right before (c): the machine's speed drifts
    # between runs and processes, so each ratio compares figures taken side by side.
    baseline = _spiff_parts(rounds)
    round_trips = []
    with connection.cursor() as cursor:
        for _ in range(300):
            t0 = time.perf_counter()
            cursor.execute("SELECT 1")
            cursor.fetchone()
            round_trips.append(time.perf_counter() - t0)
    # Warm the spec cache and the connection.
    warm = services.start(key="bench_approval", org_unit="UGEL01", started_by=user)
    for _ in range(5):
        services.complete(task_id=_open_task_id(warm.pk), user=user, data={"decision": "ok"})

    per_completion = []
    for _ in range(rounds):
        inst = services.start(key="bench_approval", org_unit="UGEL01", started_by=user)
        for _ in range(5):
            task_id = _open_task_id(inst.pk)
            t0 = time.perf_counter()
            services.complete(task_id=task_id, user=user, data={"decision": "ok", "by": "bench"})
            per_completion.append(time.perf_counter() - t0)
        assert ProcessInstance.objects.get(pk=inst.pk).status == "completed"
    audit_per_instance = AuditEvent.objects.filter(instance=inst).count()
    profile = _profile_steps(user, rounds=max(20, rounds // 2))

    loop = services.start(key="bench_loop", org_unit="UGEL01", started_by=user)
    for _ in range(loop_iterations):
        services.complete(task_id=_open_task_id(loop.pk), user=user, data={"again": True})
    long_times = []
    for _ in range(30):
        task_id = _open_task_id(loop.pk)
        t0 = time.perf_counter()
        services.complete(task_id=task_id, user=user, data={"again": True})
        long_times.append(time.perf_counter() - t0)
    loop.refresh_from_db()
    return {
        "vendor": connection.vendor,
        "c_ms": statistics.median(per_completion) * 1000,
        "c_p95_ms": sorted(per_completion)[int(len(per_completion) * 0.95)] * 1000,
        "d_ms": statistics.median(long_times) * 1000,
        "d_state_bytes": len(loop.state),
        "audit_events_per_instance": audit_per_instance,
        "profile": profile,
        "b_ms": baseline["b_ms"],
        "select1_ms": statistics.median(round_trips) * 1000,
    }


def _profile_steps(user, rounds: int) -> dict:
    """Where a completion's time goes: wall time per engine phase, and statements sent."""
    import collections
    import functools

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from engine import persistence, services, step

    spent: dict[str, float] = collections.defaultdict(float)
    originals = {}

    def timed(module, name, label):
        original = getattr(module, name)
        originals[(module, name)] = original

        @functools.wraps(original)
        def wrapper(*args, **kwargs):
            t0 = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                spent[label] += time.perf_counter() - t0

        setattr(module, name, wrapper)

    timed(step, "lock_step_rows", "lock the instance row and its open task rows (2 queries)")
    timed(step, "load_workflow", "restore SpiffWorkflow state")
    timed(services, "run_engine", "SpiffWorkflow: complete task, engine steps, prune")
    timed(persistence, "dump_workflow", "serialize SpiffWorkflow state")
    timed(step, "persist", "persist (incl. serialize): task rows, instance, audit")
    instances = [services.start(key="bench_approval", org_unit="UGEL01", started_by=user).pk
                 for _ in range(rounds)]
    task_ids = [_open_task_id(pk) for pk in instances]
    spent.clear()
    connection.queries_log.clear()  # the log keeps 9,000 entries; start empty to count
    t0 = time.perf_counter()
    with CaptureQueriesContext(connection) as queries:
        for task_id in task_ids:
            services.complete(task_id=task_id, user=user, data={"decision": "ok"})
    total = time.perf_counter() - t0
    for (module, name), original in originals.items():
        setattr(module, name, original)
    n = len(task_ids)
    return {
        "total_ms": total / n * 1000,
        "phases_ms": {label: value / n * 1000 for label, value in spent.items()},
        "statements": len(queries.captured_queries) / n,
    }


def _throughput_worker(args) -> tuple[int, float]:
    instance_ids, user_id = args
    from django.contrib.auth import get_user_model
    from django.db import connection

    from engine import services

    connection.close()
    user = get_user_model().objects.get(pk=user_id)
    done = 0
    t0 = time.perf_counter()
    for pk in instance_ids:
        for _ in range(5):
            services.complete(task_id=_open_task_id(pk), user=user, data={"decision": "ok"})
            done += 1
    elapsed = time.perf_counter() - t0
    connection.close()
    return done, elapsed


def _throughput(instances: int, workers: int) -> dict:
    import multiprocessing as mp

    _django_setup()
    from django.db import connection

    from engine import services

    user = _prepare()
    ids = [services.start(key="bench_approval", org_unit="UGEL01", started_by=user).pk
           for _ in range(instances)]
    connection.close()
    chunks = [(ids[i::workers], user.pk) for i in range(workers)]
    ctx = mp.get_context("fork")
    t0 = time.perf_counter()
    with ctx.Pool(workers) as pool:
        results = pool.map(_throughput_worker, chunks)
    wall = time.perf_counter() - t0
    total = sum(done for done, _ in results)
    return {"vendor": connection.vendor, "workers": workers, "completions": total,
            "wall_s": wall, "per_second": total / wall}


def _child(args) -> None:
    if args.part == "db":
        result = _db_parts(args.rounds, args.loop)
    else:
        result = _throughput(args.instances, args.workers)
    print("RESULT " + json.dumps(result))


def _run_child(argv: list[str], env: dict) -> dict:
    out = subprocess.run(argv, env=env, capture_output=True, text=True, cwd=ROOT)
    for line in out.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[7:])
    raise RuntimeError(f"benchmark child failed:\n{out.stdout[-3000:]}\n{out.stderr[-3000:]}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--child", action="store_true")
    parser.add_argument("--part", default="db")
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--loop", type=int, default=300)
    parser.add_argument("--instances", type=int, default=200)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    if args.child:
        _child(args)
        return
    if args.quick:
        args.rounds, args.instances = 20, 20

    spiff = _spiff_parts(args.rounds)
    results: dict = {"spiff": spiff}
    py = sys.executable
    base = [py, str(Path(__file__).resolve()), "--child", "--rounds", str(args.rounds),
            "--loop", str(args.loop)]
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "DEBUG": "1", "VAR_DIR": tmp,
               "DATABASE_URL": f"sqlite:///{tmp}/bench.sqlite3", "LOG_LEVEL": "WARNING"}
        results["sqlite"] = _run_child(base, env)
    pg_wrapper = [py, str(ROOT / "scripts" / "throwaway_pg.py"), "--"]
    env = {**os.environ, "DEBUG": "1", "LOG_LEVEL": "WARNING"}
    env.pop("DATABASE_URL", None)
    try:
        results["postgresql"] = _run_child(pg_wrapper + base, env)
        results["throughput"] = _run_child(
            pg_wrapper + [py, str(Path(__file__).resolve()), "--child", "--part", "throughput",
                          "--instances", str(args.instances), "--workers", str(args.workers)], env)
    except RuntimeError as exc:
        print(f"PostgreSQL part failed or unavailable: {exc}", file=sys.stderr)

    report = _report(results, args)
    print(report)
    if not args.no_write and not args.quick:
        _write_doc(report)


def _report(r: dict, args) -> str:
    s = r["spiff"]
    lines = [
        f"Machine: {describe()}",
        f"Command: .venv/bin/python bench/engine.py (rounds={args.rounds}, loop={args.loop}, "
        f"throughput instances={args.instances}, workers={args.workers})",
        "",
        "| part | median ms / completion | notes |",
        "|---|---|---|",
        f"| (a) SpiffWorkflow in memory | {s['a_ms']:.3f} | 5-user-task approval |",
        f"| (b) + serialize/deserialize every step | {s['b_ms']:.3f} | "
        f"state {s['b_state_bytes']:,} bytes (spec included) |",
    ]
    for db in ("sqlite", "postgresql"):
        if db in r:
            d = r[db]
            lines.append(
                f"| (c) engine API on {db} | {d['c_ms']:.3f} | p95 {d['c_p95_ms']:.3f} ms; "
                f"{d['audit_events_per_instance']} audit events per instance |")
            lines.append(
                f"| (d) engine API on {db}, after {args.loop} loop iterations | {d['d_ms']:.3f} | "
                f"stored state {d['d_state_bytes']:,} bytes |")
    for db in ("sqlite", "postgresql"):
        if db in r and "profile" in r[db]:
            p = r[db]["profile"]
            lines += ["", f"Where a completion's time goes on {db} (mean of {args.rounds // 2} completions, "
                      f"{p['total_ms']:.3f} ms each, {p['statements']:.1f} SQL statements each incl. "
                      "BEGIN/COMMIT where the backend logs them):", "",
                      "| phase | ms |", "|---|---|"]
            for label, value in p["phases_ms"].items():
                lines.append(f"| {label} | {value:.3f} |")
            other = p["total_ms"] - sum(v for k, v in p["phases_ms"].items() if not k.startswith("serialize"))
            lines.append(f"| rest: BEGIN/COMMIT, Django's atomic, the service's own checks | {other:.3f} |")
    lines.append("")
    for db in ("sqlite", "postgresql"):
        if db in r:
            d = r[db]
            c_b = d["c_ms"] / d["b_ms"]
            d_c = d["d_ms"] / d["c_ms"]
            lines.append(f"- {db}: (c)/(b) = {c_b:.2f}x with (b) = {d['b_ms']:.3f} ms measured in the same "
                         f"process just before (c); (d)/(c) = {d_c:.2f}x; one `SELECT 1` round trip "
                         f"through Django = {d['select1_ms']:.3f} ms")
    if "postgresql" in r:
        d = r["postgresql"]
        lines.append(
            f"- target (c) on PostgreSQL within 4x (b): "
            f"{'met' if d['c_ms'] <= 4 * d['b_ms'] else 'MISSED'}; "
            f"(d) within 3x (c): {'met' if d['d_ms'] <= 3 * d['c_ms'] else 'MISSED'}")
    if "throughput" in r:
        t = r["throughput"]
        lines.append(
            f"- throughput on PostgreSQL, {t['workers']} worker processes: {t['per_second']:.0f} "
            f"completions/s ({t['completions']} in {t['wall_s']:.2f} s); target 250/s: "
            f"{'met' if t['per_second'] >= 250 else 'MISSED'}")
    return "\n".join(lines)


def _write_doc(report: str) -> None:
    doc = ROOT / "docs" / "performance.md"
    marker_start, marker_end = "<!-- bench/engine.py:start -->", "<!-- bench/engine.py:end -->"
    block = (f"{marker_start}\n## Engine (bench/engine.py)\n\nMeasured {time.strftime('%Y-%m-%d')}.\n\n"
             f"{report}\n{marker_end}")
    text = doc.read_text() if doc.exists() else "# Performance\n\nFigures from the scripts in bench/.\n\n"
    if marker_start in text:
        head, rest = text.split(marker_start, 1)
        tail = rest.split(marker_end, 1)[1] if marker_end in rest else ""
        text = head + block + tail
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    doc.parent.mkdir(exist_ok=True)
    doc.write_text(text)


if __name__ == "__main__":
    main()
