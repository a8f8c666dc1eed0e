"""Loading for bench/inbox.py: a country-scale org tree and N open human tasks written
straight into the engine's tables with COPY (not through the engine: that would take
hours and measure something else), then VACUUM ANALYZE. See bench/inbox.py."""

from __future__ import annotations

import io
import os
import random
import time
import uuid
from datetime import UTC, datetime, timedelta

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


def django_setup():
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


def build_tree(rng: random.Random, n_ies: int) -> dict:
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


def load_tasks(rng: random.Random, tree: dict, n_tasks: int, claimers: list[int]) -> dict:
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
         "state", "claimed_by_id", "claimed_at", "due_at", "created_at", "completed_at", "completed_by_id",
         "escalation_note", "nivel", "home_role", "home_unit", "routed"],
        (f"{i}\t{i}\t{key}\t{uuid.UUID(int=rng.getrandbits(128), version=4)}\tTask_{role}\t{title}\t{key}_{role}\t"
         f"{role}\t{role}\t{unit}\topen\t{claimed if claimed else chr(92) + 'N'}\t"
         f"{_ts(created + timedelta(hours=1)) if claimed else chr(92) + 'N'}\t{_ts(due)}\t{_ts(created)}\t\\N\t\\N\t"
         "\t\t\t\t"  # nivel, home_role, home_unit, routed: blank
         for i, (unit, role, key, title, created, due, claimed) in enumerate(rows, start=1)))
    copy_s = time.perf_counter() - started
    _reset_sequence(ProcessInstance)
    _reset_sequence(HumanTask)
    return {"instances": n_inst, "tasks": n_task, "copy_s": copy_s}


def officers(tree: dict) -> list[dict]:
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


def vacuum() -> float:
    from django.db import connection

    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    return time.perf_counter() - started


