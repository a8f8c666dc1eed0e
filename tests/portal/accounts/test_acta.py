"""The acta de entrega: a real PDF with the person's data, the username and a fresh
one-time link (text + QR), only for whoever hands the account over, every download logged.
Issuing one renews the link, so it is a POST: a GET answers 405 and changes nothing."""

from __future__ import annotations

import io
import re
import threading

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader
from SpiffWorkflow.util.task import TaskState

from portal.accounts import acta as acta_module
from portal.accounts.acta import account_acta_issue
from portal.core.models import ActivityLog
from portal.orgs.models import Person
from portal.work import services as work
from tests.roundtrip import assert_round_trip
from tests.threads import in_threads

from .conftest import PROCEDURES, new_dni, open_task, request_data, verification

ALTA_PERSONAL = next(p for p in PROCEDURES if p.key == "alta_personal_ie")
ALTA_DIRECTOR = next(p for p in PROCEDURES if p.key == "alta_director_ie")
LINK_RE = re.compile(r"(/cuenta/activar/[^/\s]+/[^/\s]+/)")


def _approved_personal_alta(person):
    director = person("director_ie", "0584714-0")
    dni = new_dni()
    subject = {"nombres": "Lizbeth", "apellidos": "Quispe Mamani", "dni": dni}
    instance = work.process_start(user=director, key=ALTA_PERSONAL.key, data=request_data(
        ALTA_PERSONAL, director, subject=subject, signatory_dni=director.dni))
    assert_round_trip(instance)
    work.task_complete(user=director, task_pk=open_task(instance, "verificar").pk, data=verification(instance))
    assert_round_trip(instance)  # waiting at the hand-over
    return director, subject, instance


def _pdf_text(content: bytes) -> str:
    return " ".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def _link(text: str) -> str:
    found = LINK_RE.search(re.sub(r"\s+", "", text))
    assert found, text
    return found.group(1)


def _acta_html(client, url, monkeypatch) -> tuple[bytes, str]:
    """Download the acta, keeping the HTML that WeasyPrint turned into the PDF."""
    from pdf import rendering

    seen: list[str] = []
    real = rendering.render_html

    def keep(template, context):
        html = real(template, context)
        if template == "acta_entrega.html":
            seen.append(html)
        return html

    monkeypatch.setattr(rendering, "render_html", keep)
    response = client.post(url)
    assert response.status_code == 200, response.content[:500]
    return response.content, seen[-1]


@pytest.mark.django_db
def test_the_acta_is_a_pdf_with_the_person_the_username_and_a_working_one_time_link(
        cuentas, person, client, monkeypatch):
    director, subject, instance = _approved_personal_alta(person)
    client.force_login(director)
    page = client.get(f"/tareas/{open_task(instance, 'entregar').pk}/").content.decode()
    url = f"/cuentas/acta/{instance.pk}.pdf"
    assert f'<form method="post" action="{url}">' in page and "Descargar acta de entrega (PDF)" in page
    assert 'name="csrfmiddlewaretoken"' in page.split(f'action="{url}"', 1)[1].split("</form>", 1)[0]

    content, html = _acta_html(client, url, monkeypatch)
    assert content.startswith(b"%PDF")
    user = Person.objects.get(document_number=subject["dni"]).user
    assert user.username in html and subject["dni"] in html  # the full DNI: it is their own acta
    assert "<svg" in html  # the QR, inline
    assert "Docente" in html and "AUGUSTO B. LEGUIA" in html and "0584714" in html
    text = _pdf_text(content)
    assert "ACTA DE ENTREGA DE USUARIO SIAGIE" in text and f"N.º {instance.pk}" in text
    assert user.username in text and subject["dni"] in text and "QUISPE MAMANI" in text
    assert "72 horas" in text
    link = _link(text)

    client.logout()
    assert client.get(link).status_code == 200
    response = client.post(link, {"new_password1": "Una-clave-larga-2026", "new_password2": "Una-clave-larga-2026"})
    assert response.status_code == 302 and response.url == reverse("login")
    user.refresh_from_db()
    assert user.is_active and user.check_password("Una-clave-larga-2026")
    assert "pida a quien tramitó su alta un enlace nuevo" in client.get(link).content.decode()  # used once

    # With the password set, a new acta says so and carries no link.
    client.force_login(director)
    content, html = _acta_html(client, url, monkeypatch)
    assert "ya creó su contraseña" in _pdf_text(content) and "/cuenta/activar/" not in html and "<svg" not in html


