"""Failing steps: rolled back completely, recorded as an incident, and retried once fixed."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from engine import services
from engine.errors import ConflictError, StepFailed
from engine.models import AuditEvent, HumanTask, HumanTaskState, Incident, InstanceStatus, ProcessInstance
from engine.registry import DefaultLaneResolver
from engine.runtime import load_workflow, loaded_spec
from engine.serialization import all_tasks

from .conftest import assert_round_trip, deploy_diagram, open_task, open_tasks
from .constructs import task_data

pytestmark = pytest.mark.django_db

User = get_user_model()


ACCOUNT_CALLS: list[str] = []


def create_account(ctx, username):
    """A handler that writes to the database (inside the step's transaction)."""
    ACCOUNT_CALLS.append(username)
    User.objects.create_user(username=f"postulante_{username}")
    return {"username": f"postulante_{username}"}


def reniec_down(ctx, dni):
    raise RuntimeError("RENIEC no responde (tiempo de espera agotado)")


def reniec_ok(ctx, dni):
    return {"dni": dni, "nombres": "ANA QUISPE"}


def snapshot(inst: ProcessInstance) -> dict:
    """Everything a user or admin could see of an instance, except its status."""
    inst.refresh_from_db()
    return {
        "state": inst.state,
        "lock_version": inst.lock_version,
        "serializer_version": inst.serializer_version,
        "next_timer_at": inst.next_timer_at,
        "tasks": list(HumanTask.objects.filter(instance=inst).order_by("pk").values()),
        "audit": list(AuditEvent.objects.filter(instance=inst).order_by("pk").values_list("pk", "action")),
    }


@pytest.fixture
def failing_services(engine_registry):
    ACCOUNT_CALLS.clear()
    engine_registry.register_service("create_account", create_account)
    engine_registry.register_service("reniec_lookup", reniec_down)
    return engine_registry


def test_failing_service_leaves_instance_exactly_as_before(user, failing_services):
    """When a service task fails, complete() raises StepFailed and the case is exactly as
    before except for its incident status and one incident audit event."""
    deploy_diagram("robust_incident")
    inst = services.start(key="robust_incident", started_by=user)
    fill = open_task(inst, "fill")
    before = snapshot(inst)

    with pytest.raises(StepFailed) as info:
        services.complete(task_id=fill.pk, user=user, data={"dni": "45678912"})

    assert "check" in str(info.value) and "RENIEC no responde" in str(info.value)
    after = snapshot(inst)
    audit_before, audit_after = before.pop("audit"), after.pop("audit")
    assert audit_after[: len(audit_before)] == audit_before
    assert [action for _pk, action in audit_after[len(audit_before):]] == ["incident"]
    assert after == before  # state, lock_version, task rows: identical
    inst.refresh_from_db()
    assert inst.status == InstanceStatus.INCIDENT

    incident = Incident.objects.get(instance=inst, resolved_at__isnull=True)
    assert incident.pk == info.value.incident_id
    assert incident.element_id == "check"
    assert "RENIEC no responde" in incident.message
    assert "RuntimeError" in incident.traceback and "reniec_down" in incident.traceback
    assert incident.actor == user
    assert incident.status_before == InstanceStatus.RUNNING
    # The account the first service task created in the failed step was rolled back.
    assert ACCOUNT_CALLS == ["45678912"]
    assert not User.objects.filter(username="postulante_45678912").exists()
    # The form data of the failed step did not reach the stored workflow.
    assert "45678912" not in inst.state
    assert_round_trip(inst)


def test_incident_audit_is_one_event(user, failing_services):
    """The failed step adds exactly one audit event, an 'incident' naming the element."""
    deploy_diagram("robust_incident")
    inst = services.start(key="robust_incident", started_by=user)
    count = AuditEvent.objects.filter(instance=inst).count()
    with pytest.raises(StepFailed):
        services.complete(task_id=open_task(inst, "fill").pk, user=user, data={"dni": "1"})
    events = list(AuditEvent.objects.filter(instance=inst).order_by("pk"))
    assert len(events) == count + 1
    assert events[-1].action == "incident"
    assert events[-1].element_id == "check"
    assert "RENIEC no responde" in events[-1].data["message"]


def test_retry_after_fix_completes_the_step(user, other_user, failing_services):
    """After the handler is fixed, retry() replays the failed step: the case moves on, the
    incident is resolved, the audit shows the retry, and the side effect happens once."""
    deploy_diagram("robust_incident")
    inst = services.start(key="robust_incident", started_by=user)
    fill = open_task(inst, "fill")
    with pytest.raises(StepFailed):
        services.complete(task_id=fill.pk, user=user, data={"dni": "45678912"})
    # A task of an instance with an incident is still shown, but retrying is the way on.
    assert [t.element_id for t in open_tasks(inst)] == ["fill"]

    failing_services.register_service("reniec_lookup", reniec_ok)
    services.retry(instance_id=inst.pk, by=other_user)

    inst.refresh_from_db()
    assert inst.status == InstanceStatus.RUNNING
    assert [t.element_id for t in open_tasks(inst)] == ["approve"]
    fill.refresh_from_db()
    assert fill.state == HumanTaskState.COMPLETED and fill.completed_by == user
    incident = Incident.objects.get(instance=inst)
    assert incident.resolved_at is not None and incident.resolution == "retried"
    retry_event = AuditEvent.objects.get(instance=inst, action="retry")
    assert retry_event.actor == other_user and retry_event.element_id == "check"
    assert AuditEvent.objects.filter(instance=inst, action="complete").count() == 1
    assert User.objects.filter(username="postulante_45678912").count() == 1

    services.complete(task_id=open_task(inst, "approve").pk, user=user)
    inst.refresh_from_db()
    assert inst.status == InstanceStatus.COMPLETED
    assert_round_trip(inst)


def test_retry_that_fails_again_keeps_one_open_incident(user, failing_services):
    """Retrying before the cause is fixed fails again: still one open incident, still nothing changed."""
    deploy_diagram("robust_incident")
    inst = services.start(key="robust_incident", started_by=user)
    fill = open_task(inst, "fill")
    with pytest.raises(StepFailed):
        services.complete(task_id=fill.pk, user=user, data={"dni": "1"})
    state = snapshot(inst)["state"]

    with pytest.raises(StepFailed):
        services.retry(instance_id=inst.pk, by=user)

    inst.refresh_from_db()
    assert inst.status == InstanceStatus.INCIDENT
    assert inst.state == state
    assert Incident.objects.filter(instance=inst, resolved_at__isnull=True).count() == 1
    assert Incident.objects.filter(instance=inst).count() == 2
    assert Incident.objects.get(instance=inst, resolved_at__isnull=True).status_before == InstanceStatus.RUNNING

    failing_services.register_service("reniec_lookup", reniec_ok)
    services.retry(instance_id=inst.pk, by=user)
    inst.refresh_from_db()
    assert inst.status == InstanceStatus.RUNNING
    assert not Incident.objects.filter(instance=inst, resolved_at__isnull=True).exists()


def test_retry_without_incident_is_refused(user):
    """Retrying an instance that has no open incident is a conflict."""
    deploy_diagram("user_tasks")
    inst = services.start(key="user_tasks", data={"ugel": "UGEL01"}, started_by=user)
    with pytest.raises(ConflictError):
        services.retry(instance_id=inst.pk, by=user)


def test_failing_first_step_at_start_records_incident_and_retry_continues(user, engine_registry):
    """A service failing in the very first step leaves a started instance with an incident;
    retry() continues it from the start once the handler works."""
    engine_registry.register_service("reniec_lookup", reniec_down)
    deploy_diagram("robust_incident_start")

    with pytest.raises(StepFailed) as info:
        services.start(key="robust_incident_start", data={"dni": "45678912"}, started_by=user)

    incident = Incident.objects.get(pk=info.value.incident_id)
    inst = incident.instance
    assert inst.status == InstanceStatus.INCIDENT
    assert incident.element_id == "check" and incident.resolved_at is None
    assert "RENIEC no responde" in incident.message
    assert open_tasks(inst) == []
    actions = list(AuditEvent.objects.filter(instance=inst).order_by("pk").values_list("action", flat=True))
    assert actions == ["start", "incident"]

    engine_registry.register_service("reniec_lookup", reniec_ok)
    services.retry(instance_id=inst.pk, by=user)

    inst.refresh_from_db()
    assert inst.status == InstanceStatus.RUNNING
    assert [t.element_id for t in open_tasks(inst)] == ["approve"]
    incident.refresh_from_db()
    assert incident.resolution == "retried"
    assert "retry" in AuditEvent.objects.filter(instance=inst).values_list("action", flat=True)
    wf = load_workflow(inst, loaded_spec(inst))
    approve = next(t for t in all_tasks(wf) if t.id == open_task(inst, "approve").task_id)
    assert approve.data["reniec"] == {"dni": "45678912", "nombres": "ANA QUISPE"}


def test_incident_instance_can_be_cancelled(user, failing_services):
    """An admin can cancel an instance stuck in an incident; the incident is closed with it."""
    deploy_diagram("robust_incident")
    inst = services.start(key="robust_incident", started_by=user)
    with pytest.raises(StepFailed):
        services.complete(task_id=open_task(inst, "fill").pk, user=user, data={"dni": "1"})
    services.cancel(instance_id=inst.pk, by=user, reason="Duplicado")
    inst.refresh_from_db()
    assert inst.status == InstanceStatus.CANCELLED
    assert Incident.objects.get(instance=inst).resolution == "cancelled"
    assert open_tasks(inst) == []


def test_a_task_that_cannot_be_assigned_becomes_an_incident(user):
    """A user task whose unit comes from a missing data key is an incident naming the
    task, not a task that lands in nobody's inbox."""
    deploy_diagram("user_tasks")
    inst = services.start(key="user_tasks", data={}, org_unit="IE01", started_by=user)
    fill = open_task(inst, "fill")
    with pytest.raises(StepFailed) as info:
        services.complete(task_id=fill.pk, user=user, data={})
    inst.refresh_from_db()
    assert inst.status == InstanceStatus.INCIDENT
    incident = Incident.objects.get(pk=info.value.incident_id)
    assert incident.element_id == "verify"
    assert "ugel" in incident.message
    assert [t.element_id for t in open_tasks(inst)] == ["fill"]


def test_a_message_is_not_lost_while_an_unrelated_incident_is_open(user, engine_registry):
    """A message that arrives while a failed completion awaits its fix is delivered, and
    the case goes on once the completion is retried."""
    engine_registry.register_service("reniec_lookup", reniec_down)
    deploy_diagram("robust_incident_message")
    inst = services.start(key="robust_incident_message", business_key="EXP-7", started_by=user)
    fill = open_task(inst, "fill")
    with pytest.raises(StepFailed):
        services.complete(task_id=fill.pk, user=user, data={"dni": "45678912"})

    received = services.deliver_message(name="oficio_recibido", payload={"numero": "OF-12"},
                                        business_key="EXP-7")

    assert received == [inst.pk]
    inst.refresh_from_db()
    assert inst.waiting_messages == []
    assert inst.status == InstanceStatus.INCIDENT  # the failed completion still needs its fix
    engine_registry.register_service("reniec_lookup", reniec_ok)
    services.retry(instance_id=inst.pk, by=user)
    inst.refresh_from_db()
    assert inst.status == InstanceStatus.RUNNING
    review = open_task(inst, "review")
    data = task_data(review)
    assert data["oficio"] == {"numero": "OF-12"}
    assert data["reniec"]["nombres"] == "ANA QUISPE"


def test_a_failed_message_step_is_kept_and_delivered_again_by_retry(user, engine_registry):
    """When the step that receives a message fails, the payload is kept in the incident;
    retrying it after the fix delivers it, since the sender will not send it again."""
    class NoUnitResolver(DefaultLaneResolver):
        def resolve(self, ctx):
            raise LookupError("la unidad del director no está registrada")

    deploy_diagram("message_catch")
    inst = services.start(key="message_catch", business_key="EXP-9", started_by=user)
    engine_registry.lane_resolver = NoUnitResolver()

    received = services.deliver_message(name="documento_listo", payload={"numero": "OF-3"},
                                        business_key="EXP-9")

    assert received == [inst.pk]
    inst.refresh_from_db()
    assert inst.status == InstanceStatus.INCIDENT
    incident = Incident.objects.get(instance=inst, resolved_at__isnull=True)
    assert incident.step_kind == "message"
    assert incident.step_payload["payload"] == {"numero": "OF-3"}
    assert inst.waiting_messages == ["documento_listo"]  # the failed step changed nothing

    engine_registry.lane_resolver = DefaultLaneResolver()
    services.retry(instance_id=inst.pk, by=user)

    inst.refresh_from_db()
    incident.refresh_from_db()
    assert incident.resolution == "retried"
    assert inst.status == InstanceStatus.RUNNING
    assert task_data(open_task(inst, "read_doc"))["documento"] == {"numero": "OF-3"}


def test_an_incident_whose_task_was_closed_meanwhile_is_settled_as_obsolete(user, engine_registry):
    """If the process moved on another way (the request was withdrawn), retrying the failed
    completion does nothing and closes the incident instead of raising a conflict."""
    engine_registry.register_service("reniec_lookup", reniec_down)
    deploy_diagram("robust_incident_withdrawn")
    inst = services.start(key="robust_incident_withdrawn", business_key="EXP-10", started_by=user)
    with pytest.raises(StepFailed):
        services.complete(task_id=open_task(inst, "review").pk, user=user, data={"dni": "1"})

    services.deliver_message(name="solicitud_retirada", business_key="EXP-10")
    inst.refresh_from_db()
    assert [t.element_id for t in open_tasks(inst)] == ["archive"]
    assert inst.status == InstanceStatus.INCIDENT  # the failed completion is still open

    services.retry(instance_id=inst.pk, by=user)

    inst.refresh_from_db()
    assert inst.status == InstanceStatus.RUNNING
    assert inst.incidents.get().resolution == "obsolete"
    assert [t.element_id for t in open_tasks(inst)] == ["archive"]
