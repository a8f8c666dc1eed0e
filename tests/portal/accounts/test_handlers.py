"""accounts.alta and accounts.baja called by a real diagram's service task."""

import json
import re

import pytest
from django.contrib.auth import get_user_model
from django.core import mail

from engine import services as engine
from engine.errors import ServiceTaskError, StepFailed
from engine.models import HumanTask, Incident, InstanceStatus
from engine.registry import ServiceContext, registry
from engine.runtime import load_workflow, loaded_spec
from portal.accounts import handlers
from portal.core.models import ActivityLog
from portal.notify.delivery import notification_send
from portal.notify.models import Notification
from portal.orgs.models import Person, Position

from .conftest import IE

pytestmark = pytest.mark.django_db
User = get_user_model()

XML = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" id="d" targetNamespace="t">
  <bpmn:process id="{key}" isExecutable="true">
    <bpmn:laneSet id="ls">
      <bpmn:lane id="l" name="{lane}">
        <bpmn:flowNodeRef>s</bpmn:flowNodeRef><bpmn:flowNodeRef>verificar</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>cuenta</bpmn:flowNodeRef><bpmn:flowNodeRef>e</bpmn:flowNodeRef>
      </bpmn:lane>
    </bpmn:laneSet>
    <bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="verificar"/>
    <bpmn:userTask id="verificar" name="Verificar los requisitos"/>
    <bpmn:sequenceFlow id="f2" sourceRef="verificar" targetRef="cuenta"/>
    <bpmn:serviceTask id="cuenta" name="Registrar la cuenta">
      <bpmn:extensionElements>
        <spiffworkflow:serviceTaskOperator id="{operator}" resultVariable="cuenta">
          <spiffworkflow:parameters>{params}</spiffworkflow:parameters>
        </spiffworkflow:serviceTaskOperator>
      </bpmn:extensionElements>
    </bpmn:serviceTask>
    <bpmn:sequenceFlow id="f3" sourceRef="cuenta" targetRef="e"/><bpmn:endEvent id="e"/>
  </bpmn:process>
</bpmn:definitions>"""

ALTA_PARAMS = {"nombres": "nombres", "apellidos": "apellidos", "document_number": "dni", "email": "correo",
               "role": "'personal_ie'", "unit": "unidad"}
BAJA_PARAMS = {"document_number": "dni", "role": "'personal_ie'", "unit": "unidad"}
SOLICITUD = {"nombres": "Rosa Elena", "apellidos": "Quispe Mamani", "dni": "45871236",
             "correo": "rosa.quispe@example.pe", "unidad": IE}


def deploy(key, operator, params, lane="director_ie"):
    """A request verified by `lane` (a role) whose approval runs the service task `operator`."""
    body = "".join(f'<spiffworkflow:parameter id="{name}" type="str" value="{value}"/>'
                   for name, value in params.items())
    engine.deploy(content=XML.format(key=key, lane=lane, operator=operator, params=body), source=f"{key}.bpmn")


def run(key, verifier, data=SOLICITUD):
    """Start the process at the IE and let the verifier complete the verification."""
    inst = engine.start(key=key, org_unit=IE, data=dict(data))
    task = HumanTask.objects.get(instance=inst, state="open")
    return engine.complete(task_id=task.pk, user=verifier, data={"cumple_requisitos": "si"}), task


def final_data(instance):
    instance.refresh_from_db()
    return dict(load_workflow(instance, loaded_spec(instance)).data)


def test_the_portal_registers_the_account_handlers():
    """accounts.alta and accounts.baja are registered at start-up."""
    assert registry.services["accounts.alta"] is handlers.alta
    assert registry.services["accounts.baja"] is handlers.baja


def test_an_approved_alta_creates_the_account_and_stores_it_in_the_case(org, officer, client):
    """The service task creates user, person and position, acting as the verifier; the case
    data gets the username, and the new user gets the one-time activation link by e-mail
    (never into the case data, which the audit keeps for ever)."""
    director = officer("director_ie", IE)
    deploy("alta_personal", "accounts.alta", ALTA_PARAMS)

    inst, _task = run("alta_personal", director)

    assert inst.status == InstanceStatus.COMPLETED
    cuenta = final_data(inst)["cuenta"]
    user = User.objects.get(username="rquispe")
    assert cuenta["usuario"] == "rquispe" and cuenta["user_id"] == user.pk and cuenta["reemplazado"] is None
    assert Position.objects.get(pk=cuenta["position_id"]).assigned_by == director
    assert ActivityLog.objects.get(action="account_created").actor == director
    assert cuenta["activacion"] == "enviada"
    assert "/cuenta/activar/" not in json.dumps(final_data(inst))
    outbox_row = Notification.objects.get(template="activacion_cuenta", user=user)
    assert "/cuenta/activar/" not in outbox_row.body_text + outbox_row.body_html  # the outbox keeps no credential
    notification_send(notification_id=outbox_row.pk)  # what the worker runs after commit
    (message,) = [m for m in mail.outbox if m.to == ["rosa.quispe@example.pe"]]
    assert "rquispe" in message.body
    path = re.search(r"https?://[^/\s]+(/cuenta/activar/\S+/)", message.body).group(1)
    password = "Huancavelica-2026"
    response = client.post(path, {"new_password1": password, "new_password2": password})
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.is_active and user.check_password(password)


def test_an_alta_replacing_a_director_reports_the_previous_holder_masked(org, officer):
    """For a one-holder role the handler replaces by default (the UGEL approved the request) and
    names the old holder with a masked DNI; the old holder's account is deactivated."""
    old = officer("director_ie", IE)
    Person.objects.create(user=old, document_number="40011236")
    ugel = officer("especialista_siagie_ugel", "UGEL-03")
    deploy("alta_director", "accounts.alta", {**ALTA_PARAMS, "role": "'director_ie'"},
           lane="especialista_siagie_ugel")

    inst, _task = run("alta_director", ugel)

    cuenta = final_data(inst)["cuenta"]
    assert cuenta["reemplazado"] == {"nombre": old.get_full_name(), "documento": "****1236", "user_id": old.pk,
                                     "cuenta_desactivada": True, "tareas_liberadas": 0}
    assert list(Position.objects.filter(role="director_ie", unit__code=IE, until__isnull=True)
                .values_list("user__username", flat=True)) == ["rquispe"]
    old.refresh_from_db()
    assert not old.is_active
    assert Position.objects.get(user=old).ended_by == ugel