@pytest.mark.django_db
def test_each_download_makes_a_new_link_and_is_logged_without_it(cuentas, person, client):
    director, subject, instance = _approved_personal_alta(person)
    client.force_login(director)
    url = f"/cuentas/acta/{instance.pk}.pdf"
    first = _link(_pdf_text(client.post(url).content))
    second = _link(_pdf_text(client.post(url).content))
    assert first != second
    logs = list(ActivityLog.objects.filter(action="acta_entrega_descargada").order_by("pk"))
    assert len(logs) == 2 and all(log.actor_id == director.pk for log in logs)
    assert all("activar" not in str(log.data) and first not in str(log.data) for log in logs)
    # Only the acta handed over last opens the account.
    client.logout()
    assert "pida a quien tramitó su alta un enlace nuevo" in client.get(first).content.decode()
    assert client.get(second).status_code == 200 and "new_password1" in client.get(second).content.decode()


@pytest.mark.django_db
def test_the_director_acta_names_the_school_and_its_codigo_modular(cuentas, person, client, monkeypatch):
    specialist = person("especialista_siagie_ugel", "UGEL-03")
    # The specialist files it and is the UGEL's only one: its Director verifies (four eyes).
    director_ugel = person("director_ugel", "UGEL-03")
    subject = {"nombres": "Carmen", "apellidos": "Huamán Ríos", "dni": new_dni(), "correo": "ch@example.pe"}
    instance = work.process_start(user=specialist, key=ALTA_DIRECTOR.key, data=request_data(
        ALTA_DIRECTOR, specialist, subject=subject, signatory_dni=subject["dni"]))
    work.task_complete(user=director_ugel, task_pk=open_task(instance, "verificar").pk, data=verification(instance))
    client.force_login(specialist)
    _content, html = _acta_html(client, f"/cuentas/acta/{instance.pk}.pdf", monkeypatch)
    assert "Código modular" in html and "0584714" in html and "Director" in html
    assert get_user_model().objects.get(person__document_number=subject["dni"]).username in html


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["otro_director", "docente_misma_ie", "supervisor_ugel", "anonimo"])
def test_only_who_hands_over_may_download_the_acta(cuentas, person, client, who):
    """Anyone but whoever may work the open hand-over task gets 404 (or the login page)
    and the account is left as it was: its link still works."""
    _director, subject, instance = _approved_personal_alta(person)
    account = Person.objects.get(document_number=subject["dni"]).user
    password = account.password
    if who == "otro_director":
        client.force_login(person("director_ie", "0301234-0"))
    elif who == "docente_misma_ie":
        client.force_login(person("personal_ie", "0584714-0"))
    elif who == "supervisor_ugel":  # sees the task (supervision) but does not work it
        client.force_login(person("especialista_siagie_ugel", "UGEL-03"))
    response = client.post(f"/cuentas/acta/{instance.pk}.pdf")
    if who == "anonimo":
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    else:
        assert response.status_code == 404
    assert not ActivityLog.objects.filter(action="acta_entrega_descargada").exists()
    account.refresh_from_db()
    assert account.password == password


