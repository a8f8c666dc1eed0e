"""`manage.py seed_demo`: every app's demo data (the org tree, one officer per role, demo
instances and account requests), idempotent."""

from __future__ import annotations

import io
import re

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from engine.models import AuditEvent, HumanTask, ProcessInstance
from portal.core.demo import demo_seed
from portal.core.models import ActivityLog
from portal.orgs import services
from portal.orgs.demo import USERS
from portal.orgs.models import OrgUnit, Person, Position, Role, UnitKind
from portal.orgs.roles import catalogue

pytestmark = pytest.mark.django_db

PASSWORD = "clave-demo-prueba-2026"


@pytest.fixture(autouse=True)
def fast_hashing(settings):
    """Demo users are hashed many times per test; the hasher is not what is tested."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def seeded():
    return demo_seed(password=PASSWORD)


def _counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in (
        OrgUnit, get_user_model(), Person, Position, ActivityLog, AuditEvent, ProcessInstance, HumanTask)}


def _active_positions(role: str):
    return Position.objects.filter(role_id=role, until__isnull=True).select_related("unit", "user")


def test_migrating_alone_creates_no_demo_users():
    """Demo users exist only where seed_demo ran: a migrated database has none."""
    assert not get_user_model().objects.filter(username__in=[u.username for u in USERS]).exists()


def test_the_26_regional_offices_hang_below_minedu_with_their_official_names(seeded):
    """There are 26 DRE/GRE below MINEDU, named as the regions name them."""
    dres = OrgUnit.objects.filter(kind=UnitKind.DRE)
    assert dres.count() == 26
    assert set(dres.values_list("parent__code", flat=True)) == {"MINEDU"}
    names = dict(dres.values_list("code", "name"))
    assert names["DRE-LIMA-METROPOLITANA"] == "DRE Lima Metropolitana"
    assert names["DRE-LIMA-PROVINCIAS"] == "DRE Lima Provincias"
    assert names["DRE-CALLAO"] == "DRE Callao"
    assert names["DRE-AREQUIPA"] == "GRE Arequipa"


def test_minedu_has_the_offices_the_roles_are_held_in(seeded):
    """MINEDU has the UE, OTIC – USAU, OACIGED and DIGE offices."""
    offices = set(OrgUnit.objects.filter(kind=UnitKind.MINEDU_OFFICE, parent__code="MINEDU")
                  .values_list("code", flat=True))
    assert offices == {"MINEDU-UE", "MINEDU-OTIC", "MINEDU-OACIGED", "MINEDU-DIGE"}


def test_at_least_twelve_ugels_hang_below_a_dre(seeded):
    """At least a dozen UGELs exist, each below a DRE; UGEL 03 Breña is below Lima Metropolitana."""
    ugels = OrgUnit.objects.filter(kind=UnitKind.UGEL)
    assert ugels.count() >= 12
    assert set(ugels.values_list("parent__kind", flat=True)) == {UnitKind.DRE}
    breña = OrgUnit.objects.get(code="UGEL-03")
    assert (breña.name, breña.parent.code) == ("UGEL 03 Breña", "DRE-LIMA-METROPOLITANA")


def test_about_fifty_ies_cover_niveles_modalidades_gestion_and_closed_schools(seeded):
    """About fifty IEs exist, across inicial/primaria/secundaria, EBR/EBA/EBE, public and
    private, some of them inactive."""
    ies = OrgUnit.objects.filter(kind=UnitKind.IE)
    assert 45 <= ies.count() <= 60
    assert {"inicial", "primaria", "secundaria"} <= set(ies.values_list("nivel", flat=True))
    assert set(ies.values_list("modalidad", flat=True)) == {"EBR", "EBA", "EBE"}
    assert set(ies.values_list("gestion", flat=True)) == {"publica", "privada"}
    assert 0 < ies.filter(active=False).count() < ies.count() // 4


def test_every_ie_has_a_seven_digit_codigo_modular_under_a_ugel(seeded):
    """Each IE's code is its 7-digit código modular and anexo, and it hangs below a UGEL."""
    for code, codigo, anexo, parent_kind in OrgUnit.objects.filter(kind=UnitKind.IE).values_list(
            "code", "codigo_modular", "anexo", "parent__kind"):
        assert re.fullmatch(r"\d{7}", codigo) and code == f"{codigo}-{anexo}"
        assert parent_kind == UnitKind.UGEL


def test_the_two_ies_of_the_source_documents_keep_their_data(seeded):
    """ANTONIO RAIMONDI (1598333-0) is a closed public secundaria and AUGUSTO B. LEGUIA
    (0584714-0) an active one, both under UGEL 03 Breña."""
    raimondi = OrgUnit.objects.get(code="1598333-0")
    leguia = OrgUnit.objects.get(code="0584714-0")
    for ie in (raimondi, leguia):
        assert (ie.nivel, ie.modalidad, ie.gestion, ie.parent.code) == ("secundaria", "EBR", "publica", "UGEL-03")
    assert (raimondi.name, raimondi.active) == ("ANTONIO RAIMONDI", False)
    assert (leguia.name, leguia.active) == ("AUGUSTO B. LEGUIA", True)
    assert leguia.path == "/MINEDU/DRE-LIMA-METROPOLITANA/UGEL-03/0584714-0/"


def test_every_role_of_the_catalogue_has_a_demo_holder(seeded):
    """Each of the roles in processes/roles.json is held by at least one demo officer."""
    demo_usernames = {u.username for u in USERS}
    held = set(Position.objects.filter(until__isnull=True, user__username__in=demo_usernames)
               .values_list("role_id", flat=True))
    assert held == set(catalogue()) and len(held) == 19


