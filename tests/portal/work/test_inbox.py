"""The inbox: what an officer sees, in which order, filtered and counted, and claiming
in place with htmx (or a plain POST without JavaScript)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from engine import services as engine
from engine.models import HumanTask
from portal.work import services

from .. import matrix
from ..conftest import SOLICITUD, html
from .conftest import IE, open_task

pytestmark = pytest.mark.django_db


def rows(response) -> list[str]:
    """The task rows of the page, in order, as their element ids."""
    import re

    return re.findall(r'<tr id="(tarea-\d+)"', html(response))


def section(response, heading_id: str) -> str:
    text = html(response)
    start = text.index(f'id="{heading_id}"')
    end = text.find("</section>", start)
    return text[start:end]


def test_inbox_lists_only_tasks_of_the_officers_role_and_unit(client, start_case, director, officer):
    """A director sees the verification of their own IE's requests, not another IE's."""
    mine = open_task(start_case(), "verificar")
    other_teacher = officer("personal_ie", "0301234-0")
    other = open_task(services.process_start(user=other_teacher, key="tramite_prueba", data=SOLICITUD), "verificar")
    client.force_login(director)

    response = client.get("/bandeja/")

    assert response.status_code == 200
    assert rows(response) == [f"tarea-{mine.pk}"]
    assert f"/tareas/{other.pk}/" not in html(response)
    assert "Verificar los requisitos" in html(response)


def test_overdue_tasks_come_first_with_a_badge_and_their_lima_due_date(client, start_case, director):
    """Overdue tasks are listed first, marked «Vencida», with the due date in Lima time."""
    later, overdue, no_due = (open_task(start_case(), "verificar") for _ in range(3))
    HumanTask.objects.filter(pk=later.pk).update(due_at=timezone.now() + timedelta(days=5))
    HumanTask.objects.filter(pk=overdue.pk).update(due_at=datetime(2026, 1, 15, 15, 30, tzinfo=UTC))
    HumanTask.objects.filter(pk=no_due.pk).update(due_at=None)
    client.force_login(director)

    response = client.get("/bandeja/")

    assert rows(response) == [f"tarea-{overdue.pk}", f"tarea-{later.pk}", f"tarea-{no_due.pk}"]
    text = html(response)
    overdue_row = text[text.index(f'id="tarea-{overdue.pk}"'):text.index(f'id="tarea-{later.pk}"')]
    assert "Vencida" in overdue_row
    assert "15/01/2026 10:30" in overdue_row  # 15:30 UTC is 10:30 in Lima
    assert "Sin plazo" in text
    assert text.count(">Vencida<") == 1


def test_due_filter_keeps_only_overdue_tasks(client, start_case, director):
    """The «Vencidas» filter (a plain GET form) lists only tasks past their due date."""
    overdue, later = (open_task(start_case(), "verificar") for _ in range(2))
    HumanTask.objects.filter(pk=overdue.pk).update(due_at=timezone.now() - timedelta(hours=1))
    HumanTask.objects.filter(pk=later.pk).update(due_at=timezone.now() + timedelta(days=10))
    client.force_login(director)

    response = client.get("/bandeja/", {"plazo": "overdue"})

    assert rows(response) == [f"tarea-{overdue.pk}"]
    assert 'value="overdue" selected' in html(response)


def test_counts_per_process_link_to_a_filtered_inbox(client, start_case, director):
    """The header shows the total and one count per process; each count filters by it."""
    engine.deploy(content=matrix.process_xml("director_ie"), source="m_director_ie.bpmn")
    start_case(), start_case()
    extra = HumanTask.objects.get(instance=engine.start(key="m_director_ie", data={"unidad_tarea": IE}, org_unit=IE))
    client.force_login(director)

    response = client.get("/bandeja/")

    text = html(response)
    assert "Hay 3 tareas pendientes en sus unidades." in text
    counts = {row["process_key"]: row["n"] for row in response.context["counts"]}
    assert counts == {"tramite_prueba": 2, "m_director_ie": 1}
    assert 'href="?proceso=m_director_ie"' in text
    filtered = client.get("/bandeja/", {"proceso": "m_director_ie"})
    assert rows(filtered) == [f"tarea-{extra.pk}"]


def test_unit_filter_offers_only_the_officers_units(client, start_case, director, officer):
    """The unit filter lists the officer's own units; another unit's code is ignored and
    reveals nothing."""
    mine = open_task(start_case(), "verificar")
    client.force_login(director)

    response = client.get("/bandeja/", {"unidad": "0301234-0"})

    options = response.context["form"].fields["unidad"].choices
    assert [code for code, _label in options] == ["", IE]
    assert rows(response) == [f"tarea-{mine.pk}"]


def test_claimed_tasks_are_listed_under_tareas_que_tengo(client, start_case, director):
    """A task the officer took moves from «Tareas disponibles» to «Tareas que tengo»."""
    held, free = (open_task(start_case(), "verificar") for _ in range(2))
    services.task_claim(user=director, task_pk=held.pk)
    client.force_login(director)

    response = client.get("/bandeja/")

    assert f'id="tarea-{held.pk}"' in section(response, "tareas-tengo")
    assert f'id="tarea-{free.pk}"' not in section(response, "tareas-tengo")
    assert f'id="tarea-{free.pk}"' in section(response, "tareas-disponibles")


def test_inbox_pages_by_25(client, officer):
    """More than 25 available tasks are split into pages of 25."""
    engine.deploy(content=matrix.process_xml("personal_ie"), source="m_personal_ie.bpmn")
    user = officer("personal_ie", IE)
    for _ in range(26):
        engine.start(key="m_personal_ie", data={"unidad_tarea": IE}, org_unit=IE)
    client.force_login(user)

    first = client.get("/bandeja/")
    second = client.get("/bandeja/", {"pagina": 2})

    assert len(rows(first)) == 25
    assert "Página 1 de 2" in html(first)
    assert len(rows(second)) == 1


def test_empty_inbox_says_what_to_do(client, director):
    """With nothing to do, the inbox explains where tasks come from instead of a blank page."""
    client.force_login(director)

    response = client.get("/bandeja/")

    assert "No hay tareas disponibles por ahora." in html(response)
    assert "No tiene tareas tomadas." in html(response)


def test_claim_with_htmx_returns_the_row_partial(client, start_case, director):
    """An htmx claim answers with the task's row only, now showing «Tomada por usted»."""
    task = open_task(start_case(), "verificar")
    client.force_login(director)

    response = client.post(f"/tareas/{task.pk}/tomar/", {"next": "/bandeja/"}, HTTP_HX_REQUEST="true")

    assert response.status_code == 200
    assert [t.name for t in response.templates][0] == "work/_task_row.html"
    body = html(response).strip()
    assert body.startswith(f'<tr id="tarea-{task.pk}"')
    assert "Tomada por usted" in body and "Liberar" in body
    assert "<html" not in body
    assert "avisoBandeja" in response["HX-Trigger"]
    task.refresh_from_db()
    assert task.claimed_by == director


