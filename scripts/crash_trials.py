#!/usr/bin/env python3
"""kill -9 a busy worker and a busy "web" process mid-step, many times, then check that
every instance's state, task rows and audit still agree (`manage.py check_instances`).

    python scripts/throwaway_pg.py -- .venv/bin/python scripts/crash_trials.py --trials 100

PostgreSQL only (DATABASE_URL): the point is PostgreSQL's rollback of a transaction whose
client died. The database is set up from scratch (migrate, deploy_processes, seed_demo),
then `--instances` cases of a small looping diagram are started: each waits on a task row
whose one-second boundary timer cancels it, counts, and opens the next one, so the
worker (timer wake-ups and the sweep) is always in the middle of steps; a second process
completes open task rows through engine.services.complete, as the portal's views do. Each
trial starts both, lets them work for a random moment and kills both with SIGKILL,
noting how many of their database sessions were mid-query or mid-transaction. At the end
check_instances runs; the exit code is its (0: every instance agrees). Not part of the
test suite: it takes minutes.
"""

from __future__ import annotations

import argparse
import io
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PROCESS = "crash_trials_loop"
UNIT = "UGEL-03"  # a UGEL of seed_demo: the task's role is held there
DIAGRAM = f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core"
    id="defs_{PROCESS}" targetNamespace="http://siagie.test/bpmn">
  <bpmn:process id="{PROCESS}" name="Ensayo de caídas" isExecutable="true">
    <bpmn:startEvent id="start"/>
    <bpmn:sequenceFlow id="f0" sourceRef="start" targetRef="init"/>
    <bpmn:scriptTask id="init" name="Iniciar"><bpmn:script>vueltas = 0</bpmn:script></bpmn:scriptTask>
    <bpmn:sequenceFlow id="f1" sourceRef="init" targetRef="join"/>
    <bpmn:exclusiveGateway id="join"/>
    <bpmn:sequenceFlow id="f2" sourceRef="join" targetRef="revisar"/>
    <bpmn:userTask id="revisar" name="Revisar la vuelta">
      <bpmn:extensionElements><spiffworkflow:properties>
        <spiffworkflow:property name="role" value="especialista_siagie_ugel"/>
      </spiffworkflow:properties></bpmn:extensionElements>
    </bpmn:userTask>
    <bpmn:boundaryEvent id="plazo" attachedToRef="revisar" cancelActivity="true">
      <bpmn:timerEventDefinition><bpmn:timeDuration>"PT1S"</bpmn:timeDuration></bpmn:timerEventDefinition>
    </bpmn:boundaryEvent>
    <bpmn:sequenceFlow id="f3" sourceRef="revisar" targetRef="contar"/>
    <bpmn:sequenceFlow id="f4" sourceRef="plazo" targetRef="contar"/>
    <bpmn:scriptTask id="contar" name="Contar"><bpmn:script>vueltas = vueltas + 1</bpmn:script></bpmn:scriptTask>
    <bpmn:sequenceFlow id="f5" sourceRef="contar" targetRef="join"/>
  </bpmn:process>
</bpmn:definitions>"""

# The "web" process: completes open task rows of the trial cases, one step each, as fast as it can.
COMPLETER = f"""
import random
from django.contrib.auth import get_user_model
from engine import services
from engine.errors import EngineError
from engine.models import HumanTask
user = get_user_model().objects.filter(is_superuser=True).first()
while True:
    ids = list(HumanTask.objects.filter(process_key={PROCESS!r}, state="open").values_list("pk", flat=True)[:50])
    for pk in random.sample(ids, len(ids)):
        try:
            services.complete(task_id=pk, user=user, data={{}})
        except EngineError:
            pass
"""


def manage(*args: str) -> list[str]:
    return [sys.executable, str(ROOT / "manage.py"), *args]


def busy_sessions() -> tuple[int, int]:
    """(sessions mid-query, sessions mid-transaction) other than this one."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FILTER (WHERE state = 'active'),"
            " count(*) FILTER (WHERE xact_start IS NOT NULL)"
            " FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
            " AND backend_type = 'client backend'")
        active, in_transaction = cursor.fetchone()
    return int(active), int(in_transaction)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=100)
    parser.add_argument("--instances", type=int, default=40, help="looping cases kept busy")
    parser.add_argument("--min-seconds", type=float, default=0.5, help="shortest work before a kill")
    parser.add_argument("--max-seconds", type=float, default=3.0, help="longest work before a kill")
    parser.add_argument("--seed", type=int, default=None)
    args = parser.parse_args(argv)
    if not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")):
        print("crash_trials: needs PostgreSQL in DATABASE_URL; run it under scripts/throwaway_pg.py.",
              file=sys.stderr)
        return 2
    rng = random.Random(args.seed)  # noqa: S311 - timing jitter, not secrets
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    os.environ.setdefault("DEBUG", "1")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import CommandError, call_command
    from django.db import connection

    from engine import services
    from engine.models import AuditEvent, HumanTask

    print("crash_trials: preparing the database (migrate, deploy_processes, seed_demo) …", flush=True)
    for command in ("migrate", "deploy_processes", "seed_demo"):
        call_command(command, verbosity=0, stdout=io.StringIO())
    services.deploy(content=DIAGRAM.encode(), source=f"{PROCESS}.bpmn")
    for _ in range(args.instances):
        services.start(key=PROCESS, org_unit=UNIT)
    connection.close()

    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    log = Path(os.environ.get("VAR_DIR") or ROOT / "var") / "crash_trials.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    print(f"crash_trials: the children's output goes to {log}", flush=True)
    busy_at_kill = [0, 0]
    with open(log, "a") as out:
        for trial in range(1, args.trials + 1):
            before = AuditEvent.objects.count()
            children = [
                subprocess.Popen(manage("run_worker", "--interval", "0.1", "--sweep-seconds", "2"),  # noqa: S603
                                 env=env, stdout=out, stderr=subprocess.STDOUT, cwd=ROOT),
                subprocess.Popen(manage("shell", "-c", COMPLETER),  # noqa: S603
                                 env=env, stdout=out, stderr=subprocess.STDOUT, cwd=ROOT),
            ]
            # Django's start-up takes a moment: count the work from when they are stepping.
            time.sleep(2.0 + rng.uniform(args.min_seconds, args.max_seconds))
            active, in_transaction = busy_sessions()
            for child in children:
                child.send_signal(signal.SIGKILL)
            for child in children:
                child.wait()
            busy_at_kill[0] += active > 0
            busy_at_kill[1] += in_transaction > 0
            connection.close()
            steps = AuditEvent.objects.count() - before
            print(f"crash_trials: trial {trial}/{args.trials}: {steps} audit events, killed with "
                  f"{active} session(s) mid-query and {in_transaction} mid-transaction", flush=True)
    trial_events = AuditEvent.objects.filter(instance__definition__key=PROCESS)
    print(f"crash_trials: {args.trials} trials; kills landed mid-query in {busy_at_kill[0]}, "
          f"mid-transaction in {busy_at_kill[1]}; steps on the trial cases: "
          f"{trial_events.filter(action='timer').count()} timers fired by the worker, "
          f"{trial_events.filter(action='complete').count()} completions by the web process; "
          f"{HumanTask.objects.filter(state='open').count()} open task rows", flush=True)
    try:
        call_command("check_instances")
    except CommandError as exc:
        print(exc, file=sys.stderr)
        return exc.returncode
    return 0


if __name__ == "__main__":
    sys.exit(main())
