"""Inbox benchmark: the officer's inbox (`/bandeja/`) with a country's worth of open tasks.

Run:  .venv/bin/python bench/inbox.py                  (1,000,000 open tasks; writes docs/performance.md)
      .venv/bin/python bench/inbox.py --tasks 20000    (a quick check; writes nothing)

A throwaway PostgreSQL cluster (scripts/throwaway_pg.py) is migrated and filled with a
country-scale org tree (the 26 DRE/GRE, ~220 UGELs of uneven size, 20,000 IEs) and N
open human tasks with one process instance each, bulk-loaded with COPY: the rows are
written straight into the engine's tables, not through the engine (which would take
hours and measure something else; bench/engine.py measures the engine). Tasks sit at
IEs (director_ie, personal_ie), UGELs (the four UGEL roles), DREs and MINEDU offices,
across eight process keys; some are overdue, some have no due date, some are claimed.
Then VACUUM ANALYZE, and for officers of different load, 200 timed requests each after
a warm-up:
(q) the inbox queries, as `portal.work.views.inbox.inbox` runs them: the user's scope, the
    per-process counts (`selectors.inbox_counts`), and for both the "claimed by me" and the
    "unclaimed" lists (`selectors.inbox(scope, held=True/False)`) the paginator's COUNT
    and the first page of 25 rows, evaluated;
(p) the whole page: GET /bandeja/ through Django's test Client (force_login), from
    request to rendered HTML response; reported as not available while the URL name
    `work:inbox` does not resolve.
The baseline, in the same process: one `SELECT 1` round trip and one primary-key fetch of
a task through the ORM, so the figures can be read as ratios on a noisy machine.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.machine import describe  # noqa: E402 - after the path is set

SEED = 2026
REQUESTS = 200
WARMUP = 20
TARGET_QUERY_MS = 30.0
TARGET_PAGE_MS = 80.0

from bench.inbox_load import build_tree, django_setup, load_tasks, vacuum  # noqa: E402
from bench.inbox_load import officers as bench_officers  # noqa: E402

# --- Measuring -------------------------------------------------------------------------------


def _percentiles(samples: list[float]) -> dict:
    ordered = sorted(samples)
    return {"p50": statistics.median(ordered) * 1000,
            "p95": ordered[min(len(ordered) - 1, math.ceil(len(ordered) * 0.95) - 1)] * 1000}


def _timed(fn, requests: int) -> dict:
    for _ in range(WARMUP):
        fn()
    samples = []
    for _ in range(requests):
        t0 = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - t0)
    return _percentiles(samples)


def _inbox_queries(user) -> None:
    """What the inbox view asks the database, minus the template: scope, counts, and for
    each list the paginator's COUNT and the first page."""
    from portal.orgs.access import scope_for
    from portal.work import selectors

    user.__dict__.pop("_work_scope", None)  # a request builds its scope afresh
    scope = scope_for(user)
    selectors.inbox_counts(scope)
    for held in (True, False):
        qs = selectors.inbox(scope, held=held)
        qs.count()
        list(qs[:25])


def _page_fn(user):
    """A callable doing GET /bandeja/ as `user`, or the reason the page cannot be measured."""
    from django.test import Client
    from django.urls import NoReverseMatch, reverse

    try:
        url = reverse("work:inbox")
    except NoReverseMatch:
        return None, "URL name work:inbox does not resolve"
    client = Client()
    client.force_login(user)
    try:
        response = client.get(url)
    except Exception as exc:  # noqa: BLE001 - the page is someone else's work in progress
        return None, f"GET {url} raised {type(exc).__name__}: {exc}"
    if response.status_code != 200:
        return None, f"GET {url} answered HTTP {response.status_code}"

    def get():
        r = client.get(url)
        assert r.status_code == 200 and r.content

    return get, url


