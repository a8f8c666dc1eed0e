"""The task page: the form rendered from forms/, server-side validation, conflicts and
double submits, and nothing typed is ever lost."""

from __future__ import annotations

import pytest

from engine import services as engine
from engine.models import AuditAction, AuditEvent, HumanTask, HumanTaskState, InstanceStatus
from portal.work import services

from .. import matrix
from ..conftest import html
from .conftest import open_task

pytestmark = pytest.mark.django_db


@pytest.fixture
def verified_case(start_case, director):
    """A case whose requirements the director verified: the UGEL must register the user."""
    inst = start_case()
    services.task_complete(user=director, task_pk=open_task(inst, "verificar").pk,
                           data={"cumple_requisitos": "si"})
    inst.refresh_from_db()
    return inst


def test_task_page_shows_the_form_and_the_case_context(client, start_case, director):
    """The page renders the task's form with the case's process, number, unit and history."""
    inst = start_case()
    task = open_task(inst, "verificar")
    client.force_login(director)

    response = client.get(f"/tareas/{task.pk}/")

    text = html(response)
    assert response.status_code == 200
    assert "¿La solicitud cumple los requisitos?" in text
    assert f'name="_version" value="{inst.lock_version}"' in text
    assert "Trámite de prueba" in text and f"N.º {inst.pk}" in text and "AUGUSTO B. LEGUIA" in text
    assert "inició el trámite «Trámite de prueba»" in text
    assert "Registrar verificación" in text


def test_completing_the_task_redirects_to_the_inbox_with_a_message(client, start_case, director):
    """A valid form completes the task: «Tarea completada» and back to the inbox."""
    inst = start_case()
    task = open_task(inst, "verificar")
    client.force_login(director)

    response = client.post(f"/tareas/{task.pk}/", {"cumple_requisitos": "si", "_version": inst.lock_version},
                           follow=True)

    assert response.redirect_chain == [("/bandeja/", 302)]
    assert "Tarea completada" in html(response)
    task.refresh_from_db()
    assert task.state == HumanTaskState.COMPLETED
    assert open_task(inst, "registrar").unit == "UGEL-03"


def test_field_errors_rerender_with_typed_values_and_spanish_messages(client, start_case, director):
    """A missing required field re-renders the form (400) keeping what was chosen, with
    the error in Spanish, linked to its field and listed in the summary."""
    inst = start_case()
    task = open_task(inst, "verificar")
    client.force_login(director)

    response = client.post(f"/tareas/{task.pk}/", {"cumple_requisitos": "no", "_version": inst.lock_version})

    text = html(response)
    assert response.status_code == 400
    assert 'value="no" checked' in text
    assert "Revise los campos marcados" in text
    assert 'href="#id_observacion"' in text
    assert 'aria-describedby="id_observacion-help id_observacion-error"' in text
    assert "Este campo es obligatorio." in text
    task.refresh_from_db()
    assert task.state == HumanTaskState.OPEN


def test_hostile_input_is_shown_escaped(client, verified_case, officer):
    """A value with markup comes back as text: «<script>» is rendered as «&lt;script&gt;»."""
    task = open_task(verified_case, "registrar")
    client.force_login(officer("especialista_siagie_ugel", "UGEL-03"))
    hostile = '<script>alert("x")</script>'

    response = client.post(f"/tareas/{task.pk}/",
                           {"usuario_siagie": hostile, "_version": verified_case.lock_version})

    text = html(response)
    assert response.status_code == 400
    assert "<script>alert" not in text
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in text
    assert "Entre 4 y 30 letras, dígitos, puntos o guiones bajos." in text


def test_changed_case_is_a_conflict_that_keeps_the_typed_values(client, start_case, director, admin_user):
    """If the case changed after the page was built, nothing is saved, the page explains
    it and the typed observation is still in the form."""
    inst = start_case()
    task = open_task(inst, "verificar")
    page_version = inst.lock_version
    engine.suspend(instance_id=inst.pk, by=admin_user, reason="Revisión")
    engine.resume(instance_id=inst.pk, by=admin_user, reason="Revisión terminada")
    client.force_login(director)

    response = client.post(f"/tareas/{task.pk}/", {
        "cumple_requisitos": "no", "observacion": "Falta la copia del DNI", "_version": page_version})

    text = html(response)
    assert response.status_code == 409
    assert "El expediente cambió mientras usted trabajaba" in text
    assert "no se perdió nada" in text
    assert "Falta la copia del DNI</textarea>" in text
    assert 'value="no" checked' in text
    task.refresh_from_db()
    assert task.state == HumanTaskState.OPEN