def test_a_failing_alta_becomes_an_incident_and_creates_nothing(org, officer):
    """A duplicate alta (the person already holds the role) rolls the step back: an incident with
    the Spanish reason, the task still open, no new user, person or position."""
    director = officer("director_ie", IE)
    deploy("alta_personal", "accounts.alta", ALTA_PARAMS)
    run("alta_personal", director)
    counts = (User.objects.count(), Person.objects.count(), Position.objects.count(), ActivityLog.objects.count())

    with pytest.raises(StepFailed):
        run("alta_personal", director)

    incident = Incident.objects.get()
    assert "ya tiene ese cargo" in incident.message
    assert incident.instance.status == InstanceStatus.INCIDENT
    assert HumanTask.objects.get(instance=incident.instance).state == "open"
    assert (User.objects.count(), Person.objects.count(), Position.objects.count(),
            ActivityLog.objects.count()) == counts


def test_an_approved_baja_ends_the_position_and_deactivates(org, officer):
    """accounts.baja ends the person's position and reports the deactivation."""
    director = officer("director_ie", IE)
    deploy("alta_personal", "accounts.alta", ALTA_PARAMS)
    deploy("baja_personal", "accounts.baja", BAJA_PARAMS)
    run("alta_personal", director)

    inst, _task = run("baja_personal", director)

    cuenta = final_data(inst)["cuenta"]
    assert cuenta["usuario"] == "rquispe" and cuenta["cuenta_desactivada"] is True
    position = Position.objects.get(pk=cuenta["position_id"])
    assert position.until is not None and position.ended_by == director
    assert "baja_personal" in position.end_reason


def _ctx(actor=None):
    return ServiceContext(instance_id=1, definition_key="k", business_key="", org_unit=IE, element_id="cuenta",
                          data={}, actor_id=getattr(actor, "pk", None))


def test_missing_or_unknown_parameters_are_reported_in_spanish(org):
    """A diagram that forgets a parameter or misspells one gets a clear Spanish error."""
    with pytest.raises(ServiceTaskError, match="faltan los parámetros: apellidos, document_number"):
        handlers.alta(_ctx(), nombres="Rosa", role="personal_ie", unit=IE)
    with pytest.raises(ServiceTaskError, match="no reconoce los parámetros: dni"):
        handlers.baja(_ctx(), dni="45871236", role="personal_ie", unit=IE)


def test_an_unknown_role_or_unit_is_reported(org):
    """Role and unit codes must exist."""
    with pytest.raises(ServiceTaskError, match="rol «rector» no existe"):
        handlers.baja(_ctx(), document_number="45871236", role="rector", unit=IE)
    with pytest.raises(ServiceTaskError, match="9999999-9"):
        handlers.baja(_ctx(), document_number="45871236", role="personal_ie", unit="9999999-9")
