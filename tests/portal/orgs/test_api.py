"""Units and positions through the API: reading for officers, writing for administrators."""

from __future__ import annotations

import pytest

from portal.orgs.models import OrgUnit, Person, Position

pytestmark = pytest.mark.django_db


def test_officers_list_units_with_filters(api, officer):
    """?kind and ?parent narrow the tree; ?q searches names and codes."""
    client = api(officer("director_ie", "0584714-0"))

    ugels = client.get("units/", {"kind": "ugel", "parent": "DRE-LIMA-METROPOLITANA"}).json()
    found = client.get("units/", {"q": "leguia"}).json()

    assert [u["code"] for u in ugels["results"]] == ["UGEL-03", "UGEL-04"]
    assert [u["code"] for u in found["results"]] == ["0584714-0"]
    assert found["results"][0]["parent"] == "UGEL-03"
    assert found["results"][0]["kind_label"] == "IE"


def test_a_unit_reads_by_its_code(api, officer):
    """/units/UGEL-03/ answers that UGEL; an unknown code is a 404."""
    client = api(officer("director_ie", "0584714-0"))

    assert client.get("units/UGEL-03/").json()["name"] == "UGEL 03 Breña"
    assert client.get("units/UGEL-99/").status_code == 404


def test_a_user_without_a_position_cannot_read_units(api, org, django_user_model):
    """Units are for officers: an account without a position gets 403."""
    user = django_user_model.objects.create_user(username="sin-cargo", password="clave-segura-2026")

    assert api(user).get("units/").status_code == 403


def test_administrators_create_an_ie_under_a_ugel(api, org, admin_user):
    """POST /units/ creates an IE whose code is its código modular and anexo."""
    response = api(admin_user).post("units/", {
        "name": "IE 2001", "kind": "ie", "parent": "UGEL-04", "codigo_modular": "0301999", "anexo": "0",
        "nivel": "primaria", "modalidad": "EBR", "gestion": "publica"})

    assert response.status_code == 201
    assert response.json()["code"] == "0301999-0"
    assert OrgUnit.objects.get(code="0301999-0").path.endswith("/UGEL-04/0301999-0/")


def test_a_unit_refused_by_the_org_rules_is_a_400_in_spanish(api, org, admin_user):
    """A UGEL directly under MINEDU breaks the tree: 400 with the service's message."""
    response = api(admin_user).post("units/", {"code": "UGEL-99", "name": "UGEL 99", "kind": "ugel",
                                               "parent": "MINEDU"})

    assert response.status_code == 400
    assert response.json() == {"detail": "Una unidad de tipo UGEL debe depender de: DRE."}


def test_administrators_rename_a_unit(api, org, admin_user):
    """PATCH changes the name and keeps the code."""
    response = api(admin_user).patch("units/UGEL-04/", {"name": "UGEL 04 Comas (renombrada)"})

    assert response.status_code == 200
    assert OrgUnit.objects.get(code="UGEL-04").name == "UGEL 04 Comas (renombrada)"


def test_officers_may_not_write_units(api, officer):
    """A UGEL officer cannot create or edit units: 403, nothing changes."""
    client = api(officer("especialista_siagie_ugel", "UGEL-03"))

    created = client.post("units/", {"code": "UGEL-99", "name": "UGEL 99", "kind": "ugel",
                                     "parent": "DRE-LIMA-METROPOLITANA"})
    edited = client.patch("units/UGEL-03/", {"name": "Otra"})

    assert (created.status_code, edited.status_code) == (403, 403)
    assert OrgUnit.objects.get(code="UGEL-03").name == "UGEL 03 Breña"


def test_positions_show_the_name_and_a_masked_document(api, officer):
    """The person is a name and the last four digits of the DNI."""
    director = officer("director_ie", "0584714-0")
    Person.objects.create(user=director, document_number="45871236")

    rows = api(officer("especialista_siagie_ugel", "UGEL-03")).get("positions/", {"role": "director_ie"}).json()

    assert rows["results"][0]["person"] == {"id": director.pk, "name": director.get_full_name(),
                                            "document": "****1236"}
    assert "45871236" not in str(rows)