def test_sending_again_after_a_conflict_completes_the_task(client, start_case, director, admin_user):
    """The re-rendered page carries the case's current version, so sending it again works."""
    inst = start_case()
    task = open_task(inst, "verificar")
    page_version = inst.lock_version
    engine.suspend(instance_id=inst.pk, by=admin_user, reason="Revisión")
    engine.resume(instance_id=inst.pk, by=admin_user, reason="Revisión terminada")
    client.force_login(director)
    conflict = client.post(f"/tareas/{task.pk}/", {"cumple_requisitos": "si", "_version": page_version})
    new_version = conflict.context["version"]

    response = client.post(f"/tareas/{task.pk}/", {"cumple_requisitos": "si", "_version": new_version})

    assert new_version != page_version
    assert response.status_code == 302
    task.refresh_from_db()
    assert task.state == HumanTaskState.COMPLETED


def test_task_taken_by_a_colleague_is_a_conflict_that_keeps_the_typed_values(client, officer):
    """When a colleague took the task, sending the form changes nothing and keeps the text."""
    engine.deploy(content=matrix.process_xml("especialista_actas_certificados"), source="m_actas.bpmn")
    first = officer("especialista_actas_certificados", "UGEL-03")
    second = officer("especialista_actas_certificados", "UGEL-03")
    inst = engine.start(key="m_especialista_actas_certificados", data={"unidad_tarea": "UGEL-03"}, org_unit="UGEL-03")
    task = HumanTask.objects.get(instance=inst)
    services.task_claim(user=first, task_pk=task.pk)
    client.force_login(second)

    response = client.post(f"/tareas/{task.pk}/", {"usuario_siagie": "rosa.quispe", "_version": inst.lock_version})

    text = html(response)
    assert response.status_code == 409
    assert "Otra persona tomó esta tarea" in text
    assert 'value="rosa.quispe"' in text
    task.refresh_from_db()
    assert task.state == HumanTaskState.OPEN


def test_double_submit_completes_once_and_answers_the_second_with_a_conflict(client, start_case, director):
    """The same POST sent twice completes the task once; the second gets the conflict page."""
    inst = start_case()
    task = open_task(inst, "verificar")
    client.force_login(director)
    payload = {"cumple_requisitos": "si", "_version": inst.lock_version}

    first = client.post(f"/tareas/{task.pk}/", payload)
    second = client.post(f"/tareas/{task.pk}/", payload)

    assert first.status_code == 302
    assert second.status_code == 409
    assert "Esta tarea ya no está pendiente." in html(second)
    assert 'value="si" checked' in html(second)
    assert AuditEvent.objects.filter(instance=inst, task_id=task.task_id, action=AuditAction.COMPLETE).count() == 1
    assert HumanTask.objects.filter(instance=inst, element_id="registrar").count() == 1


def test_supervisor_sees_the_task_read_only_and_cannot_send_it(client, start_case, officer):
    """The UGEL specialist may read the director's task (disabled form, no button) but a
    POST answers 403."""
    inst = start_case()
    task = open_task(inst, "verificar")
    client.force_login(officer("especialista_siagie_ugel", "UGEL-03"))

    page = client.get(f"/tareas/{task.pk}/")
    post = client.post(f"/tareas/{task.pk}/", {"cumple_requisitos": "si", "_version": inst.lock_version})

    assert page.status_code == 200
    assert "Solo lectura" in html(page)
    assert "Registrar verificación" not in html(page)
    assert 'name="cumple_requisitos" id="id_cumple_requisitos" value="si" required disabled' in html(page)
    assert post.status_code == 403
    task.refresh_from_db()
    assert task.state == HumanTaskState.OPEN


def test_completed_task_shows_what_was_sent_read_only(client, verified_case, director):
    """After completion the task page shows the submitted answer, without a submit button."""
    task = HumanTask.objects.get(instance=verified_case, element_id="verificar")
    client.force_login(director)

    response = client.get(f"/tareas/{task.pk}/")

    assert "Esta tarea ya fue completada." in html(response)
    assert 'value="si" checked' in html(response)
    assert "Registrar verificación" not in html(response)


def test_suspended_case_cannot_be_completed(client, start_case, director, admin_user):
    """A suspended case's task answers with a conflict and stays open."""
    inst = start_case()
    task = open_task(inst, "verificar")
    engine.suspend(instance_id=inst.pk, by=admin_user, reason="Revisión")
    inst.refresh_from_db()
    client.force_login(director)

    response = client.post(f"/tareas/{task.pk}/", {"cumple_requisitos": "si", "_version": inst.lock_version})

    assert response.status_code == 409
    assert "está suspendida" in html(response)
    inst.refresh_from_db()
    assert inst.status == InstanceStatus.SUSPENDED
