"""Claims, conflicts and simultaneous completion: a task is completed once, by one person."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from django.db import connection

from engine import services
from engine.errors import ConflictError, EngineError
from engine.models import AuditEvent, HumanTask, HumanTaskState, InstanceStatus, ProcessInstance
from tests.threads import in_threads

from .conftest import deploy_diagram, open_task, open_tasks

DATA = {"ugel": "UGEL01"}


def snapshot(inst: ProcessInstance) -> dict:
    inst.refresh_from_db()
    return {
        "status": inst.status,
        "state": inst.state,
        "lock_version": inst.lock_version,
        "tasks": list(HumanTask.objects.filter(instance=inst).order_by("pk").values()),
        "audit": AuditEvent.objects.filter(instance=inst).count(),
    }


@pytest.fixture
def instance(db, user):
    deploy_diagram("user_tasks")
    return services.start(key="user_tasks", data=DATA, started_by=user)


# --- E. Claims and conflicts -----------------------------------------------------------------


def test_completing_a_task_claimed_by_someone_else_is_refused(instance, user, other_user):
    """Only the person holding a claimed task may complete it; the other gets a conflict and nothing changes."""
    fill = open_task(instance, "fill")
    services.claim(task_id=fill.pk, user=user)
    before = snapshot(instance)

    with pytest.raises(ConflictError) as info:
        services.complete(task_id=fill.pk, user=other_user, data={"x": 1})

    assert "tomó esta tarea" in str(info.value)
    assert snapshot(instance) == before
    services.complete(task_id=fill.pk, user=user, data={"x": 1})
    assert [t.element_id for t in open_tasks(instance)] == ["verify"]


def test_claiming_a_task_claimed_by_someone_else_is_refused(instance, user, other_user):
    """A second person cannot claim a task already taken."""
    fill = open_task(instance, "fill")
    services.claim(task_id=fill.pk, user=user)
    with pytest.raises(ConflictError):
        services.claim(task_id=fill.pk, user=other_user)
    fill.refresh_from_db()
    assert fill.claimed_by == user


def test_completing_an_already_completed_task_is_refused(instance, user, other_user):
    """Completing a task twice (another window, another person) is a conflict and changes nothing."""
    fill = open_task(instance, "fill")
    services.complete(task_id=fill.pk, user=user, data={})
    before = snapshot(instance)

    with pytest.raises(ConflictError) as info:
        services.complete(task_id=fill.pk, user=other_user, data={"x": 2})

    assert "ya fue completada" in str(info.value)
    assert snapshot(instance) == before
    assert AuditEvent.objects.filter(instance=instance, action="complete").count() == 1


def test_unclaim_by_someone_else_is_refused(instance, user, other_user):
    """Only the holder can release a claimed task."""
    fill = open_task(instance, "fill")
    services.claim(task_id=fill.pk, user=user)
    with pytest.raises(ConflictError):
        services.unclaim(task_id=fill.pk, user=other_user)
    fill.refresh_from_db()
    assert fill.claimed_by == user

    services.unclaim(task_id=fill.pk, user=user)
    fill.refresh_from_db()
    assert fill.claimed_by is None
    assert list(AuditEvent.objects.filter(task_id=fill.task_id, action__in=["claim", "unclaim"])
                .order_by("pk").values_list("action", flat=True)) == ["claim", "unclaim"]


def test_reassign_records_from_and_to(instance, user, other_user, django_user_model):
    """Reassigning a task hands it to the new person and the audit records who, from whom, to whom and why."""
    supervisor = django_user_model.objects.create_user(username="supervisora", password="x" * 12)
    fill = open_task(instance, "fill")
    services.claim(task_id=fill.pk, user=user)

    services.reassign(task_id=fill.pk, to_user=other_user, by=supervisor, reason="Vacaciones")

    fill.refresh_from_db()
    assert fill.claimed_by == other_user
    event = AuditEvent.objects.get(instance=instance, action="reassign")
    assert event.actor == supervisor
    assert event.element_id == "fill"
    assert event.data == {"from_user": user.pk, "to_user": other_user.pk, "reason": "Vacaciones"}
    with pytest.raises(ConflictError):
        services.complete(task_id=fill.pk, user=user, data={})
    services.complete(task_id=fill.pk, user=other_user, data={})
    fill.refresh_from_db()
    assert fill.state == HumanTaskState.COMPLETED and fill.completed_by == other_user


def test_reassign_a_completed_task_is_refused(instance, user, other_user):
    """A completed task cannot be reassigned."""
    fill = open_task(instance, "fill")
    services.complete(task_id=fill.pk, user=user, data={})
    with pytest.raises(ConflictError):
        services.reassign(task_id=fill.pk, to_user=other_user, by=user)


def test_suspended_instance_refuses_completion_until_resumed(instance, user):
    """A suspended case refuses task completion without changing anything; resuming allows it again."""
    fill = open_task(instance, "fill")
    services.suspend(instance_id=instance.pk, by=user, reason="Revisión de oficio")
    before = snapshot(instance)
    assert before["status"] == InstanceStatus.SUSPENDED

    with pytest.raises(ConflictError) as info:
        services.complete(task_id=fill.pk, user=user, data={})
    assert "suspendida" in str(info.value)
    assert snapshot(instance) == before

    services.resume(instance_id=instance.pk, by=user)
    instance.refresh_from_db()
    assert instance.status == InstanceStatus.RUNNING
    services.complete(task_id=fill.pk, user=user, data={})
    assert [t.element_id for t in open_tasks(instance)] == ["verify"]
    actions = list(AuditEvent.objects.filter(instance=instance).values_list("action", flat=True))
    assert actions.count("suspend") == 1 and actions.count("resume") == 1


def test_resume_of_a_running_instance_is_refused(instance, user):
    """Only a suspended instance can be resumed."""
    with pytest.raises(ConflictError):
        services.resume(instance_id=instance.pk, by=user)


def test_cancel_requires_a_reason(instance, user):
    """Cancelling without a reason is refused and changes nothing."""
    before = snapshot(instance)
    for reason in ("", "   "):
        with pytest.raises(EngineError) as info:
            services.cancel(instance_id=instance.pk, by=user, reason=reason)
        assert "motivo" in str(info.value)
    assert snapshot(instance) == before


def test_cancel_closes_open_tasks_and_refuses_further_work(instance, user):
    """Cancelling closes the open tasks, records the reason, and refuses completing or cancelling again."""
    fill = open_task(instance, "fill")
    services.cancel(instance_id=instance.pk, by=user, reason="Solicitud duplicada")

    instance.refresh_from_db()
    assert instance.status == InstanceStatus.CANCELLED and instance.ended_at is not None
    assert open_tasks(instance) == []
    fill.refresh_from_db()
    assert fill.state == HumanTaskState.CANCELLED
    event = AuditEvent.objects.get(instance=instance, action="cancel")
    assert event.data == {"reason": "Solicitud duplicada", "open_tasks_cancelled": 1}

    before = snapshot(instance)
    with pytest.raises(ConflictError):
        services.complete(task_id=fill.pk, user=user, data={})
    with pytest.raises(ConflictError):
        services.cancel(instance_id=instance.pk, by=user, reason="otra vez")
    with pytest.raises(ConflictError):
        services.claim(task_id=fill.pk, user=user)
    assert snapshot(instance) == before


# --- F. Simultaneous completion -------------------------------------------------------------


def _complete_together(task_pk: int, users: list) -> list[object]:
    """Complete one task from several threads released at the same instant."""
    barrier = threading.Barrier(len(users))

    def worker(actor) -> Callable[[], None]:
        def job() -> None:
            barrier.wait(timeout=10)
            services.complete(task_id=task_pk, user=actor, data={"by": actor.username})
        return job

    results = in_threads({str(i): worker(u) for i, u in enumerate(users)})
    return [results[str(i)] for i in range(len(users))]


def _assert_completed_once(instance, fill, results, users) -> None:
    winners = [i for i, r in enumerate(results) if r == "ok"]
    losers = [r for r in results if r != "ok"]
    assert len(winners) == 1, results
    assert all(isinstance(r, ConflictError) for r in losers), results
    before_version = instance.lock_version
    instance.refresh_from_db()
    assert instance.lock_version == before_version + 1  # advanced exactly once
    assert AuditEvent.objects.filter(instance=instance, task_id=fill.task_id, action="complete").count() == 1
    fill.refresh_from_db()
    assert fill.state == HumanTaskState.COMPLETED
    assert fill.completed_by == users[winners[0]]
    assert [t.element_id for t in open_tasks(instance)] == ["verify"]
    assert HumanTask.objects.filter(instance=instance, element_id="verify").count() == 1
    assert AuditEvent.objects.filter(instance=instance, action="task_created", element_id="verify").count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_people_completing_the_same_task_at_once(user, other_user):
    """Two people completing the same task at the same moment: one succeeds, the other gets a
    conflict, and the case moves on exactly once (PostgreSQL row locks; SQLite write lock)."""
    deploy_diagram("user_tasks")
    instance = services.start(key="user_tasks", data=DATA, started_by=user)
    fill = open_task(instance, "fill")

    results = _complete_together(fill.pk, [user, other_user])

    _assert_completed_once(instance, fill, results, [user, other_user])


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_many_people_completing_the_same_task_at_once(django_user_model):
    """Eight simultaneous completions of one task on PostgreSQL: exactly one wins."""
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: eight concurrent writers exercise row locks, "
                    "SQLite only has one database-wide write lock")
    users = [django_user_model.objects.create_user(username=f"u{i}", password="x" * 12) for i in range(8)]
    deploy_diagram("user_tasks")
    instance = services.start(key="user_tasks", data=DATA, started_by=users[0])
    fill = open_task(instance, "fill")

    results = _complete_together(fill.pk, users)

    _assert_completed_once(instance, fill, results, users)


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_claim_and_complete_race(user, other_user):
    """A claim racing someone else's completion has exactly one winner: either the task is
    completed and the claim conflicts, or it is claimed and the completion conflicts."""
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL row locks to interleave a claim with a completion")
    deploy_diagram("user_tasks")
    instance = services.start(key="user_tasks", data=DATA, started_by=user)
    fill = open_task(instance, "fill")
    barrier = threading.Barrier(2)

    def do_claim() -> None:
        barrier.wait(timeout=10)
        services.claim(task_id=fill.pk, user=other_user)

    def do_complete() -> None:
        barrier.wait(timeout=10)
        services.complete(task_id=fill.pk, user=user, data={})

    results = in_threads({"claim": do_claim, "complete": do_complete})
    fill.refresh_from_db()
    assert set(results) == {"claim", "complete"}
    if results["complete"] == "ok":
        assert isinstance(results["claim"], ConflictError)
        assert fill.state == HumanTaskState.COMPLETED and fill.completed_by == user
    else:
        assert results["claim"] == "ok" and isinstance(results["complete"], ConflictError)
        assert fill.state == HumanTaskState.OPEN and fill.claimed_by == other_user


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_claim_during_a_running_step_does_not_deadlock(user, other_user):
    """A claim made while another step holds the instance goes through at once, and the step
    then sees it, instead of the two deadlocking (claim holds the task, the step the instance)."""
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL row locks; SQLite serializes the two transactions whole")
    from django.db import transaction

    from engine.persistence import lock_instance

    deploy_diagram("user_tasks")
    instance = services.start(key="user_tasks", data=DATA, started_by=user)
    fill = open_task(instance, "fill")
    locked, claimed = threading.Event(), threading.Event()

    def step() -> dict:
        with transaction.atomic():
            lock_instance(instance.pk)  # what every step does first
            locked.set()
            finished_meanwhile = claimed.wait(timeout=5)
            rows = list(HumanTask.objects.select_for_update().filter(instance_id=instance.pk))
            return {"claim_finished_meanwhile": finished_meanwhile,
                    "step_saw": [r.claimed_by_id for r in rows]}

    def claim() -> None:
        locked.wait(timeout=10)
        services.claim(task_id=fill.pk, user=other_user)
        claimed.set()

    results = in_threads({"step": step, "claim": claim})

    assert results["claim"] == "ok", results
    assert results["step"] == {"claim_finished_meanwhile": True, "step_saw": [other_user.pk]}, results
