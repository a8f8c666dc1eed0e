"""Who may do what with the accounts procedures' own records (the tasks themselves are
portal.work.access's). Missing and not-yours answer the same NotVisible (404)."""

from __future__ import annotations

from typing import Any

from engine.models import HumanTask, HumanTaskState
from portal.orgs.access import Scope
from portal.shared.errors import NotVisible
from portal.work.access import can_act

from .procedures import HANDOVER_PROCESSES

HANDOVER_TASK = "entregar"  # the hand-over step of the alta procedures (processes/accounts)


def acta_task_for_work(scope: Scope, instance_pk: Any, *, lock: bool = False) -> HumanTask:
    """The open hand-over task of case `instance_pk`, if the user may work it right now:
    the acta de entrega is handed over by whoever completes that step, nobody else (not
    a supervisor who only sees it). NotVisible otherwise, also once the step is done.

    `lock=True` (inside a transaction) locks the task row until it commits; the state is
    read after the lock, so a hand-over recorded meanwhile counts."""
    try:
        pk = int(instance_pk)
    except (TypeError, ValueError):
        raise NotVisible from None
    rows = HumanTask.objects.filter(instance_id=pk, element_id=HANDOVER_TASK, state=HumanTaskState.OPEN,
                                    process_key__in=HANDOVER_PROCESSES)
    if lock:
        # Lock the task row alone (of=self): the instance and definition are read after.
        locked = rows.select_for_update(of=("self",)).values_list("pk", flat=True).first()
        rows = HumanTask.objects.filter(pk=locked) if locked is not None else rows.none()
    task = rows.select_related("instance__definition").first()
    if task is None or not can_act(scope, task):
        raise NotVisible
    return task
