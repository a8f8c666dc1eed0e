"""The case file page: status, current step, the plain-Spanish history, the diagram with
its marks, the attached documents, all behind the same access check."""

from __future__ import annotations

import json
import re
import uuid
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from engine import services as engine
from engine.models import ProcessInstance
from engine.registry import DirectoryFormCatalogue, registry
from portal.core.models import ActivityLog
from portal.work import services

from ..conftest import html
from .conftest import open_task

pytestmark = pytest.mark.django_db

FORMS = Path(__file__).parent / "forms"
PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\nstartxref\n0\n%%EOF\n"
ADJUNTO_BPMN = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" id="d_adjunto" targetNamespace="t">
  <bpmn:process id="adjunto_prueba" name="Remisión de oficio" isExecutable="true">
    <bpmn:laneSet id="ls">
      <bpmn:lane id="l1" name="personal_ie"><bpmn:flowNodeRef>start</bpmn:flowNodeRef></bpmn:lane>
      <bpmn:lane id="l2" name="director_ie"><bpmn:flowNodeRef>revisar</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>end</bpmn:flowNodeRef></bpmn:lane>
    </bpmn:laneSet>
    <bpmn:startEvent id="start"><bpmn:extensionElements><spiffworkflow:properties>
      <spiffworkflow:property name="formKey" value="adjunto_prueba"/>
    </spiffworkflow:properties></bpmn:extensionElements></bpmn:startEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="revisar"/>
    <bpmn:userTask id="revisar" name="Revisar el oficio"/>
    <bpmn:sequenceFlow id="f2" sourceRef="revisar" targetRef="end"/>
    <bpmn:endEvent id="end"/>
  </bpmn:process>
</bpmn:definitions>"""


@pytest.fixture
def verified_case(start_case, director):
    inst = start_case()
    services.task_complete(user=director, task_pk=open_task(inst, "verificar").pk, data={"cumple_requisitos": "si"})
    inst.refresh_from_db()
    return inst


@pytest.fixture
def adjunto(settings, tmp_path, db):
    """The attachment process (no diagram interchange) with its form in ./forms."""
    settings.ENGINE = {**settings.ENGINE, "FORMS_DIR": str(FORMS)}
    settings.MEDIA_ROOT = str(tmp_path / "media")
    saved = registry.forms
    registry.forms = DirectoryFormCatalogue(FORMS)
    engine.deploy(content=ADJUNTO_BPMN, source="adjunto_prueba.bpmn")
    yield
    registry.forms = saved


@pytest.fixture
def case_with_document(client, adjunto, docente):
    client.force_login(docente)
    upload = SimpleUploadedFile("oficio 123.pdf", PDF, content_type="application/pdf")
    response = client.post("/iniciar/adjunto_prueba/", {"asunto": "Oficio de la IE", "oficio": upload})
    assert response.status_code == 302, html(response)
    client.logout()
    inst = ProcessInstance.objects.get(definition__key="adjunto_prueba")
    from portal.schemaforms.models import Document

    return inst, Document.objects.get()


def test_instance_page_shows_status_current_step_and_timeline_sentence(client, verified_case, docente):
    """The requester reads the status, who holds the current step and the plain-Spanish
    history: the director «verificó los requisitos: cumple»."""
    client.force_login(docente)

    response = client.get(f"/expedientes/{verified_case.pk}/")

    text = html(response)
    assert response.status_code == 200
    assert "En curso" in text
    assert "Registrar el usuario en SIAGIE" in text
    assert "A cargo de Especialista SIAGIE UGEL (UGEL 03 Breña)" in text
    assert "verificó los requisitos: cumple" in text
    assert re.search(r"\d{2}/\d{2}/\d{4} \d{2}:\d{2}", text)


def test_instance_page_marks_completed_and_active_elements_on_the_diagram(client, verified_case, director):
    """The diagram gets the completed step (verificar) and the active one (registrar),
    from local bpmn-js assets, and the same lists in text for screen readers."""
    client.force_login(director)

    response = client.get(f"/expedientes/{verified_case.pk}/")

    text = html(response)
    states = json.loads(re.search(r'<script id="diagrama-estados" type="application/json">(.*?)</script>',
                                  text).group(1))
    assert "verificar" in states["completed"] and "registrar" not in states["completed"]
    assert states["active"] == ["registrar"]
    assert f'data-xml-url="/expedientes/{verified_case.pk}/diagrama.bpmn"' in text
    assert "/static/vendor/bpmn-js/bpmn-navigated-viewer.production.min.js" in text
    assert "/static/vendor/bpmn-js/assets/bpmn-font/css/bpmn.css" in text
    completed_text = re.search(r"Completados: (.*?)\.", text).group(1)
    assert "Verificar los requisitos" in completed_text and "Registrar" not in completed_text
    assert "En curso: Registrar el usuario en SIAGIE." in text
    assert not re.search(r'(?:src|href)="(?:https?:)?//', text)


def test_diagram_view_serves_the_instance_bpmn(client, verified_case, director):
    """/expedientes/<id>/diagrama.bpmn serves the XML of the instance's own version."""
    client.force_login(director)

    response = client.get(f"/expedientes/{verified_case.pk}/diagrama.bpmn")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/xml")
    assert response.content.decode() == verified_case.definition.xml


