"""BPMN constructs without time or messages: events, tasks, gateways."""

from __future__ import annotations

from datetime import datetime

import pytest
import time_machine

from engine import services
from engine.calendar import LIMA
from engine.errors import DeploymentError, StepFailed
from engine.models import HumanTaskState, Incident, InstanceStatus

from .conftest import DIAGRAMS, assert_round_trip, deploy_diagram, open_tasks
from .constructs import actions, audit_events, final_data, rows, task_data

pytestmark = pytest.mark.django_db


def test_start_end_completes_immediately(user):
    """A process with only a start and an end event completes as soon as it starts."""
    deploy_diagram("start_end")

    inst = services.start(key="start_end", data={"codigo_modular": "0123456"}, started_by=user)

    assert inst.status == InstanceStatus.COMPLETED
    assert inst.ended_at is not None
    assert inst.next_timer_at is None
    assert open_tasks(inst) == []
    assert actions(inst) == ["start", "end"]
    start_event = audit_events(inst, "start")[0]
    assert start_event.actor == user
    assert start_event.data["data"] == {"codigo_modular": "0123456"}
    assert final_data(inst) == {"codigo_modular": "0123456"}
    assert_round_trip(inst)  # nothing waits here; the finished state still restores


def test_user_tasks_in_lanes_open_with_role_unit_form_and_due_date(user):
    """Each user task opens for its lane's role in the right unit, with its title, form and a
    due date counted in Peruvian working days."""
    deploy_diagram("user_tasks")
    inst = services.start(key="user_tasks", org_unit="IE-0123456", started_by=user)

    assert inst.status == InstanceStatus.RUNNING
    [fill] = open_tasks(inst)
    assert (fill.element_id, fill.title, fill.form_key) == ("fill", "Completar solicitud", "test_solicitud")
    assert (fill.lane, fill.role, fill.unit) == ("director_ie", "director_ie", "IE-0123456")
    assert fill.due_at is None
    assert_round_trip(inst)

    # Wednesday 1 April 2026: Maundy Thursday and Good Friday are holidays, then a weekend.
    with time_machine.travel(datetime(2026, 4, 1, 10, 0, tzinfo=LIMA), tick=False):
        inst = services.complete(task_id=fill.pk, user=user, data={"ugel": "UGEL-03"})

    fill.refresh_from_db()
    assert fill.state == HumanTaskState.COMPLETED
    assert fill.completed_by == user
    [verify] = open_tasks(inst)
    assert (verify.element_id, verify.title, verify.form_key) == ("verify", "Verificar requisitos", "")
    assert (verify.role, verify.unit) == ("especialista_siagie_ugel", "UGEL-03")
    assert verify.due_at == datetime(2026, 4, 8, 10, 0, tzinfo=LIMA)
    assert inst.status == InstanceStatus.RUNNING
    assert_round_trip(inst)

    inst = services.complete(task_id=verify.pk, user=user, data={"conforme": True})
    assert inst.status == InstanceStatus.COMPLETED
    assert final_data(inst) == {"ugel": "UGEL-03", "conforme": True}
    created = audit_events(inst, "task_created")
    assert [(e.element_id, e.role, e.unit) for e in created] == [
        ("fill", "director_ie", "IE-0123456"),
        ("verify", "especialista_siagie_ugel", "UGEL-03"),
    ]
    assert actions(inst).count("complete") == 2


def test_service_task_result_reaches_later_steps(user, engine_registry):
    """A service task calls the registered operator with its evaluated parameters, stores the
    result in its result variable, and the audit trail records the call."""
    calls = []

    def calc_fee(ctx, *, amount, code):
        calls.append((ctx.instance_id, ctx.element_id, ctx.data.get("amount"), amount, code))
        return {"fee": amount + 1, "code": code}

    engine_registry.register_service("calc_fee", calc_fee)
    deploy_diagram("service_task")

    inst = services.start(key="service_task", data={"amount": 20, "codigo_modular": "0654321"},
                          org_unit="UGEL-01", started_by=user)

    assert calls == [(inst.pk, "compute_fee", 20, 40, "0654321")]
    assert inst.status == InstanceStatus.RUNNING
    [review] = open_tasks(inst)
    assert (review.element_id, review.role, review.unit) == ("review", "especialista_ugel", "UGEL-01")
    assert task_data(review)["fee"] == {"fee": 41, "code": "0654321"}
    [call] = audit_events(inst, "service_call")
    assert call.element_id == "compute_fee"
    assert call.data == {"operator": "calc_fee", "params": {"amount": 40, "code": "0654321"},
                         "result": {"fee": 41, "code": "0654321"}}
    assert_round_trip(inst)

    inst = services.complete(task_id=review.pk, user=user, data={"ok": True})
    assert inst.status == InstanceStatus.COMPLETED
    assert final_data(inst)["fee"] == {"fee": 41, "code": "0654321"}
    assert len(calls) == 1  # completing the later task does not call the service again


def test_script_task_computes_data(user):
    """A script task computes new data from the instance data, and the next task sees it."""
    deploy_diagram("script_task")
    items = [{"name": "carpeta", "qty": 3, "price": 20}, {"name": "sello", "qty": 1, "price": 50}]

    inst = services.start(key="script_task", data={"items": items}, started_by=user)

    assert inst.status == InstanceStatus.RUNNING
    [review] = open_tasks(inst)
    data = task_data(review)
    assert data["total"] == 110
    assert data["labels"] == ["CARPETA", "SELLO"]
    assert data["big"] is True
    assert_round_trip(inst)

    inst = services.complete(task_id=review.pk, user=user, data={})
    assert inst.status == InstanceStatus.COMPLETED
    assert final_data(inst) == {"items": items, "total": 110, "labels": ["CARPETA", "SELLO"], "big": True}


