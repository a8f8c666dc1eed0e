"""Timers: firing the timers that are due. The background worker calls this at each
instance's next timer (engine.tasks) and in its periodic sweep."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.util.task import TaskState

from .errors import ConflictError, StepFailed
from .messaging import deliver_thrown
from .models import ACTIVE_STATUSES, AuditAction, ProcessInstance, StepKind
from .runtime import StepContext, engine_steps, run_engine
from .serialization import all_tasks
from .step import run_step
from .timer_cycles import keep_branch_results


def timer_act(ctx: StepContext) -> None:
    """A step action that fires the instance's due timers, recording each one that fired."""
    wf = ctx.wf

    def waiting_timers() -> dict[Any, Any]:
        return {
            t.id: t for t in all_tasks(wf)
            if t.state == TaskState.WAITING
            and isinstance(getattr(t.task_spec, "event_definition", None), TimerEventDefinition)
        }

    def due_of(task: Any) -> Any:
        value = task._get_internal_data("event_value")
        return value.get("next") if isinstance(value, dict) else value

    def run() -> None:
        before = waiting_timers()
        due_before = {task_id: due_of(task) for task_id, task in before.items()}
        wf.refresh_timers()
        engine_steps(ctx)
        after = waiting_timers()
        for task_id, task in before.items():
            if task_id not in after or task.state != TaskState.WAITING:
                ctx.record(AuditAction.TIMER, task=task,
                           data={"due": task._get_internal_data("event_value")})
            elif due_of(task) != due_before[task_id]:
                # A cycle timer fired and waits for its next occurrence.
                ctx.record(AuditAction.TIMER, task=task,
                           data={"due": due_before[task_id], "next": due_of(task)})
                keep_branch_results(task)

    run_engine(ctx, run)


def fire_due_timers(*, instance_id: int | None = None, limit: int = 500) -> list[int]:
    """Fire the timers that are due now. Returns the ids of the instances stepped.

    There is no `now` argument on purpose: SpiffWorkflow checks the real clock, so only
    the clock (time-machine in tests) decides what is due."""
    now = timezone.now()
    # Strictly before now: SpiffWorkflow fires a timer only once its time has passed
    # (`due < now`); stepping an instance at the exact due moment would fire nothing yet
    # still bump its lock_version and report it as stepped.
    qs = ProcessInstance.objects.filter(
        next_timer_at__lt=now, status__in=ACTIVE_STATUSES
    ).order_by("next_timer_at")
    if instance_id is not None:
        qs = qs.filter(pk=instance_id)
    stepped = []
    for pk in qs.values_list("pk", flat=True)[:limit]:
        try:
            ctx = run_step(pk, kind=StepKind.TIMER, payload={}, actor=None, act=timer_act)
            deliver_thrown(ctx)
            stepped.append(pk)
        except ConflictError:
            continue  # suspended, cancelled or completed meanwhile
        except StepFailed:
            stepped.append(pk)
    return stepped
