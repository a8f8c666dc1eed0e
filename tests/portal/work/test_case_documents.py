"""Which documents belong to a case: the ones a document field of its accepted forms holds
(start form and task forms, nested fields too), linked in the transaction of the step that
stored the answer. A UUID in any other field links nothing; a failed completion links
nothing until it is replayed; the data migration links existing cases the same way."""

from __future__ import annotations

import importlib
import shutil
import uuid
from pathlib import Path

import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile

from engine import services as engine
from engine.errors import StepFailed
from engine.models import Incident, InstanceStatus, ProcessInstance
from engine.registry import DirectoryFormCatalogue, registry
from portal.schemaforms.services import document_store
from portal.work import access, selectors, services
from portal.work.models import CaseDocument

from .conftest import open_task

pytestmark = pytest.mark.django_db

FORMS = Path(__file__).parent / "forms"
PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\nstartxref\n0\n%%EOF\n"
LANES = """<bpmn:laneSet id="ls">
      <bpmn:lane id="l1" name="personal_ie"><bpmn:flowNodeRef>start</bpmn:flowNodeRef></bpmn:lane>
      <bpmn:lane id="l2" name="director_ie"><bpmn:flowNodeRef>revisar</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>consultar</bpmn:flowNodeRef><bpmn:flowNodeRef>archivar</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>end</bpmn:flowNodeRef></bpmn:lane>
    </bpmn:laneSet>"""
ELEMENTS = """<bpmn:startEvent id="start"><bpmn:extensionElements><spiffworkflow:properties>
      <spiffworkflow:property name="formKey" value="documentos_prueba"/>
    </spiffworkflow:properties></bpmn:extensionElements></bpmn:startEvent>
    <bpmn:userTask id="revisar" name="Revisar el oficio"><bpmn:extensionElements><spiffworkflow:properties>
      <spiffworkflow:property name="formKey" value="documentos_revision"/>
    </spiffworkflow:properties></bpmn:extensionElements></bpmn:userTask>
    <bpmn:serviceTask id="consultar" name="Consultar el registro"><bpmn:extensionElements>
      <spiffworkflow:serviceTaskOperator id="consulta_documentos" resultVariable="consulta">
        <spiffworkflow:parameters>
          <spiffworkflow:parameter id="asunto" type="str" value="asunto"/>
        </spiffworkflow:parameters>
      </spiffworkflow:serviceTaskOperator>
    </bpmn:extensionElements></bpmn:serviceTask>
    <bpmn:userTask id="archivar" name="Archivar"/>
    <bpmn:endEvent id="end"/>"""


def diagram(key: str, flow: list[str]) -> str:
    flows = "\n".join(f'<bpmn:sequenceFlow id="f{i}" sourceRef="{a}" targetRef="{b}"/>'
                      for i, (a, b) in enumerate(zip(flow, flow[1:], strict=False)))
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" id="d_{key}" targetNamespace="t">
  <bpmn:process id="{key}" name="Remisión con anexos" isExecutable="true">
    {LANES}
    {ELEMENTS}
    {flows}
  </bpmn:process>
</bpmn:definitions>"""


@pytest.fixture
def registro():
    """The service task's handler: fails until `registro["up"]` is set."""
    state = {"up": True}

    def consulta(ctx, asunto):
        if not state["up"]:
            raise RuntimeError("El registro no responde")
        return {"ok": True}

    registry.register_service("consulta_documentos", consulta)
    yield state
    registry.unregister_service("consulta_documentos")


@pytest.fixture
def procesos(settings, tmp_path, registro):
    """documentos_prueba: start → revisar → consultar → archivar; documentos_fallo: the
    service task right after the start."""
    settings.ENGINE = {**settings.ENGINE, "FORMS_DIR": str(FORMS)}
    settings.MEDIA_ROOT = str(tmp_path / "media")
    saved = registry.forms
    registry.forms = DirectoryFormCatalogue(FORMS)
    engine.deploy(content=diagram("documentos_prueba", ["start", "revisar", "consultar", "archivar", "end"]),
                  source="documentos_prueba.bpmn")
    engine.deploy(content=diagram("documentos_fallo", ["start", "consultar", "revisar", "archivar", "end"]),
                  source="documentos_fallo.bpmn")
    yield
    registry.forms = saved


def pdf(user, name: str) -> str:
    upload = SimpleUploadedFile(name, PDF, content_type="application/pdf")
    return str(document_store(file=upload, field_schema={"format": "document"}, user=user).pk)


def links(instance: ProcessInstance) -> set[tuple[str, str, str, str]]:
    """(document, form, field, element) of every link of the case."""
    rows = CaseDocument.objects.filter(instance=instance).values_list("document_id", "form_key", "field", "element_id")
    return {(str(d), f, p, e) for d, f, p, e in rows}