def test_officer_of_another_ugel_gets_404_for_the_case_its_diagram_and_documents(
        client, case_with_document, officer):
    """A UGEL 04 specialist cannot learn that a UGEL 03 case exists: every view is 404."""
    inst, document = case_with_document
    client.force_login(officer("especialista_siagie_ugel", "UGEL-04"))

    assert client.get(f"/expedientes/{inst.pk}/").status_code == 404
    assert client.get(f"/expedientes/{inst.pk}/diagrama.bpmn").status_code == 404
    assert client.get(f"/expedientes/{inst.pk}/documentos/{document.pk}/").status_code == 404


def test_case_without_diagram_interchange_shows_a_note(client, case_with_document, director):
    """A BPMN without drawing information shows a Spanish note instead of an empty box."""
    inst, _document = case_with_document
    client.force_login(director)

    response = client.get(f"/expedientes/{inst.pk}/")

    assert 'data-testid="sin-diagrama"' in html(response)
    assert "no incluye la información gráfica" in html(response)
    assert "bpmn-navigated-viewer" not in html(response)


def test_attached_document_is_listed_and_downloads_for_who_sees_the_case(client, case_with_document, director):
    """The director of the IE sees the attached oficio and downloads it; the read is logged."""
    inst, document = case_with_document
    client.force_login(director)

    page = client.get(f"/expedientes/{inst.pk}/")
    download = client.get(f"/expedientes/{inst.pk}/documentos/{document.pk}/")

    assert f'href="/expedientes/{inst.pk}/documentos/{document.pk}/"' in html(page)
    assert "oficio 123.pdf" in html(page)
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == PDF
    assert "attachment" in download["Content-Disposition"]
    assert ActivityLog.objects.filter(action="document_downloaded", object_id=str(document.pk)).exists()


def test_document_not_attached_to_the_case_answers_404(client, case_with_document, docente):
    """Only documents found in the case's data download through the case: others are 404."""
    inst, _document = case_with_document
    client.force_login(docente)

    assert client.get(f"/expedientes/{inst.pk}/documentos/{uuid.uuid4()}/").status_code == 404


def test_task_without_form_is_completed_with_a_confirmation_button(client, case_with_document, director):
    """A step that asks for no data offers «Marcar como realizada», which completes it."""
    inst, _document = case_with_document
    task = open_task(inst, "revisar")
    client.force_login(director)

    page = client.get(f"/tareas/{task.pk}/")
    response = client.post(f"/tareas/{task.pk}/", {"_version": inst.lock_version})

    assert "Marcar como realizada" in html(page)
    assert "Oficio de la IE" in html(page)  # the request's data, read-only
    assert response.status_code == 302
    inst.refresh_from_db()
    assert inst.status == "completed"


