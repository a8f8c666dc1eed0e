"""Subprocess constructs: a call activity into another deployed file, and an error end
event inside an embedded subprocess caught by an error boundary event."""

from __future__ import annotations

import pytest

from engine import services
from engine.errors import DeploymentError
from engine.models import HumanTaskState, InstanceStatus, ProcessInstance

from .conftest import assert_round_trip, deploy_diagram, open_tasks
from .constructs import actions, final_data, rows, task_data

pytestmark = pytest.mark.django_db


def test_call_activity_runs_a_process_from_another_file(user, other_user):
    """A call activity runs a process deployed from another file inside the caller: the
    callee's user task is a task of the caller's instance, and completing it resumes the
    caller with the callee's data."""
    with pytest.raises(DeploymentError):
        deploy_diagram("call_caller")  # the callee must be deployed first
    deploy_diagram("call_callee")
    deploy_diagram("call_caller")

    inst = services.start(key="call_caller", data={"ugel": "UGEL-03", "expediente": "EXP-5"},
                          org_unit="IE-0789", started_by=user)

    assert ProcessInstance.objects.count() == 1  # no separate instance for the callee
    assert inst.callee_versions == {"call_callee": 1}
    assert inst.status == InstanceStatus.RUNNING
    [check] = open_tasks(inst)
    assert (check.element_id, check.title) == ("check", "Verificar en SIAGIE")
    assert (check.role, check.unit) == ("especialista_siagie_ugel", "UGEL-03")
    assert task_data(check)["expediente"] == "EXP-5"  # the caller's data reached the callee
    assert_round_trip(inst)

    inst = services.complete(task_id=check.pk, user=other_user, data={"siagie_ok": True})

    [after] = open_tasks(inst)
    assert (after.element_id, after.role, after.unit) == ("after_call", "director_ie", "IE-0789")
    data = task_data(after)
    assert data["siagie_ok"] is True
    assert data["verified_by_callee"] is True  # set by the callee's script task
    assert_round_trip(inst)

    inst = services.complete(task_id=after.pk, user=user, data={"firmado": True})
    assert inst.status == InstanceStatus.COMPLETED
    assert final_data(inst) == {"ugel": "UGEL-03", "expediente": "EXP-5", "siagie_ok": True,
                                "verified_by_callee": True, "firmado": True}
    assert rows(inst) == [("check", HumanTaskState.COMPLETED), ("after_call", HumanTaskState.COMPLETED)]


def test_error_end_event_in_subprocess_is_caught_by_boundary_event(user):
    """An error end event inside a subprocess leaves it through the error boundary event:
    the rejection path opens and the normal path never does."""
    deploy_diagram("error_boundary")
    inst = services.start(key="error_boundary", org_unit="UGEL-08", started_by=user)

    [check] = open_tasks(inst)
    assert (check.element_id, check.role, check.unit) == ("check_docs", "especialista_ugel", "UGEL-08")
    assert_round_trip(inst)

    inst = services.complete(task_id=check.pk, user=user,
                             data={"complete": False, "observaciones": "Falta DNI"})

    assert inst.status == InstanceStatus.RUNNING
    [notify] = open_tasks(inst)
    assert (notify.element_id, notify.role) == ("notify_rejection", "especialista_ugel")
    # The error carries its payload out of the cancelled subprocess.
    assert task_data(notify)["rechazo"] == {"observaciones": "Falta DNI"}
    assert_round_trip(inst)

    inst = services.complete(task_id=notify.pk, user=user, data={"notificado": True})
    assert inst.status == InstanceStatus.COMPLETED
    assert rows(inst) == [("check_docs", HumanTaskState.COMPLETED),
                          ("notify_rejection", HumanTaskState.COMPLETED)]
    assert "incident" not in actions(inst)


def test_subprocess_without_error_continues_on_the_normal_path(user):
    """When the subprocess ends normally, the error boundary event does not fire and the
    process continues to the signature."""
    deploy_diagram("error_boundary")
    inst = services.start(key="error_boundary", org_unit="UGEL-08", started_by=user)
    [check] = open_tasks(inst)

    inst = services.complete(task_id=check.pk, user=user, data={"complete": True})

    [sign] = open_tasks(inst)
    assert (sign.element_id, sign.role) == ("sign", "director_ugel")
    assert_round_trip(inst)
    inst = services.complete(task_id=sign.pk, user=user, data={})
    assert inst.status == InstanceStatus.COMPLETED
    assert rows(inst) == [("check_docs", HumanTaskState.COMPLETED), ("sign", HumanTaskState.COMPLETED)]