def test_a_ugel_officer_sees_positions_of_its_remit_only(api, officer):
    """UGEL 03 sees its own and its IEs' positions, not UGEL 04's or its IEs'."""
    officer("director_ie", "0584714-0")
    officer("director_ie", "0301234-0")
    officer("especialista_siagie_ugel", "UGEL-04")
    client = api(officer("especialista_siagie_ugel", "UGEL-03"))

    units = {r["unit"] for r in client.get("positions/").json()["results"]}
    foreign = client.get("positions/", {"unit": "UGEL-04"}).json()

    assert units == {"UGEL-03", "0584714-0"}
    assert foreign["count"] == 0


def test_national_roles_see_every_position(api, officer):
    """The Coordinador SIAGIE MINEDU sees positions in every UGEL."""
    officer("director_ie", "0301234-0")
    officer("especialista_siagie_ugel", "UGEL-CUSCO")

    units = {r["unit"] for r in api(officer("coordinador_siagie_minedu", "MINEDU-UE")).get("positions/")
             .json()["results"]}

    assert {"0301234-0", "UGEL-CUSCO", "MINEDU-UE"} <= units


def test_a_second_holder_of_a_one_holder_role_is_a_400(api, officer, admin_user, django_user_model):
    """The IE already has a Director: assigning another is refused with the Spanish message."""
    officer("director_ie", "0584714-0")
    newcomer = django_user_model.objects.create_user(username="nuevo-director", password="clave-segura-2026")

    response = api(admin_user).post("positions/", {"user": newcomer.pk, "role": "director_ie",
                                                   "unit": "0584714-0"})

    assert response.status_code == 400
    assert response.json() == {"detail": "Esta unidad ya tiene un titular activo para este rol; use «Reemplazar»."}


def test_replace_hands_a_one_holder_role_to_the_new_person(api, officer, admin_user, django_user_model):
    """Replacing ends the old Director's position and gives the role to the newcomer, at once."""
    old = officer("director_ie", "0584714-0")
    newcomer = django_user_model.objects.create_user(username="nuevo-director", password="clave-segura-2026")

    response = api(admin_user).post("positions/replace/", {
        "unit": "0584714-0", "role": "director_ie", "user": newcomer.pk, "reason": "RD 01234-2026"})

    assert response.status_code == 201
    assert response.json()["person"]["id"] == newcomer.pk
    active = Position.objects.filter(role="director_ie", unit__code="0584714-0", until__isnull=True)
    assert [p.user_id for p in active] == [newcomer.pk]
    assert Position.objects.get(user=old, role="director_ie").end_reason == "RD 01234-2026"


def test_replace_without_a_reason_is_a_400(api, officer, admin_user, django_user_model):
    """A replacement must say why: 400 with the service's message; the old holder stays."""
    old = officer("director_ie", "0584714-0")
    newcomer = django_user_model.objects.create_user(username="nuevo-director", password="clave-segura-2026")

    response = api(admin_user).post("positions/replace/", {"unit": "0584714-0", "role": "director_ie",
                                                           "user": newcomer.pk})

    assert response.status_code == 400
    assert response.json() == {"detail": "Indique el motivo del reemplazo."}
    assert Position.objects.get(role="director_ie", until__isnull=True).user == old


def test_administrators_end_a_position_with_a_reason(api, officer, admin_user):
    """POST /positions/{id}/end/ closes the position; it is then listed as not active."""
    director = officer("director_ie", "0584714-0")
    position = Position.objects.get(user=director)

    response = api(admin_user).post(f"positions/{position.pk}/end/", {"reason": "Cese por renuncia"})

    assert response.status_code == 200
    assert response.json()["active"] is False
    ended = api(admin_user).get("positions/", {"active": "0"}).json()["results"]
    assert [p["id"] for p in ended] == [position.pk]


def test_an_assignment_naming_an_unknown_unit_is_a_field_error(api, org, admin_user, django_user_model):
    """A unit code that does not exist is a 400 naming `unit`."""
    user = django_user_model.objects.create_user(username="alguien", password="clave-segura-2026")

    response = api(admin_user).post("positions/", {"user": user.pk, "role": "personal_ie", "unit": "NO-EXISTE"})

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["unit"]
