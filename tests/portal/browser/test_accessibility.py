"""WCAG 2.1 AA in a real Chromium: axe-core (from npm, node_modules/axe-core) finds no
violation on the login, home, inbox, task, case file, Mis solicitudes and start pages."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings
from playwright.sync_api import expect

from engine.models import HumanTask
from portal.work import services

from ..conftest import SOLICITUD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "clave-segura-2026"  # the `officer` fixture's password
AXE = Path(settings.BASE_DIR) / "node_modules" / "axe-core" / "axe.min.js"
RUN = """async () => {
  const result = await axe.run(document, {runOnly: {type: "tag",
      values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}});
  return result.violations.map(v => v.id + " (" + v.impact + "): "
      + v.nodes.slice(0, 5).map(n => n.target.join(" ")).join(", "));
}"""


@pytest.fixture
def audited(browser, live_server):
    """A page in a context where axe can be injected (the portal's CSP refuses inline
    scripts, as it should: the audit bypasses it, the pages are served unchanged)."""
    context = browser.new_context(base_url=live_server.url, locale="es-PE", bypass_csp=True,
                                  viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    page = context.new_page()
    yield page
    context.close()


def _violations(page) -> list[str]:
    page.evaluate(AXE.read_text(encoding="utf-8"))
    return [f"{page.url}: {v}" for v in page.evaluate(RUN)]


def test_the_officer_pages_have_no_wcag_violations(audited, org, officer, tramite):
    """axe reports nothing on the pages an officer goes through (it found the menu's
    low-contrast links and an image role around the interactive diagram)."""
    requester = officer("personal_ie", "0584714-0", username="docente.leguia")
    officer("director_ie", "0584714-0", username="directora.leguia")
    instance = services.process_start(user=requester, key="tramite_prueba", data=SOLICITUD)
    task = HumanTask.objects.get(instance=instance)
    page = audited
    found: list[str] = []

    page.goto("/accounts/login/")
    found += _violations(page)
    page.fill("input[name=username]", "directora.leguia")
    page.fill("input[name=password]", PASSWORD)
    page.get_by_role("button", name="Ingresar").click()
    expect(page).not_to_have_url(re.compile(r"/accounts/login/"))
    for path in ("/", "/bandeja/", f"/tareas/{task.pk}/", "/iniciar/"):
        page.goto(path)
        found += _violations(page)
    page.goto(f"/expedientes/{instance.pk}/")
    expect(page.locator("#diagrama[data-estado=listo]")).to_have_count(1)  # bpmn-js drew it
    found += _violations(page)
    page.context.clear_cookies()
    page.goto("/accounts/login/")
    page.fill("input[name=username]", "docente.leguia")
    page.fill("input[name=password]", PASSWORD)
    page.get_by_role("button", name="Ingresar").click()
    expect(page).not_to_have_url(re.compile(r"/accounts/login/"))
    page.goto("/mis-solicitudes/")
    found += _violations(page)

    assert found == [], "\n".join(found)
