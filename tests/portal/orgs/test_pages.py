"""Administration of offices and positions through the pages (administrators only)."""

from __future__ import annotations

import pytest

from portal.core.models import ActivityLog
from portal.orgs.models import OrgUnit, Person, Position

from ..conftest import html

IE = "0584714-0"  # AUGUSTO B. LEGUIA, UGEL-03

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


@pytest.fixture
def candidate(django_user_model):
    user = django_user_model.objects.create_user(username="nuevo.director", first_name="Ana", last_name="Huamán")
    Person.objects.create(user=user, document_number="41234567")
    return user


def test_assign_gives_the_person_the_role_and_is_audited(admin_client, candidate, org):
    """Assigning Personal IE by DNI creates the position with its reason and an audit row."""
    response = admin_client.post(f"/administracion/unidades/{IE}/cargos/asignar/", {
        "usuario": "41234567", "rol": "personal_ie", "nivel": "", "motivo": "Contrato 2026"}, follow=True)

    position = Position.objects.get(user=candidate)
    assert response.redirect_chain == [(f"/administracion/unidades/{IE}/", 302)]
    assert (position.role_id, position.unit.code, position.reason) == ("personal_ie", IE, "Contrato 2026")
    assert "Se asignó el cargo Personal / Docente IE a Ana Huamán." in html(response)
    assert ActivityLog.objects.filter(action="position_assigned", object_id=str(position.pk)).exists()


def test_assigning_a_second_holder_of_a_one_holder_role_is_refused(admin_client, candidate, director):
    """An IE with a director refuses a second one with the Spanish message and keeps the form."""
    response = admin_client.post(f"/administracion/unidades/{IE}/cargos/asignar/", {
        "usuario": "nuevo.director", "rol": "director_ie", "motivo": "RD 0456-2026"})

    text = html(response)
    assert response.status_code == 400
    assert "Esta unidad ya tiene un titular activo para este rol; use «Reemplazar»." in text
    assert 'value="nuevo.director"' in text
    assert not Position.objects.filter(user=candidate).exists()


def test_replace_ends_the_holder_and_designates_the_new_one(admin_client, candidate, director):
    """«Reemplazar titular» ends the director's position and gives the role to the new
    person in one step; both changes are audited with the reason."""
    old = Position.objects.get(user=director)

    response = admin_client.post(f"/administracion/unidades/{IE}/cargos/reemplazar/", {
        "reemplazo-usuario": "nuevo.director", "reemplazo-rol": "director_ie", "reemplazo-nivel": "",
        "reemplazo-motivo": "RD 0456-2026: nueva designación"})

    assert response.status_code == 302
    old.refresh_from_db()
    new = Position.objects.get(user=candidate, until__isnull=True)
    assert old.until is not None and old.end_reason == "RD 0456-2026: nueva designación"
    assert (new.role_id, new.unit.code) == ("director_ie", IE)
    assert ActivityLog.objects.filter(action="position_ended", object_id=str(old.pk)).exists()
    assert ActivityLog.objects.filter(action="position_replaced", object_id=str(new.pk)).exists()


def test_end_position_records_the_reason(admin_client, director):
    """«Terminar cargo» with a reason ends the position; it moves to «Cargos anteriores»."""
    position = Position.objects.get(user=director)

    response = admin_client.post(f"/administracion/cargos/{position.pk}/cesar/",
                                 {f"cese-{position.pk}-motivo": "Renuncia"}, follow=True)

    position.refresh_from_db()
    assert position.until is not None and position.end_reason == "Renuncia"
    assert "Cargos anteriores" in html(response) and "Renuncia" in html(response)


def test_end_position_without_reason_is_refused(admin_client, director):
    """Ending a position needs a reason: the page says «Indique el motivo.» and nothing changes."""
    position = Position.objects.get(user=director)

    response = admin_client.post(f"/administracion/cargos/{position.pk}/cesar/", {f"cese-{position.pk}-motivo": " "})

    assert response.status_code == 400
    assert "Indique el motivo." in html(response)
    position.refresh_from_db()
    assert position.until is None


def test_level_specialist_needs_a_nivel(admin_client, candidate, org):
    """The Especialista del nivel educativo is assigned per nivel: without one, the
    service's Spanish message is shown."""
    response = admin_client.post("/administracion/unidades/UGEL-03/cargos/asignar/", {
        "usuario": "nuevo.director", "rol": "especialista_nivel_educativo", "nivel": "", "motivo": "RD 1"})

    assert response.status_code == 400
    assert "Indique el nivel educativo del especialista." in html(response)


