"""The Content-Security-Policy holds in a real Chromium: the officer's pages (login, inbox
with its htmx claim, task, case file with the bpmn-js diagram) and the API docs work
under it and the browser reports no violation."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from engine.models import HumanTask
from portal.work import services

from ..conftest import SOLICITUD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "clave-segura-2026"  # the `officer` fixture's password

# Chromium logs a blocked script, style or image as a console error ("Refused to ...
# because it violates the following Content Security Policy directive"); the listener
# below also turns every securitypolicyviolation event into a console error, so a
# violation the browser would report silently is caught too.
REPORT_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", function (event) {
  console.error("CSP violation: " + event.violatedDirective + " blocked " + event.blockedURI
                + " at " + event.sourceFile + ":" + event.lineNumber);
});
"""


@pytest.fixture
def violations(page):
    """Every CSP violation message the page logs, in order."""
    found: list[str] = []
    page.add_init_script(REPORT_VIOLATIONS)

    def record(message) -> None:
        if "Content Security Policy" in message.text or "CSP violation" in message.text:
            found.append(f"{page.url}: {message.text}")

    page.on("console", record)
    return found


@pytest.fixture
def case(org, officer, tramite):
    requester = officer("personal_ie", "0584714-0")
    director = officer("director_ie", "0584714-0", username="directora.leguia")
    instance = services.process_start(user=requester, key="tramite_prueba", data=SOLICITUD)
    return instance, director


def test_officer_pages_work_under_the_policy_without_violations(page, violations, case):
    """Log in, claim in the inbox (htmx swaps the row), open the task, open the case file
    (bpmn-js draws the diagram): every page sends the policy and none breaks it."""
    instance, director = case
    task = HumanTask.objects.get(instance=instance)

    response = page.goto("/accounts/login/?next=/bandeja/")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    page.fill("input[name=username]", "directora.leguia")
    page.fill("input[name=password]", PASSWORD)
    page.get_by_role("button", name="Ingresar").click()
    expect(page).to_have_url(re.compile(r"/bandeja/$"))

    row = page.locator(f"#tarea-{task.pk}")
    row.get_by_role("button", name=re.compile("^Tomar")).click()
    expect(row.get_by_role("button", name=re.compile("^Liberar"))).to_be_visible()  # htmx swapped it

    page.goto(f"/tareas/{task.pk}/")
    expect(page.get_by_role("button", name="Registrar verificación")).to_be_visible()

    page.goto(f"/expedientes/{instance.pk}/")
    expect(page.locator("#diagrama[data-estado=listo]")).to_have_count(1)  # bpmn-js drew it
    expect(page.locator('.djs-element[data-element-id="verificar"]')).to_have_count(1)

    assert not violations, "\n".join(violations)


def test_the_api_docs_work_under_the_policy_without_violations(page, violations, case):
    """Swagger UI (local copy) renders the schema with its script served as a file."""
    page.goto("/accounts/login/?next=/api/docs/")
    page.fill("input[name=username]", "directora.leguia")
    page.fill("input[name=password]", PASSWORD)
    page.get_by_role("button", name="Ingresar").click()
    expect(page).to_have_url(re.compile(r"/api/docs/$"))
    expect(page.get_by_text("SIAGIE Flujos API").first).to_be_visible()
    expect(page.locator(".opblock").first).to_be_visible()

    assert not violations, "\n".join(violations)


def test_the_admin_works_under_the_policy_without_violations(page, violations, django_user_model):
    """Django's admin (list, change form with its widgets) needs nothing the policy refuses."""
    admin = django_user_model.objects.create_superuser(username="admin.portal", password=PASSWORD)
    page.goto("/admin/login/?next=/admin/")
    page.fill("input[name=username]", "admin.portal")
    page.fill("input[name=password]", PASSWORD)
    page.locator("input[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/admin/$"))

    page.goto("/admin/auth/user/")
    expect(page.locator("#result_list")).to_be_visible()
    page.goto(f"/admin/auth/user/{admin.pk}/change/")
    expect(page.locator("#user_form")).to_be_visible()
    expect(page.locator(".selector-available").first).to_be_visible()  # SelectFilter2 drew itself

    assert not violations, "\n".join(violations)
