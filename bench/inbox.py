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
import io
import json
import math
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.machine import describe  # noqa: E402 - after the path is set

SEED = 2026
REQUESTS = 200
WARMUP = 20
TARGET_QUERY_MS = 30.0
TARGET_PAGE_MS = 80.0

# Approximate number of UGELs per region (216 in all), so that UGELs are spread like the
# real country: many in Áncash, Cusco, Puno, La Libertad; one in Callao.
UGELS_PER_DRE = {
    "DRE-AMAZONAS": 7, "DRE-ANCASH": 20, "DRE-APURIMAC": 8, "DRE-AREQUIPA": 9, "DRE-AYACUCHO": 11,
    "DRE-CAJAMARCA": 13, "DRE-CALLAO": 1, "DRE-CUSCO": 14, "DRE-HUANCAVELICA": 7, "DRE-HUANUCO": 11,
    "DRE-ICA": 5, "DRE-JUNIN": 10, "DRE-LA-LIBERTAD": 16, "DRE-LAMBAYEQUE": 3, "DRE-LIMA-METROPOLITANA": 7,
    "DRE-LIMA-PROVINCIAS": 9, "DRE-LORETO": 10, "DRE-MADRE-DE-DIOS": 3, "DRE-MOQUEGUA": 4, "DRE-PASCO": 3,
    "DRE-PIURA": 10, "DRE-PUNO": 14, "DRE-SAN-MARTIN": 10, "DRE-TACNA": 4, "DRE-TUMBES": 3, "DRE-UCAYALI": 4,
}

PROCESSES = {
    "alta_personal_ie": "Alta de personal de IE",
    "baja_personal_ie": "Baja de personal de IE",
    "alta_director_ie": "Alta de director de IE",
    "baja_director_ie": "Baja de director de IE",
    "alta_especialista_ugel": "Alta de especialista SIAGIE UGEL",
    "alta_especialista_dre": "Alta de especialista SIAGIE DRE",
    "emision_certificado_estudios": "Emisión del certificado de estudios",
    "ticket_soporte": "Ticket de soporte SIAGIE",
}

# (share of all tasks, level, role, process keys, task title)
TASK_MIX = [
    (0.36, "ie", "director_ie", ["alta_personal_ie", "baja_personal_ie", "emision_certificado_estudios"],
     "Verificar los requisitos"),
    (0.29, "ie", "personal_ie", ["alta_personal_ie", "emision_certificado_estudios"],
     "Confirmar la recepción de credenciales"),
    (0.135, "ugel", "especialista_siagie_ugel", ["alta_director_ie", "baja_director_ie", "ticket_soporte"],
     "Registrar el usuario en SIAGIE"),
    (0.075, "ugel", "especialista_actas_certificados", ["emision_certificado_estudios"],
     "Registrar las notas del certificado"),
    (0.045, "ugel", "especialista_nivel_educativo", ["emision_certificado_estudios"],
     "Autorizar la modificación de notas"),
    (0.045, "ugel", "estadistico_ugel", ["ticket_soporte"], "Atender el ticket"),
    (0.02, "dre", "especialista_siagie_dre", ["alta_especialista_ugel", "ticket_soporte"],
     "Revisar el oficio de la UGEL"),
    (0.01, "dre", "estadistico_dre", ["ticket_soporte"], "Atender el ticket"),
    (0.015, "MINEDU-UE", "administrador_siagie", ["alta_especialista_ugel", "alta_especialista_dre"],
     "Crear el usuario SIAGIE"),
    (0.005, "MINEDU-OTIC", "agente_mesa_ayuda", ["ticket_soporte"], "Atender el ticket"),
]


# --- Loading ---------------------------------------------------------------------------------


def _django_setup():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    os.environ["DEBUG"] = "1"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def _ts(value: datetime | None) -> str:
    return "\\N" if value is None else value.isoformat()


def _copy(table: str, columns: list[str], lines) -> int:
    """COPY rows (already tab-separated text lines) into `table`, in 8 MB chunks."""
    from django.db import connection

    n = 0
    with connection.cursor() as cursor:
        with cursor.cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            buf = io.StringIO()
            for line in lines:
                buf.write(line)
                buf.write("\n")
                n += 1
                if buf.tell() > 8_000_000:
                    copy.write(buf.getvalue())
                    buf = io.StringIO()
            copy.write(buf.getvalue())
    return n


def _reset_sequence(model) -> None:
    from django.core.management.color import no_style
    from django.db import connection

    with connection.cursor() as cursor:
        for sql in connection.ops.sequence_reset_sql(no_style(), [model]):
            cursor.execute(sql)