def test_positions_list_masks_the_dni(admin_client, director):
    """The unit's positions show the holder's DNI masked (****4567), never in full."""
    Person.objects.create(user=director, document_number="45874567")

    text = html(admin_client.get(f"/administracion/unidades/{IE}/"))

    assert "****4567" in text
    assert "45874567" not in text


def test_create_unit_under_its_parent(admin_client, org):
    """A new UGEL under a DRE is saved and its page opens."""
    response = admin_client.post("/administracion/unidades/nueva/", {
        "kind": "ugel", "code": "UGEL-05", "name": "UGEL 05 San Juan de Lurigancho",
        "parent": "DRE-LIMA-METROPOLITANA", "active": "on"}, follow=True)

    unit = OrgUnit.objects.get(code="UGEL-05")
    assert response.redirect_chain == [("/administracion/unidades/UGEL-05/", 302)]
    assert unit.path == "/MINEDU/DRE-LIMA-METROPOLITANA/UGEL-05/"
    assert ActivityLog.objects.filter(action="unit_created", object_id=str(unit.pk)).exists()


def test_create_unit_shows_the_services_error_on_the_form(admin_client, org):
    """An IE placed directly under a DRE is refused with the service's Spanish message."""
    response = admin_client.post("/administracion/unidades/nueva/", {
        "kind": "ie", "name": "IE 1234", "parent": "DRE-CUSCO", "codigo_modular": "1234567", "anexo": "0",
        "nivel": "primaria", "modalidad": "EBR", "gestion": "publica", "active": "on"})

    assert response.status_code == 400
    assert "Una unidad de tipo IE debe depender de: UGEL." in html(response)
    assert 'value="IE 1234"' in html(response)
    assert not OrgUnit.objects.filter(codigo_modular="1234567").exists()


def test_edit_unit_deactivates_a_school_and_keeps_its_code(admin_client, org):
    """Editing an IE to inactive saves it; its code (and código modular) cannot be changed
    from the form, since tasks and cases refer to it."""
    response = admin_client.post(f"/administracion/unidades/{IE}/editar/", {
        "kind": "ie", "code": "9999999-9", "name": "AUGUSTO B. LEGUIA", "parent": "UGEL-03",
        "codigo_modular": "1111111", "anexo": "1", "nivel": "secundaria", "modalidad": "EBR",
        "gestion": "publica"})

    assert response.status_code == 302
    unit = OrgUnit.objects.get(pk=org[IE].pk)
    assert unit.active is False
    assert (unit.code, unit.codigo_modular, unit.anexo) == (IE, "0584714", "0")


def test_unit_list_filters_by_search_kind_dre_and_state(admin_client, org):
    """The unit list narrows by text, kind, DRE and active state (GET parameters)."""
    def codes(**params):
        return [u.code for u in admin_client.get("/administracion/unidades/", params).context["units"]["items"]]

    assert codes(q="Cusco") == ["DRE-CUSCO", "UGEL-CUSCO"]
    assert codes(tipo="ugel", dre="DRE-LIMA-METROPOLITANA") == ["UGEL-03", "UGEL-04"]
    assert codes(tipo="ie", activa="no") == ["1598333-0"]


def test_an_administrator_re_sends_the_activation_link_of_an_inactive_holder(admin_client, org, django_user_model):
    """A holder whose account is not activated is marked on the unit page; «Enviar enlace de
    activación» queues a new e-mail for them."""
    from portal.notify.models import Notification
    from portal.orgs import services as orgs
    from portal.orgs.models import Role

    user = django_user_model.objects.create_user(username="nuevo.director", email="nd@example.pe", is_active=False)
    user.set_unusable_password()
    user.save()
    position = orgs.position_assign(user=user, role=Role.objects.get(code="director_ie"), unit=org[IE], by=None)

    page = html(admin_client.get(f"/administracion/unidades/{IE}/"))
    assert "Cuenta sin activar" in page
    response = admin_client.post(f"/administracion/cargos/{position.pk}/enlace-activacion/", follow=True)

    assert "Se envió a nuevo.director un enlace nuevo para crear su contraseña." in html(response)
    assert Notification.objects.filter(user=user, template="activacion_cuenta").count() == 1