@pytest.fixture
def filed(procesos, docente, director):
    """A case with an oficio and an annex (nested field) whose observaciones name a document
    of another request; the director's review attaches an informe and names it too."""
    elsewhere = pdf(docente, "otro.pdf")
    oficio, anexo = pdf(docente, "oficio.pdf"), pdf(docente, "anexo.pdf")
    inst = services.process_start(user=docente, key="documentos_prueba", data={
        "asunto": "Remisión", "oficio": oficio, "anexo": {"numero": "A-1", "archivo": anexo},
        "observaciones": f"Ver también {elsewhere} y {elsewhere.upper()}"})
    informe = pdf(director, "informe.pdf")
    services.task_complete(user=director, task_pk=open_task(inst, "revisar").pk,
                           data={"informe": informe, "observaciones": elsewhere})
    return {"instance": inst, "oficio": oficio, "anexo": anexo, "informe": informe, "elsewhere": elsewhere}


def test_only_document_fields_of_the_accepted_forms_link_documents(filed):
    """The start form's oficio and nested annex and the review's informe are the case's,
    each with its form, field and task; the UUID typed in observaciones is not."""
    inst = filed["instance"]
    assert links(inst) == {
        (filed["oficio"], "documentos_prueba", "oficio", ""),
        (filed["anexo"], "documentos_prueba", "anexo.archivo", ""),
        (filed["informe"], "documentos_revision", "informe", "revisar"),
    }
    listed = {str(d.pk) for d in selectors.case_documents(inst)}
    assert listed == {filed["oficio"], filed["anexo"], filed["informe"]}


def test_a_mentioned_document_does_not_download_through_the_case(client, filed, docente):
    """The requester downloads his attachments; the document he only mentioned is 404."""
    inst = filed["instance"]
    client.force_login(docente)
    assert client.get(f"/expedientes/{inst.pk}/documentos/{filed['elsewhere']}/").status_code == 404
    for name in ("oficio", "anexo", "informe"):
        assert client.get(f"/expedientes/{inst.pk}/documentos/{filed[name]}/").status_code == 200


def test_a_failed_completion_links_nothing_until_it_is_replayed(procesos, registro, docente, director, admin_user):
    """The review's answer is rolled back with its step, so is its informe's link; the
    incident stays; the administrator's retry stores the answer and links the informe."""
    inst = services.process_start(user=docente, key="documentos_prueba",
                                  data={"asunto": "Remisión", "oficio": pdf(docente, "oficio.pdf")})
    informe = pdf(director, "informe.pdf")
    registro["up"] = False
    with pytest.raises(StepFailed):
        services.task_complete(user=director, task_pk=open_task(inst, "revisar").pk, data={"informe": informe})
    inst.refresh_from_db()
    assert inst.status == InstanceStatus.INCIDENT
    assert Incident.objects.filter(instance=inst, resolved_at__isnull=True).exists()
    assert informe not in {d for d, *_ in links(inst)}

    registro["up"] = True
    services.instance_retry(user=admin_user, instance_pk=inst.pk, reason="El registro volvió.")

    assert (informe, "documentos_revision", "informe", "revisar") in links(inst)


def test_a_failed_start_keeps_its_case_its_incident_and_its_documents(procesos, registro, docente):
    """A start whose first service task fails keeps the case in its initial state with an
    incident (the request as filed): its oficio is the case's already."""
    registro["up"] = False
    oficio = pdf(docente, "oficio.pdf")
    with pytest.raises(StepFailed):
        services.process_start(user=docente, key="documentos_fallo", data={"asunto": "Remisión", "oficio": oficio})
    inst = ProcessInstance.objects.get(definition__key="documentos_fallo")
    assert Incident.objects.filter(instance=inst, resolved_at__isnull=True).exists()
    assert links(inst) == {(oficio, "documentos_prueba", "oficio", "")}


def test_a_refused_answer_links_nothing(procesos, docente, director):
    """An answer the form refuses (a document that is not the user's) stores no link."""
    inst = services.process_start(user=docente, key="documentos_prueba",
                                  data={"asunto": "Remisión", "oficio": pdf(docente, "oficio.pdf")})
    before = links(inst)
    with pytest.raises(services.FormInvalid):
        services.task_complete(user=director, task_pk=open_task(inst, "revisar").pk,
                               data={"informe": pdf(docente, "ajeno.pdf")})
    assert links(inst) == before


def test_the_data_migration_links_existing_cases_from_their_trail(filed, settings, tmp_path):
    """Cases filed before the links existed get them from their audit trail, only for
    document fields; a form that can no longer be read is skipped."""
    inst = filed["instance"]
    CaseDocument.objects.all().delete()
    migration = importlib.import_module("portal.work.migrations.0003_case_document_backfill")
    forms = Path(settings.ENGINE["FORMS_DIR"])
    for source in forms.glob("*.json"):
        if not source.name.startswith("documentos_revision."):
            shutil.copy(source, tmp_path / source.name)
    settings.ENGINE = {**settings.ENGINE, "FORMS_DIR": str(tmp_path)}
    migration.link_existing_documents(apps, None)
    assert links(inst) == {(filed["oficio"], "documentos_prueba", "oficio", ""),
                           (filed["anexo"], "documentos_prueba", "anexo.archivo", "")}

    settings.ENGINE = {**settings.ENGINE, "FORMS_DIR": str(forms)}
    migration.link_existing_documents(apps, None)  # idempotent, and now the review form is read
    assert access.case_document_ids(inst) == {
        uuid.UUID(filed[name]) for name in ("oficio", "anexo", "informe")}
