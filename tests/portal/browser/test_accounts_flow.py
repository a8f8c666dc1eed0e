"""End to end in a real Chromium: a Director files a staff alta with its solicitud, verifies
it against the automatic pre-checks, rejects it with an observation (after the page
insists on one), and files the corrected request from the rejected case; the hand-over
step's acta de entrega downloads through its POST form."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from engine.models import HumanTask, HumanTaskState, ProcessInstance
from portal.core.models import ActivityLog
from portal.work import services as work
from tests.portal.accounts.conftest import (  # noqa: F401 - fixtures
    PDF,
    PROCEDURES,
    cuentas,
    new_dni,
    open_task,
    person,
    request_data,
    verification,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def log_in(page, username: str) -> None:
    page.goto("/accounts/login/?next=/bandeja/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", "clave-segura-2026")
    page.get_by_role("button", name="Ingresar").click()
    expect(page).to_have_url(re.compile(r"/bandeja/$"))


def test_director_files_verifies_rejects_and_corrects_a_staff_alta(page, cuentas, person, tmp_path):  # noqa: F811
    director = person("director_ie", "0584714-0")
    pdf = tmp_path / "solicitud.pdf"
    pdf.write_bytes(PDF)
    log_in(page, director.username)

    page.goto("/iniciar/alta_personal_ie/")
    page.get_by_label("Cargo en la IE").select_option("docente")
    page.locator('input[name="apellidos"]').fill("Paucar Rivas")
    page.locator('input[name="nombres"]').fill("Lizbeth")
    page.locator('input[name="dni"]').fill("47112233")
    page.locator('input[name="solicitud.fecha"]').fill("2026-01-05")
    page.locator('input[name="solicitud.archivo"]').set_input_files(str(pdf))
    page.get_by_role("button", name="Enviar solicitud").click()
    expect(page.get_by_text(re.compile(r"Trámite iniciado: expediente N\.º \d+"))).to_be_visible()
    first = ProcessInstance.objects.get(definition__key="alta_personal_ie")
    task = HumanTask.objects.get(instance=first, element_id="verificar")

    page.goto(f"/tareas/{task.pk}/")
    checks = page.get_by_test_id("verificaciones")
    expect(checks).to_contain_text("Verificaciones automáticas")
    expect(checks.locator('[data-codigo="documentos"]')).to_have_attribute("data-ok", "si")
    for item in ("req_identidad", "req_cargo", "req_solicitud"):
        page.locator(f'input[name="{item}.cumple"][value="si"]').check()
    page.locator('input[name="req_solicitud.cumple"][value="no"]').check()
    page.locator('input[name="cumple_requisitos"][value="no"]').check()
    page.get_by_role("button", name="Registrar la verificación").click()
    expect(page.get_by_text("Explique por qué no se cumple").first).to_be_visible()
    expect(page.locator('input[name="req_solicitud.cumple"][value="no"]')).to_be_checked()
    assert HumanTask.objects.get(pk=task.pk).state == HumanTaskState.OPEN

    page.locator('textarea[name="req_solicitud.observacion"]').fill("La solicitud no está firmada.")
    page.get_by_role("button", name="Registrar la verificación").click()
    expect(page).to_have_url(re.compile(r"/bandeja/$"))

    page.goto(f"/expedientes/{first.pk}/")
    outcome = page.get_by_test_id("resultado")
    expect(outcome).to_contain_text("Rechazada")
    expect(outcome).to_contain_text("La solicitud no está firmada.")
    page.get_by_test_id("corregir").click()
    expect(page.locator('input[name="dni"]')).to_have_value("47112233")  # carried over
    page.get_by_role("button", name="Enviar solicitud").click()
    expect(page.get_by_test_id("correcciones")).to_contain_text(f"N.º {first.pk}")
    second = ProcessInstance.objects.exclude(pk=first.pk).get(definition__key="alta_personal_ie")
    assert HumanTask.objects.get(instance=second, element_id="verificar").state == HumanTaskState.OPEN


def test_the_acta_button_downloads_the_acta_through_a_post(page, cuentas, person):  # noqa: F811
    """The button posts its form with the CSRF token (the live server enforces it) and
    gets the PDF back."""
    procedure = next(p for p in PROCEDURES if p.key == "alta_personal_ie")
    director = person("director_ie", "0584714-0")
    subject = {"nombres": "Lizbeth", "apellidos": "Quispe Mamani", "dni": new_dni()}
    instance = work.process_start(user=director, key=procedure.key, data=request_data(
        procedure, director, subject=subject, signatory_dni=director.dni))
    work.task_complete(user=director, task_pk=open_task(instance, "verificar").pk, data=verification(instance))
    log_in(page, director.username)

    page.goto(f"/tareas/{open_task(instance, 'entregar').pk}/")
    url = f"/cuentas/acta/{instance.pk}.pdf"
    with page.expect_response(lambda r: r.url.endswith(url)) as answer:
        page.get_by_test_id("descargar-acta").click()
    response = answer.value
    assert response.request.method == "POST" and response.status == 200
    assert response.headers["content-type"] == "application/pdf"
    assert ActivityLog.objects.filter(action="acta_entrega_descargada", actor=director).count() == 1