def test_only_administrators_see_the_instance_actions(client, verified_case, director, admin_user):
    """The retry/suspend/resume/cancel form is shown to administrators only."""
    client.force_login(director)
    assert "Acciones de administración" not in html(client.get(f"/expedientes/{verified_case.pk}/"))

    client.force_login(admin_user)
    text = html(client.get(f"/expedientes/{verified_case.pk}/"))
    assert "Acciones de administración" in text
    assert 'value="suspend"' in text and 'value="cancel"' in text and 'value="resume"' not in text


def test_reading_a_case_file_is_logged_for_ley_29733(client, verified_case, director):
    """Opening a case page leaves who read it and when in the activity log."""
    from portal.core.models import ActivityLog

    client.force_login(director)
    client.get(f"/expedientes/{verified_case.pk}/")
    row = ActivityLog.objects.get(action="case_viewed", object_id=str(verified_case.pk))
    assert row.actor == director and row.data == {"via": "page:instance"}


def test_a_start_refused_for_its_position_keeps_the_uploaded_document_and_the_field_errors(
        client, adjunto, officer, org):
    """A teacher of two IEs who forgets «Inicia como» gets one answer with everything: the
    position's error and the fields' errors, and the document already attached (the form
    carries it back), so nothing has to be uploaded again. Nothing is started."""
    from portal.orgs import services as orgs
    from portal.orgs.models import Role
    from portal.schemaforms.models import Document

    user = officer("personal_ie", "0584714-0", username="docente-doble")
    orgs.position_assign(user=user, role=Role.objects.get(code="personal_ie"), unit=org["0301234-0"], by=None)
    client.force_login(user)
    upload = SimpleUploadedFile("oficio.pdf", PDF, content_type="application/pdf")

    response = client.post("/iniciar/adjunto_prueba/", {"asunto": "x", "oficio": upload})

    assert response.status_code == 400
    page = html(response)
    assert "elija desde cuál inicia el trámite" in page
    assert "Mínimo 3 caracteres." in page  # the field error is shown too
    document = Document.objects.get()
    assert f'name="oficio" value="{document.pk}"' in page and "oficio.pdf" in page
    assert not ProcessInstance.objects.exists()


def test_a_task_answer_refused_for_its_fields_keeps_the_uploaded_document(client, adjunto, director, docente):
    """The task page after a 400 shows the document the officer attached, ready to send
    again with the rest corrected."""
    ATTACH = ADJUNTO_BPMN.replace('<bpmn:userTask id="revisar" name="Revisar el oficio"/>', (
        '<bpmn:userTask id="revisar" name="Revisar el oficio"><bpmn:extensionElements><spiffworkflow:properties>'
        '<spiffworkflow:property name="formKey" value="adjunto_prueba"/></spiffworkflow:properties>'
        '</bpmn:extensionElements></bpmn:userTask>')).replace('id="adjunto_prueba"', 'id="adjunto_tarea"')
    engine.deploy(content=ATTACH.encode(), source="adjunto_tarea.bpmn")
    from portal.schemaforms.models import Document

    client.force_login(docente)
    first = SimpleUploadedFile("pedido.pdf", PDF, content_type="application/pdf")
    assert client.post("/iniciar/adjunto_tarea/", {"asunto": "Oficio de la IE", "oficio": first}).status_code == 302
    task = open_task(ProcessInstance.objects.get(definition__key="adjunto_tarea"), "revisar")
    client.force_login(director)
    answer = SimpleUploadedFile("respuesta.pdf", PDF, content_type="application/pdf")

    response = client.post(f"/tareas/{task.pk}/", {"asunto": "x", "oficio": answer,
                                                   "_version": task.instance.lock_version})

    assert response.status_code == 400
    stored = Document.objects.get(original_name="respuesta.pdf")
    assert f'name="oficio" value="{stored.pk}"' in html(response)
    task.refresh_from_db()
    assert task.state == "open"