def _build_tree(rng: random.Random, n_ies: int) -> dict:
    """MINEDU, its offices, the 26 DRE/GRE, ~220 UGELs (ORM), and the IEs (COPY).
    IEs per UGEL follow a skewed (log-normal) distribution; Lima's UGELs are large."""
    from portal.orgs.demo import DRES, MINEDU, MINEDU_OFFICES
    from portal.orgs.models import OrgUnit, UnitKind

    minedu = OrgUnit.objects.create(code=MINEDU[0], name=MINEDU[1], kind=UnitKind.MINEDU, path="/MINEDU/")
    OrgUnit.objects.bulk_create([
        OrgUnit(code=c, name=n, kind=UnitKind.MINEDU_OFFICE, parent=minedu, path=f"/MINEDU/{c}/")
        for c, n in MINEDU_OFFICES])
    dres = OrgUnit.objects.bulk_create([
        OrgUnit(code=c, name=n, kind=UnitKind.DRE, parent=minedu, path=f"/MINEDU/{c}/") for c, n in DRES])
    ugels = []
    for dre in dres:
        region = dre.code.removeprefix("DRE-")
        for i in range(1, UGELS_PER_DRE[dre.code] + 1):
            code = f"UGEL-{region}-{i:02d}"
            ugels.append(OrgUnit(code=code, name=f"UGEL {dre.name[4:]} {i:02d}", kind=UnitKind.UGEL, parent=dre,
                                 path=f"{dre.path}{code}/"))
    ugels = OrgUnit.objects.bulk_create(ugels)
    weights = [rng.lognormvariate(0, 0.8) * (4 if "LIMA-METROPOLITANA" in u.code else 1) for u in ugels]
    total = sum(weights)
    sizes = [max(5, round(n_ies * w / total)) for w in weights]
    niveles = ["inicial", "primaria", "secundaria"]
    ies: list[tuple[str, str]] = []  # (code, ugel code)
    lines = []
    codigo = 1000000
    for ugel, size in zip(ugels, sizes, strict=True):
        for _ in range(size):
            codigo += 1
            code = f"{codigo}-0"
            active = rng.random() > 0.05
            nivel = rng.choice(niveles)
            modalidad = rng.choices(["EBR", "EBA", "EBE"], [0.9, 0.06, 0.04])[0]
            gestion = "publica" if rng.random() < 0.75 else "privada"
            lines.append("\t".join([
                code, f"IE N.° {codigo % 100000}", "ie", str(ugel.pk), f"{ugel.path}{code}/", str(codigo), "0",
                nivel, modalidad, gestion, "t" if active else "f", ""]))
            if active:
                ies.append((code, ugel.code))
    _copy("orgs_orgunit", ["code", "name", "kind", "parent_id", "path", "codigo_modular", "anexo", "nivel",
                           "modalidad", "gestion", "active", "district"], lines)
    _reset_sequence(OrgUnit)
    return {"dres": [d.code for d in dres], "ugels": [u.code for u in ugels], "ies": ies}


def _pick(rng: random.Random, tree: dict, level: str) -> str:
    if level == "ie":
        return rng.choice(tree["ies"])[0]
    if level == "ugel":
        # A UGEL's own work grows with its schools: pick the UGEL of a random IE.
        return rng.choice(tree["ies"])[1]
    if level == "dre":
        return "DRE-" + rng.choice(tree["ugels"]).split("-", 1)[1].rsplit("-", 1)[0]
    return level  # a fixed MINEDU office


def _load_tasks(rng: random.Random, tree: dict, n_tasks: int, claimers: list[int]) -> dict:
    """One running instance and one open task per row, written with COPY."""
    from engine.models import HumanTask, ProcessDefinition, ProcessInstance

    definitions = {}
    for key, name in PROCESSES.items():
        definitions[key] = ProcessDefinition.objects.create(
            key=key, version=1, name=name, xml="<!-- bench -->", sha256="0" * 64, source=f"{key}.bpmn",
            start_roles=["personal_ie"]).pk
    now = datetime.now(UTC)
    cumulative, acc = [], 0.0
    for share, *_ in TASK_MIX:
        acc += share
        cumulative.append(acc)
    rows = []
    for _ in range(n_tasks):
        r = rng.random() * acc
        share, level, role, keys, title = TASK_MIX[next(i for i, c in enumerate(cumulative) if r <= c)]
        unit = _pick(rng, tree, level)
        key = rng.choice(keys)
        created = now - timedelta(minutes=rng.randrange(90 * 24 * 60))
        d = rng.random()
        due = None if d < 0.15 else (now - timedelta(hours=rng.randrange(1, 60 * 24)) if d < 0.35
                                     else now + timedelta(hours=rng.randrange(1, 30 * 24)))
        claimed = rng.choice(claimers) if rng.random() < 0.10 else None
        rows.append((unit, role, key, title, created, due, claimed))
    started = time.perf_counter()
    n_inst = _copy(
        "engine_processinstance",
        ["id", "definition_id", "status", "business_key", "org_unit", "started_by_id", "started_at", "updated_at",
         "ended_at", "state", "serializer_version", "callee_versions", "next_timer_at", "waiting_messages",
         "suspended_from", "lock_version"],
        (f"{i}\t{definitions[key]}\trunning\tEXP-{i:07d}\t{unit}\t\\N\t{_ts(created)}\t{_ts(created)}\t\\N\t"
         f"\t\t{{}}\t\\N\t[]\t\t1"
         for i, (unit, _r, key, _t, created, _d, _c) in enumerate(rows, start=1)))
    n_task = _copy(
        "engine_humantask",
        ["id", "instance_id", "process_key", "task_id", "element_id", "title", "form_key", "lane", "role", "unit",
         "state", "claimed_by_id", "claimed_at", "due_at", "created_at", "completed_at", "completed_by_id"],
        (f"{i}\t{i}\t{key}\t{uuid.UUID(int=rng.getrandbits(128), version=4)}\tTask_{role}\t{title}\t{key}_{role}\t"
         f"{role}\t{role}\t{unit}\topen\t{claimed if claimed else chr(92) + 'N'}\t"
         f"{_ts(created + timedelta(hours=1)) if claimed else chr(92) + 'N'}\t{_ts(due)}\t{_ts(created)}\t\\N\t\\N"
         for i, (unit, role, key, title, created, due, claimed) in enumerate(rows, start=1)))
    copy_s = time.perf_counter() - started
    _reset_sequence(ProcessInstance)
    _reset_sequence(HumanTask)
    return {"instances": n_inst, "tasks": n_task, "copy_s": copy_s}