def _explain(user) -> dict:
    """EXPLAIN (ANALYZE, BUFFERS) of the task queries the inbox sends, captured as sent."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        _inbox_queries(user)
    sqls = [q["sql"] for q in captured.captured_queries if 'FROM "engine_humantask"' in q["sql"]]
    # Order as sent: counts per process, then COUNT and page for "claimed by me", then
    # COUNT and page for the unclaimed tasks (the long list).
    labels = ["per-process counts (selectors.inbox_counts)", None, None,
              "paginator COUNT of the unclaimed tasks",
              "first page of the unclaimed tasks (inbox(scope, held=False)[:25])"]
    plans = {}
    with connection.cursor() as cursor:
        for label, sql in zip(labels, sqls, strict=False):
            if label:
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
                plans[label] = "\n".join(row[0] for row in cursor.fetchall())
    return plans


def _measure(officers: list[dict], requests: int) -> dict:
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.db import connection

    from engine.models import HumanTask

    # The environment said DEBUG=1 for the dev settings; turn off the per-query logging
    # DEBUG implies, which a production process does not pay.
    settings.DEBUG = False
    User = get_user_model()
    round_trips = []
    with connection.cursor() as cursor:
        for _ in range(300):
            t0 = time.perf_counter()
            cursor.execute("SELECT 1")
            cursor.fetchone()
            round_trips.append(time.perf_counter() - t0)
    ids = list(HumanTask.objects.order_by("?").values_list("pk", flat=True)[:requests + WARMUP])
    it = iter(ids * 2)
    pk_fetch = _timed(lambda: HumanTask.objects.get(pk=next(it)), requests)
    rows: list[dict] = []
    results = {"select1": _percentiles(round_trips[WARMUP:]), "pk_fetch": pk_fetch, "officers": rows}
    for officer in officers:
        user = User.objects.get(pk=officer["user_id"])
        row = dict(officer)
        row["query"] = _timed(lambda user=user: _inbox_queries(user), requests)
        get, info = _page_fn(user)
        row["page"] = _timed(get, requests) if get else None
        row["page_info"] = info
        rows.append(row)
    worst = User.objects.get(pk=officers[2]["user_id"])
    results["explain"] = _explain(worst)
    results["explain_officer"] = officers[2]["label"] + f" ({officers[2]['unit']})"
    return results


def _child(args) -> None:
    t0 = time.perf_counter()
    django_setup()
    from django.contrib.auth import get_user_model
    from django.db import connection

    rng = random.Random(SEED)
    tree = build_tree(rng, args.ies)
    User = get_user_model()
    claimers = [u.pk for u in User.objects.bulk_create(
        [User(username=f"bench.claimer{i}", password="!") for i in range(500)])]
    load = load_tasks(rng, tree, args.tasks, claimers)
    officers = bench_officers(tree)
    vacuum_s = vacuum()
    load_s = time.perf_counter() - t0
    with connection.cursor() as cursor:
        cursor.execute("SELECT version()")
        server = cursor.fetchone()[0].split(" on ")[0]
        cursor.execute("SELECT pg_size_pretty(pg_total_relation_size('engine_humantask'))")
        task_size = cursor.fetchone()[0]
    results = _measure(officers, args.requests)
    results.update(load=load, load_s=load_s, vacuum_s=vacuum_s, server=server, task_table_size=task_size,
                   units={"dre": len(tree["dres"]), "ugel": len(tree["ugels"]), "ie_active": len(tree["ies"])},
                   ie_total=_count_ies())
    print("RESULT " + json.dumps(results))


def _count_ies() -> int:
    from portal.orgs.models import OrgUnit

    return OrgUnit.objects.filter(kind="ie").count()


# --- Report ----------------------------------------------------------------------------------


def _figures(r: dict) -> list[str]:
    """The per-officer table, the baseline and the targets of one measurement."""
    s1 = r["select1"]
    lines = [
        "| officer | open tasks in inbox | queries p50 / p95 ms | page p50 / p95 ms |",
        "|---|---|---|---|",
    ]
    for o in r["officers"]:
        q = o["query"]
        page = f"{o['page']['p50']:.2f} / {o['page']['p95']:.2f}" if o["page"] else "page: not available"
        lines.append(f"| {o['label']} ({o['unit']}) | {o['tasks']:,} | {q['p50']:.2f} / {q['p95']:.2f} | {page} |")
    lines += [
        "",
        f"Baseline in the same process: `SELECT 1` round trip p50 {s1['p50']:.3f} ms (p95 {s1['p95']:.3f}); "
        f"primary-key fetch of a task through the ORM p50 {r['pk_fetch']['p50']:.3f} ms "
        f"(p95 {r['pk_fetch']['p95']:.3f}).",
        "",
    ]
    base = r["pk_fetch"]["p50"]
    worst_q = max(o["query"]["p95"] for o in r["officers"])
    lines.append(f"- queries: p95 {worst_q:.2f} ms at worst = {worst_q / base:.1f}x a primary-key fetch; "
                 f"target p95 < {TARGET_QUERY_MS:.0f} ms: {'met' if worst_q < TARGET_QUERY_MS else 'MISSED'}")
    pages = [o["page"]["p95"] for o in r["officers"] if o["page"]]
    if pages:
        worst_p = max(pages)
        lines.append(f"- page: p95 {worst_p:.2f} ms at worst = {worst_p / base:.1f}x a primary-key fetch; "
                     f"target p95 < {TARGET_PAGE_MS:.0f} ms: {'met' if worst_p < TARGET_PAGE_MS else 'MISSED'}")
    else:
        lines.append(f"- page: not available ({r['officers'][0]['page_info']}); re-run when the view is in place")
    return lines


def _plans(r: dict, only: tuple[str, ...] = ()) -> list[str]:
    lines = ["", f"EXPLAIN (ANALYZE, BUFFERS) for {r['explain_officer']}:", ""]
    for label, plan in r["explain"].items():
        if not only or any(word in label for word in only):
            lines += [f"{label}:", "", "```", plan, "```", ""]
    return lines


def _report(r: dict, args) -> str:
    cmd = ".venv/bin/python bench/inbox.py" + (f" --tasks {args.tasks}" if args.tasks != 1_000_000 else "")
    lines = [
        f"Machine: {describe()}; {r['server']} (throwaway cluster, default memory settings)",
        f"Command: {cmd} (requests={args.requests} per figure after {WARMUP} warm-up)",
        f"Data: {r['load']['tasks']:,} open tasks, one running instance each, bulk-loaded with COPY (not through "
        f"the engine); {r['units']['dre']} DRE/GRE, {r['units']['ugel']} UGELs, {r['ie_total']:,} IEs "
        f"({r['units']['ie_active']:,} active); task table {r['task_table_size']} with indexes. "
        f"COPY {r['load']['copy_s']:.0f} s, VACUUM ANALYZE {r['vacuum_s']:.0f} s, whole set-up {r['load_s']:.0f} s.",
        "",
        "### Figures",
        "",
        *_figures(r),
        *_plans(r),
    ]
    return "\n".join(lines).rstrip() + "\n"


def _write_doc(report: str) -> None:
    doc = ROOT / "docs" / "performance.md"
    marker_start, marker_end = "<!-- bench/inbox.py:start -->", "<!-- bench/inbox.py:end -->"
    block = (f"{marker_start}\n## Inbox (bench/inbox.py)\n\nMeasured {time.strftime('%Y-%m-%d')}.\n\n"
             f"{report}{marker_end}")
    text = doc.read_text() if doc.exists() else "# Performance\n\nFigures from the scripts in bench/.\n\n"
    if marker_start in text:
        head, rest = text.split(marker_start, 1)
        tail = rest.split(marker_end, 1)[1] if marker_end in rest else ""
        text = head + block + tail
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    doc.write_text(text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--tasks", type=int, default=1_000_000, help="open tasks to load (default 1,000,000)")
    parser.add_argument("--ies", type=int, default=20_000, help="IEs in the tree (default 20,000)")
    parser.add_argument("--requests", type=int, default=REQUESTS, help="timed requests per figure")
    parser.add_argument("--no-write", action="store_true", help="do not update docs/performance.md")
    args = parser.parse_args()
    if args.child:
        _child(args)
        return
    py = sys.executable
    child = [py, str(Path(__file__).resolve()), "--child", "--tasks", str(args.tasks), "--ies", str(args.ies),
             "--requests", str(args.requests)]
    with tempfile.TemporaryDirectory() as tmp:
        Path(tmp, "staticfiles").mkdir()
        env = {**os.environ, "DEBUG": "1", "VAR_DIR": tmp, "LOG_LEVEL": "WARNING"}
        env.pop("DATABASE_URL", None)
        out = subprocess.run([py, str(ROOT / "scripts" / "throwaway_pg.py"), "--", *child], env=env,
                             capture_output=True, text=True, cwd=ROOT)
    result = next((json.loads(line[7:]) for line in out.stdout.splitlines() if line.startswith("RESULT ")), None)
    if result is None:
        sys.exit(f"benchmark child failed (is PostgreSQL installed?):\n{out.stdout[-3000:]}\n{out.stderr[-5000:]}")
    report = _report(result, args)
    print(report)
    if not args.no_write and args.tasks == 1_000_000:
        _write_doc(report)


if __name__ == "__main__":
    main()