def test_unclaim_with_htmx_returns_the_row_with_the_claim_button(client, start_case, director):
    """An htmx unclaim gives the task back and answers with its row offering «Tomar»."""
    task = open_task(start_case(), "verificar")
    services.task_claim(user=director, task_pk=task.pk)
    client.force_login(director)

    response = client.post(f"/tareas/{task.pk}/liberar/", HTTP_HX_REQUEST="true")

    assert response.status_code == 200
    assert f'hx-post="/tareas/{task.pk}/tomar/"' in html(response)
    task.refresh_from_db()
    assert task.claimed_by is None


def test_claim_conflict_shows_the_spanish_message_in_the_row(client, officer):
    """When a colleague took the task first, the row says so and nothing changes."""
    engine.deploy(content=matrix.process_xml("especialista_actas_certificados"), source="m_actas.bpmn")
    first = officer("especialista_actas_certificados", "UGEL-03")
    second = officer("especialista_actas_certificados", "UGEL-03")
    inst = engine.start(key="m_especialista_actas_certificados", data={"unidad_tarea": "UGEL-03"}, org_unit="UGEL-03")
    task = HumanTask.objects.get(instance=inst)
    services.task_claim(user=first, task_pk=task.pk)
    client.force_login(second)

    response = client.post(f"/tareas/{task.pk}/tomar/", HTTP_HX_REQUEST="true")

    assert response.status_code == 200
    assert "Otra persona ya tomó esta tarea." in html(response)
    assert 'data-testid="mensaje-fila"' in html(response)
    task.refresh_from_db()
    assert task.claimed_by == first


def test_claim_without_javascript_redirects_back_with_a_message(client, start_case, director):
    """Without htmx the claim is a normal POST that redirects to `next` with a message."""
    task = open_task(start_case(), "verificar")
    client.force_login(director)

    response = client.post(f"/tareas/{task.pk}/tomar/", {"next": "/bandeja/?plazo=week"}, follow=True)

    assert response.redirect_chain == [("/bandeja/?plazo=week", 302)]
    assert f"Tomó la tarea «{task.title}»." in html(response)


def test_claim_ignores_a_next_url_outside_the_site(client, start_case, director):
    """A `next` pointing to another site is replaced by the inbox (no open redirect)."""
    task = open_task(start_case(), "verificar")
    client.force_login(director)

    response = client.post(f"/tareas/{task.pk}/tomar/", {"next": "https://example.com/robo"})

    assert response["Location"] == "/bandeja/"


def test_supervision_lists_remit_tasks_read_only(client, start_case, officer):
    """The UGEL specialist sees the IE director's open task under «Supervisión», with no
    claim button."""
    task = open_task(start_case(), "verificar")
    client.force_login(officer("especialista_siagie_ugel", "UGEL-03"))

    response = client.get("/bandeja/supervision/")

    assert response.status_code == 200
    assert rows(response) == [f"tarea-{task.pk}"]
    assert "/tomar/" not in html(response)
    assert "Sin tomar" in html(response)
    assert rows(client.get("/bandeja/")) == []


def test_supervision_explains_when_the_officer_supervises_nothing(client, docente):
    """An officer without a supervising role gets an explanation, not an empty table."""
    client.force_login(docente)

    response = client.get("/bandeja/supervision/")

    assert response.status_code == 200
    assert "Sus cargos no supervisan otras unidades" in html(response)
