"""Starting a process from the portal: the list of what the user may start, the start
form, the choice of position, and the redirect to the new case file."""

from __future__ import annotations

import re

import pytest

from engine.models import ProcessInstance

from ..conftest import SOLICITUD, html
from .conftest import IE

pytestmark = pytest.mark.django_db


def test_start_list_shows_the_processes_the_user_may_start(client, tramite, docente, director):
    """The teacher (start lane personal_ie) sees the test process; the director does not."""
    client.force_login(docente)
    assert "/iniciar/tramite_prueba/" in html(client.get("/iniciar/"))

    client.force_login(director)
    response = client.get("/iniciar/")
    assert "/iniciar/tramite_prueba/" not in html(response)
    assert "Sus cargos no inician ningún trámite." in html(response)


def test_start_creates_the_instance_and_redirects_to_it(client, tramite, docente):
    """A valid start form creates the case in the teacher's IE and opens its page."""
    client.force_login(docente)

    response = client.post("/iniciar/tramite_prueba/", SOLICITUD, follow=True)

    inst = ProcessInstance.objects.get()
    assert response.redirect_chain == [(f"/expedientes/{inst.pk}/", 302)]
    assert inst.started_by == docente and inst.org_unit == IE
    assert f"Trámite iniciado: expediente N.º {inst.pk}." in html(response)
    assert "Verificar los requisitos" in html(response)


def test_invalid_start_form_keeps_the_values_and_creates_nothing(client, tramite, docente):
    """A wrong DNI re-renders the form (400) with the Spanish message and the typed values."""
    client.force_login(docente)

    response = client.post("/iniciar/tramite_prueba/", {**SOLICITUD, "dni": "4587"})

    text = html(response)
    assert response.status_code == 400
    assert "El DNI debe tener exactamente 8 dígitos." in text
    assert 'value="4587"' in text and 'value="Quispe Mamani"' in text
    assert not ProcessInstance.objects.exists()


def test_start_page_is_forbidden_to_roles_outside_the_start_lane(client, tramite, director):
    """The director may not start the teacher's request: 403 with the reason in Spanish."""
    client.force_login(director)

    response = client.get("/iniciar/tramite_prueba/")

    assert response.status_code == 403
    assert "Su cargo no le permite iniciar este trámite." in html(response)
    assert client.post("/iniciar/tramite_prueba/", SOLICITUD).status_code == 403
    assert not ProcessInstance.objects.exists()


def test_unknown_process_answers_404(client, docente):
    """A process key that is not deployed answers 404."""
    client.force_login(docente)

    assert client.get("/iniciar/no_existe/").status_code == 404


def test_user_with_several_positions_chooses_where_the_case_belongs(client, tramite, officer, org):
    """With two teaching positions the page asks «Inicia como»; the case goes to the
    chosen position's IE, and not choosing is an error that keeps the typed values."""
    user = officer("personal_ie", IE, username="docente-doble")
    from portal.orgs import services as orgs
    from portal.orgs.models import Role

    second = orgs.position_assign(user=user, role=Role.objects.get(code="personal_ie"), unit=org["0301234-0"], by=None)
    client.force_login(user)

    page = client.get("/iniciar/tramite_prueba/")
    missing = client.post("/iniciar/tramite_prueba/", SOLICITUD)
    chosen = client.post("/iniciar/tramite_prueba/", {**SOLICITUD, "_cargo": second.pk})

    assert 'for="id_cargo_inicio">Inicia como' in html(page)
    assert missing.status_code == 400
    assert "elija desde cuál inicia el trámite" in html(missing)
    assert 'value="Rosa"' in html(missing)
    assert chosen.status_code == 302
    assert ProcessInstance.objects.get().org_unit == "0301234-0"


def test_a_double_submitted_start_form_creates_one_case(client, tramite, docente):
    """The same start form sent twice (double click, resent POST) opens the first case
    the second time instead of starting another one."""
    client.force_login(docente)
    page = html(client.get("/iniciar/tramite_prueba/"))
    token = re.search(r'name="_envio" value="([0-9a-f-]{36})"', page).group(1)

    client.post("/iniciar/tramite_prueba/", {**SOLICITUD, "_envio": token})
    response = client.post("/iniciar/tramite_prueba/", {**SOLICITUD, "_envio": token}, follow=True)

    inst = ProcessInstance.objects.get()
    assert response.redirect_chain == [(f"/expedientes/{inst.pk}/", 302)]
    assert "Esta solicitud ya se había enviado; no se creó otro expediente." in html(response)


def test_a_start_refused_for_its_data_can_be_sent_again_with_the_same_form(client, tramite, docente):
    """An invalid submission does not use up the form's token: the corrected form starts the case."""
    client.force_login(docente)
    token = "5b0c2f4e-8d1a-4c3b-9e7f-1a2b3c4d5e6f"
    client.post("/iniciar/tramite_prueba/", {**SOLICITUD, "dni": "123", "_envio": token})
    response = client.post("/iniciar/tramite_prueba/", {**SOLICITUD, "_envio": token})

    assert response.status_code == 302
    assert ProcessInstance.objects.count() == 1


def test_administrador_siagie_sees_the_administration_menu_on_every_page(client, officer):
    """A non-superuser holding Administrador SIAGIE finds Administración in the menu, also at home."""
    admin_siagie = officer("administrador_siagie", "MINEDU-UE")
    client.force_login(admin_siagie)
    assert "/administracion/unidades/" in html(client.get("/"))
    client.force_login(officer("personal_ie", "0584714-0"))
    assert "/administracion/unidades/" not in html(client.get("/"))