def _officers(tree: dict) -> list[dict]:
    """The measured officers: a typical director, the especialista SIAGIE of a typical
    UGEL, of the UGEL with the most tasks, and the Administrador SIAGIE (national queue)."""
    from django.contrib.auth import get_user_model
    from django.db.models import Count

    from engine.models import HumanTask
    from portal.orgs.models import OrgUnit, Position, Role

    def per_unit(role: str) -> list[tuple[str, int]]:
        return list(HumanTask.objects.filter(role=role, state="open").values_list("unit")
                    .annotate(n=Count("pk")).order_by("n", "unit"))

    ie_loads = per_unit("director_ie")
    ugel_loads = per_unit("especialista_siagie_ugel")
    picks = [
        ("director_ie at a typical IE", "director_ie", ie_loads[len(ie_loads) // 2][0]),
        ("especialista_siagie_ugel at a typical UGEL", "especialista_siagie_ugel",
         ugel_loads[len(ugel_loads) // 2][0]),
        ("especialista_siagie_ugel at the UGEL with the most tasks", "especialista_siagie_ugel",
         ugel_loads[-1][0]),
        ("administrador_siagie at MINEDU-UE (national queue)", "administrador_siagie", "MINEDU-UE"),
    ]
    User = get_user_model()
    officers = []
    for i, (label, role, unit) in enumerate(picks):
        user = User.objects.create_user(username=f"bench.officer{i}", first_name="Oficial", last_name=f"Bench {i}")
        Position.objects.create(user=user, role=Role.objects.get(code=role), unit=OrgUnit.objects.get(code=unit))
        # The officer has taken a few of their own tasks, as people do.
        mine = list(HumanTask.objects.filter(role=role, unit=unit, state="open", claimed_by__isnull=True)
                    .order_by("pk").values_list("pk", flat=True)[:8])
        HumanTask.objects.filter(pk__in=mine).update(claimed_by=user, claimed_at=datetime.now(UTC))
        total = HumanTask.objects.filter(role=role, unit=unit, state="open").count()
        officers.append({"label": label, "role": role, "unit": unit, "user_id": user.pk, "tasks": total})
    return officers


def _vacuum() -> float:
    from django.db import connection

    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    return time.perf_counter() - started


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
    results = {"select1": _percentiles(round_trips[WARMUP:]), "pk_fetch": pk_fetch, "officers": []}
    for officer in officers:
        user = User.objects.get(pk=officer["user_id"])
        row = dict(officer)
        row["query"] = _timed(lambda user=user: _inbox_queries(user), requests)
        get, info = _page_fn(user)
        row["page"] = _timed(get, requests) if get else None
        row["page_info"] = info
        results["officers"].append(row)
    worst = User.objects.get(pk=officers[2]["user_id"])
    results["explain"] = _explain(worst)
    results["explain_officer"] = officers[2]["label"] + f" ({officers[2]['unit']})"
    return results


def _child(args) -> None:
    t0 = time.perf_counter()
    _django_setup()
    from django.contrib.auth import get_user_model
    from django.db import connection

    rng = random.Random(SEED)
    tree = _build_tree(rng, args.ies)
    User = get_user_model()
    claimers = [u.pk for u in User.objects.bulk_create(
        [User(username=f"bench.claimer{i}", password="!") for i in range(500)])]
    load = _load_tasks(rng, tree, args.tasks, claimers)
    officers = _officers(tree)
    vacuum_s = _vacuum()
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