def test_one_holder_roles_have_a_single_holder_per_unit(seeded):
    """A one-holder role has exactly one active holder in each unit where it is held."""
    for role in Role.objects.filter(one_holder=True):
        units = list(_active_positions(role.code).values_list("unit__code", "nivel"))
        assert units, role.code
        assert len(units) == len(set(units)), role.code


def test_officers_sit_where_the_procedures_need_them(seeded):
    """The director and a docente of AUGUSTO B. LEGUIA, the UGEL 03 specialists, the DRE
    Lima Metropolitana roles and the MINEDU roles at their fixed offices."""
    where = {(p.user.username, p.role_id): p.unit.code for p in
             Position.objects.filter(until__isnull=True).select_related("user", "unit")}
    assert where[("director.leguia", "director_ie")] == "0584714-0"
    assert where[("docente.leguia", "personal_ie")] == "0584714-0"
    assert where[("especialista.ugel03", "especialista_siagie_ugel")] == "UGEL-03"
    assert where[("especialista.drelm", "especialista_siagie_dre")] == "DRE-LIMA-METROPOLITANA"
    for entry in catalogue().values():
        if entry.get("unit"):
            assert {p.unit.code for p in _active_positions(entry["code"])} == {entry["unit"]}, entry["code"]


def test_the_nivel_specialist_holds_the_post_for_one_nivel(seeded):
    """The especialista del nivel educativo of UGEL 03 holds it for secundaria."""
    position = _active_positions("especialista_nivel_educativo").get()
    assert (position.user.username, position.unit.code, position.nivel) == ("secundaria.ugel03", "UGEL-03",
                                                                            "secundaria")


def test_demo_officers_have_invented_dnis(seeded):
    """Every demo officer has a Person row with an 8-digit DNI in the demo range 7000xxxx."""
    people = Person.objects.filter(user__username__in=[u.username for u in USERS])
    assert people.count() == len(USERS)
    for person in people:
        assert person.document_type == "dni"
        assert re.fullmatch(r"7000\d{4}", person.document_number)


def test_the_demo_password_opens_every_demo_account(seeded):
    """Every demo officer's password is the demo password."""
    for spec in USERS:
        assert get_user_model().objects.get(username=spec.username).check_password(PASSWORD)


def test_the_first_run_audits_each_unit_and_position(seeded):
    """Units and positions are written through the org services: one audit row each."""
    assert ActivityLog.objects.filter(action="unit_created").count() == OrgUnit.objects.count()
    assert ActivityLog.objects.filter(action="position_assigned").count() == len(USERS)


def test_a_second_run_changes_nothing(seeded):
    """Running the seed again creates no rows and no audit entries."""
    before = _counts()
    report = demo_seed(password=PASSWORD)
    assert _counts() == before
    assert not report.changed


def test_a_second_run_restores_a_changed_password():
    """A demo officer whose password was changed gets the demo password back."""
    demo_seed(password=PASSWORD)
    user = get_user_model().objects.get(username="director.leguia")
    user.set_password("otra-clave-cualquiera")
    user.save()
    demo_seed(password=PASSWORD)
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


def test_a_second_run_gives_a_taken_one_holder_post_back_to_the_demo_officer(seeded, django_user_model):
    """If someone replaced the demo director, the next run replaces them back, audited."""
    other = django_user_model.objects.create_user(username="otro.director")
    services.position_replace(unit=OrgUnit.objects.get(code="0584714-0"), role=Role.objects.get(code="director_ie"),
                              user=other, by=None, reason="Prueba")
    demo_seed(password=PASSWORD)
    holder = _active_positions("director_ie").get(unit__code="0584714-0")
    assert holder.user.username == "director.leguia"


def test_the_command_uses_demo_password_from_the_environment(settings, monkeypatch):
    """With DEMO_PASSWORD set, the command gives the demo officers that password and says so."""
    settings.DEBUG = True
    monkeypatch.setenv("DEMO_PASSWORD", "clave-del-entorno-2026")
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    assert get_user_model().objects.get(username="especialista.ugel03").check_password("clave-del-entorno-2026")
    assert "environment variable DEMO_PASSWORD" in out.getvalue()


def test_the_command_prints_every_login_with_role_and_unit(settings, monkeypatch):
    """The printed table lists each demo username with its role and unit, and the default password."""
    settings.DEBUG = True
    monkeypatch.delenv("DEMO_PASSWORD", raising=False)
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    text = out.getvalue()
    assert "demo-siagie-2026" in text and "DEMO_PASSWORD is not set" in text
    for spec in USERS:
        assert re.search(rf"^\s+{re.escape(spec.username)}\s+\S.*\({re.escape(spec.unit)}\)$", text, re.M), spec


def test_the_command_refuses_to_run_with_debug_off(settings):
    """With DEBUG off the command refuses (published password) and creates nothing."""
    settings.DEBUG = False
    with pytest.raises(CommandError):
        call_command("seed_demo", stdout=io.StringIO())
    assert not OrgUnit.objects.exists()


def test_a_deployed_process_gets_a_demo_instance_in_the_right_inbox(tramite):
    """With a process that personal_ie starts deployed, the seed starts one instance and
    its first task waits for the director of AUGUSTO B. LEGUIA."""
    report = demo_seed(password=PASSWORD)
    assert report.instances_started == ["tramite_prueba (docente.leguia)"]
    task = HumanTask.objects.get(state="open")
    assert (task.role, task.unit) == ("director_ie", "0584714-0")


def test_a_second_run_starts_no_more_instances(tramite):
    """Demo instances are started once: the next run finds them and starts none."""
    demo_seed(password=PASSWORD)
    report = demo_seed(password=PASSWORD)
    assert report.instances_started == []
    assert ProcessInstance.objects.count() == 1