@pytest.mark.parametrize("script", [
    "import os\ntotal = 1",
    "total = ().__class__.__base__.__subclasses__()",
    "total = open('/etc/passwd').read()\nx = __import__('os')",
])
def test_script_task_escape_is_refused_at_deployment(script):
    """A script that imports, walks dunder attributes or calls __import__ cannot be deployed."""
    xml = (DIAGRAMS / "script_task.bpmn").read_text()
    original = xml[xml.index("<bpmn:script>") + len("<bpmn:script>"):xml.index("</bpmn:script>")]
    bad = xml.replace(original, script.replace("<", "&lt;"))

    with pytest.raises(DeploymentError) as exc:
        services.deploy(content=bad, source="script_task.bpmn")
    assert any("compute" in problem for problem in exc.value.problems)


def test_script_task_sandbox_blocks_unsafe_builtins_at_run_time(user):
    """A script that compiles but reaches for a builtin outside the sandbox (open) stops the
    step with an incident; the instance stays where it was."""
    xml = (DIAGRAMS / "script_task.bpmn").read_text()
    original = xml[xml.index("<bpmn:script>") + len("<bpmn:script>"):xml.index("</bpmn:script>")]
    services.deploy(content=xml.replace(original, "total = open('/etc/hostname').read()"),
                    source="script_task.bpmn")

    with pytest.raises(StepFailed) as exc:
        services.start(key="script_task", data={"items": []}, started_by=user)

    incident = Incident.objects.get(pk=exc.value.incident_id)
    assert incident.element_id == "compute"
    assert "open" in incident.message
    inst = incident.instance
    assert inst.status == InstanceStatus.INCIDENT
    assert open_tasks(inst) == []
    assert_round_trip(inst)


def test_exclusive_gateway_takes_the_branch_whose_condition_holds(user):
    """An exclusive gateway sends a high amount down its conditional flow to the director."""
    deploy_diagram("exclusive_gateway")

    inst = services.start(key="exclusive_gateway", data={"amount": 5000}, org_unit="UGEL-02",
                          started_by=user)

    [task] = open_tasks(inst)
    assert (task.element_id, task.role, task.unit) == ("approve_high", "director_ugel", "UGEL-02")
    assert_round_trip(inst)
    inst = services.complete(task_id=task.pk, user=user, data={"approved": True})
    assert inst.status == InstanceStatus.COMPLETED
    assert rows(inst) == [("approve_high", HumanTaskState.COMPLETED)]
    assert final_data(inst) == {"amount": 5000, "approved": True}


def test_exclusive_gateway_takes_the_default_flow_when_no_condition_holds(user):
    """An exclusive gateway sends a low amount down its default flow to the specialist."""
    deploy_diagram("exclusive_gateway")

    inst = services.start(key="exclusive_gateway", data={"amount": 999}, org_unit="UGEL-02",
                          started_by=user)

    [task] = open_tasks(inst)
    assert (task.element_id, task.role, task.unit) == ("approve_low", "especialista_ugel", "UGEL-02")
    assert_round_trip(inst)
    inst = services.complete(task_id=task.pk, user=user, data={"approved": False})
    assert inst.status == InstanceStatus.COMPLETED
    assert rows(inst) == [("approve_low", HumanTaskState.COMPLETED)]
    assert final_data(inst) == {"amount": 999, "approved": False}


def test_parallel_split_opens_both_tasks_and_join_waits_for_both(user, other_user):
    """A parallel split opens both reviews at once; the process only moves on when both are
    done, and the next task sees the data of both branches."""
    deploy_diagram("parallel")
    inst = services.start(key="parallel", data={"expediente": "EXP-7"}, org_unit="UGEL-04",
                          started_by=user)

    tasks = {t.element_id: t for t in open_tasks(inst)}
    assert set(tasks) == {"legal_review", "budget_review"}
    assert tasks["legal_review"].role == "asesor_legal"
    assert tasks["budget_review"].role == "planificador"
    assert_round_trip(inst)

    inst = services.complete(task_id=tasks["budget_review"].pk, user=other_user,
                             data={"budget_ok": True, "partida": "2.3.1"})
    assert inst.status == InstanceStatus.RUNNING
    assert [t.element_id for t in open_tasks(inst)] == ["legal_review"]
    assert_round_trip(inst)

    inst = services.complete(task_id=tasks["legal_review"].pk, user=user,
                             data={"legal_ok": True})
    [decide] = open_tasks(inst)
    assert (decide.element_id, decide.role) == ("decide", "director_ugel")
    data = task_data(decide)
    assert data["budget_ok"] is True and data["partida"] == "2.3.1"
    assert data["legal_ok"] is True and data["expediente"] == "EXP-7"
    assert_round_trip(inst)

    inst = services.complete(task_id=decide.pk, user=user, data={"decision": "aprobar"})
    assert inst.status == InstanceStatus.COMPLETED
    assert final_data(inst) == {"expediente": "EXP-7", "budget_ok": True, "partida": "2.3.1",
                                "legal_ok": True, "decision": "aprobar"}