@pytest.mark.django_db
def test_no_acta_once_the_handover_is_recorded(cuentas, person, client):
    director, subject, instance = _approved_personal_alta(person)
    client.force_login(director)
    assert client.post(f"/cuentas/acta/{instance.pk}.pdf").status_code == 200
    assert_round_trip(instance)
    work.task_complete(user=director, task_pk=open_task(instance, "entregar").pk, data={
        "fecha_entrega": timezone.localdate().isoformat(), "modalidad": "presencial",
        "recibido_por_dni": subject["dni"]})
    assert_round_trip(instance)
    assert client.post(f"/cuentas/acta/{instance.pk}.pdf").status_code == 404


@pytest.mark.django_db
def test_a_get_of_the_acta_answers_405_and_changes_nothing(cuentas, person, client):
    """Issuing an acta renews the link, so a GET (a prefetch, a reload, an old bookmark)
    must not: 405, no log, the password hash (and so the last acta's link) unchanged."""
    director, subject, instance = _approved_personal_alta(person)
    account = Person.objects.get(document_number=subject["dni"]).user
    client.force_login(director)
    url = f"/cuentas/acta/{instance.pk}.pdf"
    link = _link(_pdf_text(client.post(url).content))
    account.refresh_from_db()
    password = account.password

    response = client.get(url)
    assert response.status_code == 405 and response["Allow"] == "POST"
    account.refresh_from_db()
    assert account.password == password
    assert ActivityLog.objects.filter(action="acta_entrega_descargada").count() == 1
    client.logout()
    assert client.get(link).status_code == 200 and "new_password1" in client.get(link).content.decode()


@pytest.mark.django_db
def test_the_acta_response_is_an_inline_pdf_never_cached(cuentas, person, client):
    director, _subject, instance = _approved_personal_alta(person)
    client.force_login(director)
    response = client.post(f"/cuentas/acta/{instance.pk}.pdf")
    assert response["Content-Type"] == "application/pdf" and response["Cache-Control"] == "no-store"
    assert response["Content-Disposition"] == f'inline; filename="acta-entrega-{instance.pk}.pdf"'


@pytest.mark.django_db(transaction=True)
def test_a_failed_render_renews_nothing(cuentas, person, client, monkeypatch):
    """The link is renewed in the same transaction as the PDF is made: if rendering
    fails, the last acta handed over still opens the account and nothing is logged."""
    director, subject, instance = _approved_personal_alta(person)
    account = Person.objects.get(document_number=subject["dni"]).user
    password = account.password

    def broken(template, context, **kwargs):
        raise RuntimeError("no fonts today")

    monkeypatch.setattr(acta_module, "render_pdf", broken)
    with pytest.raises(RuntimeError):
        account_acta_issue(by=director, instance_pk=instance.pk, base_url="http://testserver/")
    account.refresh_from_db()
    assert account.password == password
    assert not ActivityLog.objects.filter(action="acta_entrega_descargada").exists()


@pytest.mark.django_db
def test_a_new_director_with_an_e_mail_is_told_the_account_exists_and_who_hands_it_over(cuentas, person):
    """The Director's link travels only on the acta; if the request gives an e-mail, the
    new Director is told the username and that the UGEL will hand the acta over, with no
    link (neither the activation link nor the case page, which they cannot open)."""
    from django.core import mail

    from .conftest import deliver_mail

    specialist = person("especialista_siagie_ugel", "UGEL-03")
    # The specialist files it and is the UGEL's only one: its Director verifies (four eyes).
    director_ugel = person("director_ugel", "UGEL-03")
    subject = {"nombres": "Carmen", "apellidos": "Huamán Ríos", "dni": new_dni(), "correo": "ch@example.pe"}
    instance = work.process_start(user=specialist, key=ALTA_DIRECTOR.key, data=request_data(
        ALTA_DIRECTOR, specialist, subject=subject, signatory_dni=subject["dni"]))
    work.task_complete(user=director_ugel, task_pk=open_task(instance, "verificar").pk, data=verification(instance))
    mail.outbox.clear()
    deliver_mail()

    told = [m for m in mail.outbox if m.to == ["ch@example.pe"]]
    assert len(told) == 1
    body = told[0].body
    username = get_user_model().objects.get(person__document_number=subject["dni"]).username
    assert f"Su usuario SIAGIE es «{username}»" in body and "la UGEL le entregará el acta de entrega" in body
    assert "/cuenta/activar/" not in body and f"/expedientes/{instance.pk}/" not in body


