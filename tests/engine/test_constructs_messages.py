"""Message constructs: a message thrown by one instance and caught by another, and a
message that starts a new instance."""

from __future__ import annotations

import pytest

from engine import services
from engine.errors import MessageNotDelivered
from engine.models import HumanTaskState, InstanceStatus, MessageWait, ProcessInstance

from .conftest import assert_round_trip, deploy_diagram, open_tasks
from .constructs import actions, audit_events, final_data, rows, task_data

pytestmark = pytest.mark.django_db


def test_message_thrown_by_one_instance_is_caught_by_another(user, other_user):
    """An instance waiting on a message catch event receives the payload another instance
    throws, and moves on to its next task."""
    deploy_diagram("message_catch")
    deploy_diagram("message_throw")

    receiver = services.start(key="message_catch", org_unit="IE-0456", started_by=other_user)
    assert receiver.status == InstanceStatus.WAITING
    assert receiver.waiting_messages == ["documento_listo"]
    assert list(MessageWait.objects.filter(instance=receiver).values_list("name", flat=True)) == [
        "documento_listo"]
    assert open_tasks(receiver) == []
    assert_round_trip(receiver)

    sender = services.start(key="message_throw", org_unit="UGEL-01", started_by=user)
    [prepare] = open_tasks(sender)
    assert_round_trip(sender)
    receiver.refresh_from_db()
    assert receiver.status == InstanceStatus.WAITING  # nothing was thrown yet

    sender = services.complete(task_id=prepare.pk, user=user,
                               data={"oficio": "OF-2026-12", "folios": 3, "borrador": "interno"})
    assert sender.status == InstanceStatus.COMPLETED

    receiver.refresh_from_db()
    assert receiver.status == InstanceStatus.RUNNING
    assert receiver.waiting_messages == []
    assert not MessageWait.objects.filter(instance=receiver).exists()
    [read] = open_tasks(receiver)
    assert (read.element_id, read.role, read.unit) == ("read_doc", "director_ie", "IE-0456")
    # Only the payload expression travels, not the sender's whole data.
    assert task_data(read)["documento"] == {"oficio": "OF-2026-12", "folios": 3}
    [message] = audit_events(receiver, "message")
    assert message.data == {"message": "documento_listo",
                            "payload": {"oficio": "OF-2026-12", "folios": 3}}
    assert_round_trip(receiver)

    receiver = services.complete(task_id=read.pk, user=other_user, data={"leido": True})
    assert receiver.status == InstanceStatus.COMPLETED
    assert final_data(receiver) == {"documento": {"oficio": "OF-2026-12", "folios": 3}, "leido": True}
    assert rows(receiver) == [("read_doc", HumanTaskState.COMPLETED)]

    # Nobody waits for the message any more.
    with pytest.raises(MessageNotDelivered):
        services.deliver_message(name="documento_listo", payload={})


def test_message_start_event_starts_a_new_instance_with_the_payload(user):
    """Delivering a message that a process starts on creates a new instance of it, with the
    payload in its data and the first task open."""
    deploy_diagram("message_start")
    payload = {"dni": "40123456", "tipo": "constancia"}

    receivers = services.deliver_message(name="solicitud_recibida", payload=payload,
                                         business_key="EXP-2026-0001", actor=user)

    [inst] = ProcessInstance.objects.filter(pk__in=receivers)
    assert receivers == [inst.pk]
    assert inst.definition.key == "message_start"
    assert inst.business_key == "EXP-2026-0001"
    assert inst.started_by == user
    assert inst.status == InstanceStatus.RUNNING
    [attend] = open_tasks(inst)
    assert (attend.element_id, attend.role) == ("attend", "mesa_de_partes")
    assert task_data(attend)["solicitud"] == payload
    assert actions(inst)[:2] == ["start", "message"]
    assert audit_events(inst, "message")[0].data == {"message": "solicitud_recibida", "payload": payload}
    assert_round_trip(inst)

    # A second message starts a second, independent instance.
    second = services.deliver_message(name="solicitud_recibida", payload={"dni": "1"},
                                      business_key="EXP-2026-0002")
    assert len(second) == 1 and second[0] != inst.pk
    inst.refresh_from_db()
    assert [t.element_id for t in open_tasks(inst)] == ["attend"]

    inst = services.complete(task_id=attend.pk, user=user, data={"atendido": True})
    assert inst.status == InstanceStatus.COMPLETED
    assert final_data(inst) == {"solicitud": payload, "atendido": True}
