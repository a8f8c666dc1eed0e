"""A loop of scripts inside one step runs to its end however long (no silent stall at
SpiffWorkflow's depth limit), and a step that never ends is stopped by STEP_MAX_SECONDS."""

from __future__ import annotations

import pytest

from engine import services
from engine.errors import StepFailed
from engine.models import HumanTask, Incident, InstanceStatus

from .conftest import assert_round_trip, deploy_diagram, open_task, open_tasks
from .constructs import task_data

pytestmark = pytest.mark.django_db


def start_loop(user):
    deploy_diagram("script_loop")
    inst = services.start(key="script_loop", started_by=user)
    return inst, open_task(inst, "fill")


@pytest.mark.parametrize("rounds", [101, 401, 5_000])
def test_script_loop_in_one_step_runs_to_the_user_task(user, settings, rounds):
    """N rounds of script → gateway in one step, then a user task: the task is open and the loop
    variable is N (past 333 rounds SpiffWorkflow alone stops seeing the loop's tasks). The step
    budget is raised so a loaded machine cannot turn this into a budget test."""
    settings.ENGINE = {**settings.ENGINE, "STEP_MAX_SECONDS": 600}
    inst, fill = start_loop(user)
    inst = services.complete(task_id=fill.pk, user=user, data={"n": rounds})
    inst.refresh_from_db()
    assert inst.status == InstanceStatus.RUNNING
    [review] = open_tasks(inst)
    assert review.element_id == "review"
    assert task_data(review)["i"] == rounds
    assert not Incident.objects.filter(instance=inst).exists()
    assert_round_trip(inst)


def test_unbounded_loop_ends_at_the_step_budget(user, settings):
    """A loop of scripts that never ends is stopped by STEP_MAX_SECONDS: the step rolls back to
    before it (the first task open again, its data unchanged) and the incident names the budget."""
    settings.ENGINE = {**settings.ENGINE, "STEP_MAX_SECONDS": 1}
    inst, fill = start_loop(user)
    state_before = type(inst).objects.get(pk=inst.pk).state
    with pytest.raises(StepFailed) as info:
        services.complete(task_id=fill.pk, user=user, data={"n": 10**15})
    inst.refresh_from_db()
    assert inst.status == InstanceStatus.INCIDENT
    incident = Incident.objects.get(instance=inst, resolved_at__isnull=True)
    assert "el límite de 1 segundo por paso (STEP_MAX_SECONDS)" in incident.message
    assert incident.element_id in {"merge", "inc", "again"}
    assert "STEP_MAX_SECONDS" in str(info.value)
    assert inst.state == state_before
    assert [t.element_id for t in open_tasks(inst)] == ["fill"]
    assert HumanTask.objects.filter(instance=inst).count() == 1


def test_step_budget_reaches_inside_a_script(user, settings):
    """A single script that would outlive the step is stopped by the step's deadline even when
    its own budget is larger."""
    settings.ENGINE = {**settings.ENGINE, "STEP_MAX_SECONDS": 0.5, "SCRIPT_MAX_SECONDS": 600,
                       "SCRIPT_MAX_OPERATIONS": 10**12}
    from .test_safety import diagram, run_to_calc, xml_text

    inst, _fill, failed = run_to_calc(diagram(script=xml_text("x = 0\nwhile True:\n    x = x + 1")), user)
    assert failed is not None
    incident = Incident.objects.get(instance=inst, resolved_at__isnull=True)
    assert incident.message == ("El script de «Calcular promedio» superó el límite de tiempo del paso "
                                "(STEP_MAX_SECONDS).")
    assert [t.element_id for t in open_tasks(inst)] == ["fill"]


FILL = '<bpmn:userTask id="fill" name="Indicar vueltas"/>'
TIMER = ('<bpmn:intermediateCatchEvent id="fill" name="Esperar una hora"><bpmn:timerEventDefinition>'
         '<bpmn:timeDuration>"PT1H"</bpmn:timeDuration></bpmn:timerEventDefinition>'
         '</bpmn:intermediateCatchEvent>')


def test_timer_step_into_an_endless_loop_ends_at_the_step_budget(user, settings):
    """A timer that fires into an endless loop of scripts is stopped by STEP_MAX_SECONDS too: the
    timer step rolls back (the timer still waits) and leaves an incident naming the budget."""
    from datetime import timedelta

    import time_machine
    from django.utils import timezone

    from .conftest import DIAGRAMS

    settings.ENGINE = {**settings.ENGINE, "STEP_MAX_SECONDS": 1}
    content = (DIAGRAMS / "script_loop.bpmn").read_text(encoding="utf-8")
    assert FILL in content
    services.deploy(content=content.replace(FILL, TIMER), source="timer_loop.bpmn")
    inst = services.start(key="script_loop", data={"n": 10**15}, started_by=user)
    inst.refresh_from_db()
    due, state_before = inst.next_timer_at, inst.state
    assert due is not None
    with time_machine.travel(timezone.now() + timedelta(hours=2), tick=True):
        assert services.fire_due_timers() == [inst.pk]
    inst.refresh_from_db()
    assert inst.status == InstanceStatus.INCIDENT
    incident = Incident.objects.get(instance=inst, resolved_at__isnull=True)
    assert incident.step_kind == "timer"
    assert "STEP_MAX_SECONDS" in incident.message
    assert (inst.state, inst.next_timer_at) == (state_before, due)