@pytest.mark.django_db
def test_a_new_teacher_without_an_e_mail_gets_no_notice(cuentas, person):
    """Without an address there is nobody to write to: only the acta carries the account."""
    from django.core import mail

    from .conftest import deliver_mail

    director, subject, _instance = _approved_personal_alta(person)
    mail.outbox.clear()
    deliver_mail()

    account = get_user_model().objects.get(person__document_number=subject["dni"])
    assert account.email == "" and all(m.to != [account.email] for m in mail.outbox)
    assert [m.to for m in mail.outbox] == [[director.email]]  # the requester's «cuenta creada»


def _rewrite_case_data(instance, **changes) -> None:
    """Stand-in for a later form writing over the case data: change what the open
    hand-over task carries in the stored workflow."""
    from engine.runtime import load_workflow, loaded_spec
    from engine.serialization import all_tasks, dump_workflow

    instance.refresh_from_db()
    wf = load_workflow(instance, loaded_spec(instance))
    [task] = [t for t in all_tasks(wf) if t.task_spec.name == "entregar" and t.task_spec.manual
              and t.state == TaskState.READY]
    task.data.update(changes)
    instance.state = dump_workflow(wf)
    instance.save(update_fields=["state"])


@pytest.mark.django_db
def test_the_acta_prints_the_account_the_alta_step_created_whatever_the_case_data_says(
        cuentas, person, client, monkeypatch):
    """The account, name and DNI on the acta are those the alta step recorded: case data
    changed afterwards neither prints nor renews another person's account."""
    director, subject, instance = _approved_personal_alta(person)
    colleague = person("personal_ie", "0584714-0", first="Otra", last="Persona")
    colleague.set_unusable_password()
    colleague.save()
    hash_before = colleague.password
    _rewrite_case_data(instance, apellidos="Cambiado Después", dni="99999999", cuenta={
        "user_id": colleague.pk, "usuario": colleague.username, "cuenta_nueva": True,
        "position_id": colleague.positions.get().pk})
    client.force_login(director)
    _content, html = _acta_html(client, f"/cuentas/acta/{instance.pk}.pdf", monkeypatch)
    user = Person.objects.get(document_number=subject["dni"]).user
    assert user.username in html and subject["dni"] in html and "QUISPE MAMANI" in html.upper()
    assert colleague.username not in html and "99999999" not in html and "Cambiado" not in html
    colleague.refresh_from_db()
    assert colleague.password == hash_before  # not renewed


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_actas_are_issued_one_after_the_other(cuentas, person):
    """Two officers' clicks at once: the hand-over row serialises them, each acta has its
    own link and only the one issued last opens the account."""
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: two writers racing on the hand-over row; SQLite serialises whole transactions")
    director, subject, instance = _approved_personal_alta(person)
    barrier = threading.Barrier(2)

    def issue():
        barrier.wait(timeout=10)
        acta = account_acta_issue(by=director, instance_pk=instance.pk, base_url="http://testserver/")
        return _link(_pdf_text(acta.content)), timezone.now()

    results = in_threads({"a": issue, "b": issue})
    assert all(isinstance(r, tuple) for r in results.values()), results
    (first, _t1), (last, _t2) = sorted(results.values(), key=lambda r: r[1])
    assert first != last
    user = Person.objects.get(document_number=subject["dni"]).user
    client = Client()
    assert "pida a quien tramitó su alta un enlace nuevo" in client.get(first).content.decode()
    assert "new_password1" in client.get(last).content.decode()
    assert not user.has_usable_password()
    assert ActivityLog.objects.filter(action="acta_entrega_descargada").count() == 2
