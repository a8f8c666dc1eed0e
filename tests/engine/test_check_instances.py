"""`manage.py check_instances`: unfinished instances' state, task rows and audit agree
(exit 0), and each kind of disagreement is named with its instance (exit 1)."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from engine import consistency, services
from engine.errors import StepFailed
from engine.models import HumanTask, InstanceStatus, ProcessInstance

from .conftest import deploy_diagram, open_task

pytestmark = pytest.mark.django_db

DATA = {"ugel": "UGEL01"}


def check(*args: str) -> tuple[int, str]:
    out = StringIO()
    try:
        call_command("check_instances", *args, stdout=out)
    except CommandError as exc:
        return exc.returncode, f"{out.getvalue()}\n{exc}"
    return 0, out.getvalue()


def reniec_down(**kwargs):
    raise ConnectionError("RENIEC no responde")


@pytest.fixture
def cases(user, engine_registry):
    """Instances at rest in every active shape: a user task open, the next one open, a
    timer, a message wait, an incident, a suspended one and a finished one."""
    engine_registry.register_service("reniec_lookup", reniec_down)
    engine_registry.register_service("create_account", lambda **kwargs: {})
    for name in ("user_tasks", "worker_timer", "message_catch", "robust_incident", "start_end"):
        deploy_diagram(name)
    fresh = services.start(key="user_tasks", data=DATA, started_by=user)
    moved = services.start(key="user_tasks", data=DATA, started_by=user)
    services.complete(task_id=open_task(moved, "fill").pk, user=user, data={"x": 1})
    timer = services.start(key="worker_timer", org_unit="UGEL01", started_by=user)
    message = services.start(key="message_catch", org_unit="IE-0456", started_by=user)
    failed = services.start(key="robust_incident", started_by=user)
    with pytest.raises(StepFailed):
        services.complete(task_id=open_task(failed, "fill").pk, user=user, data={"dni": "45678912"})
    suspended = services.start(key="user_tasks", data=DATA, started_by=user)
    services.suspend(instance_id=suspended.pk, by=user, reason="prueba")
    services.start(key="start_end", started_by=user)
    return {"fresh": fresh, "moved": moved, "timer": timer, "message": message, "failed": failed,
            "suspended": suspended}


def test_a_consistent_database_passes(cases):
    """Every shape an instance rests in agrees: exit 0 and a summary of what was checked."""
    assert ProcessInstance.objects.get(pk=cases["failed"].pk).status == InstanceStatus.INCIDENT
    code, out = check()
    assert code == 0, out
    assert "6 instancias sin terminar revisadas; 0 con desacuerdos." in out
    assert "6 unfinished instance(s) checked; 0 disagree." in out


def test_a_deleted_task_row_is_reported_with_its_instance(cases):
    """A READY user task without its inbox row: exit 1, the instance named."""
    inst = cases["moved"]
    HumanTask.objects.filter(instance=inst, element_id="verify").delete()

    code, out = check()

    assert code == 1
    assert f"Instancia N.° {inst.pk} (user_tasks v1, running): [missing-task-row]" in out
    assert "«verify»" in out and f"Instancias: {inst.pk}" in out


def test_a_state_from_another_point_of_the_flow_is_reported(cases):
    """The stored state swapped for an older one (a restore gone wrong): the open row
    matches no task of the flow, the flow's ready task has no row."""
    inst, older = cases["moved"], cases["fresh"]
    ProcessInstance.objects.filter(pk=inst.pk).update(state=older.state)

    code, out = check("--instance", str(inst.pk))

    assert code == 1
    assert "[stale-task-row]" in out and "«verify»" in out
    assert "[missing-task-row]" in out and "«fill»" in out


def test_a_tampered_status_and_a_lost_timer_are_reported(cases):
    """'waiting' while a task is open is wrong; a flow waiting on a timer the worker does not know of is lost."""
    fresh, timer = cases["fresh"], cases["timer"]
    ProcessInstance.objects.filter(pk=fresh.pk).update(status=InstanceStatus.WAITING)
    ProcessInstance.objects.filter(pk=timer.pk).update(next_timer_at=None)

    code, out = check()

    assert code == 1
    assert f"Instancia N.° {fresh.pk} (user_tasks v1, waiting): [wrong-status]" in out
    assert f"Instancia N.° {timer.pk} (worker_timer v1, waiting): [timer-mismatch]" in out


def test_a_lock_version_ahead_of_the_audit_is_reported(cases):
    """A version no audited step can have reached (the audit lost, or the row edited by hand)."""
    inst = cases["fresh"]
    ProcessInstance.objects.filter(pk=inst.pk).update(lock_version=99)

    code, out = check()

    assert code == 1
    assert f"Instancia N.° {inst.pk} (user_tasks v1, running): [version-ahead-of-audit]" in out


def test_lost_message_waits_are_reported(user):
    """The flow waits for a message its stored waits no longer list: nobody would deliver it."""
    deploy_diagram("message_catch")
    inst = services.start(key="message_catch", org_unit="IE-0456", started_by=user)
    inst.message_waits.all().delete()
    ProcessInstance.objects.filter(pk=inst.pk).update(waiting_messages=[])

    code, out = check()

    assert code == 1 and f"Instancia N.° {inst.pk}" in out and "[message-mismatch]" in out


def test_a_waiting_instance_with_nothing_to_move_it_is_a_stall(user, monkeypatch):
    """The silent stall of issue 11: 'waiting' with no task, timer or message wait, in
    the flow as in the rows (here a flow whose message wait is not seen, as SpiffWorkflow's
    depth limit left them)."""
    deploy_diagram("message_catch")
    inst = services.start(key="message_catch", org_unit="IE-0456", started_by=user)
    inst.message_waits.all().delete()
    ProcessInstance.objects.filter(pk=inst.pk).update(waiting_messages=[])
    monkeypatch.setattr(consistency, "waiting_messages", lambda wf: [])

    code, out = check()

    assert code == 1
    assert f"Instancia N.° {inst.pk} (message_catch v1, waiting): [stalled]" in out
    assert "[message-mismatch]" not in out
