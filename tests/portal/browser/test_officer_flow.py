"""End to end in a real Chromium: an officer claims a task in the inbox, submits its form
with a mistake, fixes it, completes it and sees the case's timeline updated."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from engine.models import HumanTask, InstanceStatus, ProcessInstance
from portal.work import services

from ..conftest import SOLICITUD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "clave-segura-2026"  # the `officer` fixture's password


@pytest.fixture
def case(org, officer, tramite):
    requester = officer("personal_ie", "0584714-0")
    director = officer("director_ie", "0584714-0", username="directora.leguia")
    instance = services.process_start(user=requester, key="tramite_prueba", data=SOLICITUD)
    return instance, director


def log_in(page, username: str) -> None:
    page.goto("/accounts/login/?next=/bandeja/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.get_by_role("button", name="Ingresar").click()
    expect(page).to_have_url(re.compile(r"/bandeja/$"))


def test_officer_claims_fixes_a_form_error_and_completes_the_task(page, case):
    """Log in, claim from the inbox (in place), submit «no cumple» without saying which
    requirement failed, see the Spanish error with the choice kept, fix it, complete, and
    find the step in the case's timeline and diagram."""
    instance, director = case
    task = HumanTask.objects.get(instance=instance)
    log_in(page, "directora.leguia")

    row = page.locator(f"#tarea-{task.pk}")
    expect(row).to_contain_text("Verificar los requisitos")
    row.get_by_role("button", name=re.compile("^Tomar")).click()
    expect(row.get_by_role("button", name=re.compile("^Liberar"))).to_be_visible()  # swapped in place by htmx
    assert page.url.endswith("/bandeja/")
    task.refresh_from_db()
    assert task.claimed_by == director

    row.get_by_role("link", name=re.compile("^Abrir")).click()
    expect(page).to_have_url(re.compile(rf"/tareas/{task.pk}/$"))
    page.get_by_label("no cumple").check()
    page.get_by_role("button", name="Registrar verificación").click()

    expect(page.get_by_text("Este campo es obligatorio.").first).to_be_visible()
    expect(page.get_by_label("no cumple")).to_be_checked()  # the choice survived the error
    assert HumanTask.objects.get(pk=task.pk).state == "open"

    page.get_by_label("Requisito que no se cumple").fill("Falta la RD de designación")
    page.get_by_role("button", name="Registrar verificación").click()

    expect(page).to_have_url(re.compile(r"/bandeja/"))
    expect(page.get_by_text("Tarea completada")).to_be_visible()
    instance.refresh_from_db()
    assert instance.status == InstanceStatus.COMPLETED

    page.goto(f"/expedientes/{instance.pk}/")
    expect(page.get_by_text("verificó los requisitos: no cumple")).to_be_visible()
    # The diagram is drawn by bpmn-js from local assets, with the verification marked done.
    expect(page.locator('.djs-element.paso-completado[data-element-id="verificar"]')).to_have_count(1)


def test_a_task_taken_meanwhile_keeps_what_the_officer_typed(page, case):
    """Two officers of the office: the second submits after the first completed it; the
    page explains it and the typed text is still there."""
    instance, director = case
    task = HumanTask.objects.get(instance=instance)
    log_in(page, "directora.leguia")
    page.goto(f"/tareas/{task.pk}/")
    page.get_by_label("no cumple").check()
    page.get_by_label("Requisito que no se cumple").fill("Oficio sin firma del director")

    # Meanwhile the case moves on in another window.
    services.task_complete(user=director, task_pk=task.pk, data={"cumple_requisitos": "si"})

    page.get_by_role("button", name="Registrar verificación").click()
    conflict = page.get_by_role("alert").filter(has_text=re.compile("ya fue completada|ya no está pendiente"))
    expect(conflict).to_be_visible()
    expect(page.get_by_label("Requisito que no se cumple")).to_have_value("Oficio sin firma del director")
    assert ProcessInstance.objects.get(pk=instance.pk).status == InstanceStatus.RUNNING
