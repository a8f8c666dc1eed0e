import pytest
from django.db import IntegrityError, transaction

from portal.core.models import ActivityLog
from portal.orgs import services
from portal.orgs.models import ONE_HOLDER_ROLES, Position, Role
from portal.orgs.roles import catalogue

pytestmark = pytest.mark.django_db


def role(code):
    return Role.objects.get(code=code)


def test_database_constraint_covers_exactly_the_one_holder_roles_of_the_catalogue():
    """The partial unique index lists the same roles as processes/roles.json marks one_holder."""
    assert set(ONE_HOLDER_ROLES) == {code for code, r in catalogue().items() if r["one_holder"]}


def test_roles_table_mirrors_the_catalogue_after_migrate():
    """Every role of roles.json exists as a Role row with its level and flags."""
    rows = {r.code: r for r in Role.objects.all()}
    for code, entry in catalogue().items():
        assert rows[code].name == entry["name"]
        assert rows[code].one_holder == entry["one_holder"]
        assert rows[code].home_unit_code == entry.get("unit", "")


def test_the_database_refuses_a_second_active_director_even_bypassing_the_services(org, officer, django_user_model):
    """One holder per unit is enforced by PostgreSQL/SQLite, not only by Python code."""
    officer("director_ie", "0584714-0")
    intruder = django_user_model.objects.create_user(username="intruso")
    with pytest.raises(IntegrityError), transaction.atomic():
        Position.objects.create(user=intruder, role=role("director_ie"), unit=org["0584714-0"])


def test_an_ended_position_frees_the_unit_for_a_new_holder(org, officer, django_user_model):
    """After the holder's position ends, the database accepts a new active holder."""
    first = officer("director_ie", "0584714-0")
    services.position_end(position=first.positions.get(), by=None, reason="Cese por RD 0123-2026")
    second = django_user_model.objects.create_user(username="nuevo")
    services.position_assign(user=second, role=role("director_ie"), unit=org["0584714-0"], by=None)
    assert Position.objects.filter(unit=org["0584714-0"], role="director_ie", until__isnull=True).get().user == second


def test_several_holders_are_allowed_for_roles_without_the_one_holder_rule(org, officer):
    """Personal IE may have many active holders in one IE."""
    officer("personal_ie", "0584714-0")
    officer("personal_ie", "0584714-0")
    assert Position.objects.filter(role="personal_ie", until__isnull=True).count() == 2


def test_assign_to_an_occupied_one_holder_role_is_refused_with_a_spanish_message(org, officer, django_user_model):
    """Assigning over an existing holder tells the administrator to use «Reemplazar»."""
    officer("especialista_siagie_ugel", "UGEL-03")
    other = django_user_model.objects.create_user(username="otro")
    with pytest.raises(services.OrgError, match="Reemplazar"):
        services.position_assign(user=other, role=role("especialista_siagie_ugel"), unit=org["UGEL-03"], by=None)


def test_replace_ends_the_old_holder_and_creates_the_new_one_in_one_step(org, officer, django_user_model, admin_user):
    """Replacing a director leaves exactly one active holder and audits both changes."""
    old = officer("director_ie", "0584714-0")
    new = django_user_model.objects.create_user(username="nueva.directora")
    services.position_replace(unit=org["0584714-0"], role=role("director_ie"), user=new, by=admin_user,
                              reason="RD 0456-2026 designa nueva directora")
    active = Position.objects.filter(unit=org["0584714-0"], role="director_ie", until__isnull=True)
    assert [p.user for p in active] == [new]
    ended = old.positions.get()
    assert ended.until is not None and ended.ended_by == admin_user and "0456" in ended.end_reason
    actions = list(ActivityLog.objects.filter(actor=admin_user).values_list("action", flat=True))
    assert "position_ended" in actions and "position_replaced" in actions


def test_replace_requires_a_reason(org, officer, django_user_model):
    """A replacement without a reason is refused and changes nothing."""
    old = officer("director_ie", "0584714-0")
    new = django_user_model.objects.create_user(username="nuevo")
    with pytest.raises(services.OrgError, match="motivo"):
        services.position_replace(unit=org["0584714-0"], role=role("director_ie"), user=new, by=None, reason="  ")
    assert old.positions.get().until is None


def test_a_role_cannot_be_held_in_a_unit_of_the_wrong_level(org, django_user_model):
    """A Director IE position at a UGEL is refused."""
    user = django_user_model.objects.create_user(username="x")
    with pytest.raises(services.OrgError, match="IE"):
        services.position_assign(user=user, role=role("director_ie"), unit=org["UGEL-03"], by=None)


def test_minedu_roles_are_held_only_in_their_office(org, django_user_model):
    """The Administrador SIAGIE works at MINEDU-UE, not at OTIC."""
    user = django_user_model.objects.create_user(username="x")
    with pytest.raises(services.OrgError, match="MINEDU-UE"):
        services.position_assign(user=user, role=role("administrador_siagie"), unit=org["MINEDU-OTIC"], by=None)


def test_no_positions_are_given_in_an_inactive_ie(org, django_user_model):
    """ANTONIO RAIMONDI is closed: nobody can be assigned there."""
    user = django_user_model.objects.create_user(username="x")
    with pytest.raises(services.OrgError, match="inactiva"):
        services.position_assign(user=user, role=role("personal_ie"), unit=org["1598333-0"], by=None)


def test_nivel_specialists_hold_one_position_per_nivel(org, officer, django_user_model):
    """The UGEL may have one Especialista del nivel educativo per nivel, and must say which."""
    officer("especialista_nivel_educativo", "UGEL-03", nivel="primaria")
    officer("especialista_nivel_educativo", "UGEL-03", nivel="secundaria")
    user = django_user_model.objects.create_user(username="x")
    with pytest.raises(services.OrgError, match="nivel"):
        services.position_assign(user=user, role=role("especialista_nivel_educativo"), unit=org["UGEL-03"], by=None)
    with pytest.raises(services.OrgError, match="Reemplazar"):
        services.position_assign(user=user, role=role("especialista_nivel_educativo"), unit=org["UGEL-03"],
                                 by=None, nivel="primaria")


def test_ending_a_position_returns_its_claimed_tasks_and_closes_an_idle_account(org, officer, tramite, admin_user):
    """An administrator ends a director's position: the verification the director had taken
    goes back to the IE's pool (audited) and the account, left without positions, is closed."""
    from engine.models import AuditAction, AuditEvent, HumanTask
    from portal.work import services as work
    from tests.portal.conftest import SOLICITUD

    requester = officer("personal_ie", "0584714-0")
    director = officer("director_ie", "0584714-0")
    inst = work.process_start(user=requester, key="tramite_prueba", data=SOLICITUD)
    task = HumanTask.objects.get(instance=inst)
    work.task_claim(user=director, task_pk=task.pk)

    ended = services.position_end(position=director.positions.get(), by=admin_user, reason="Cese por RD 0999-2026")

    task.refresh_from_db()
    director.refresh_from_db()
    assert task.claimed_by is None and ended.released_tasks == 1
    assert AuditEvent.objects.filter(task_id=task.task_id, action=AuditAction.REASSIGN, actor=admin_user).exists()
    assert not director.is_active and ended.account_deactivated


def test_ending_one_of_two_positions_keeps_the_account(org, officer):
    """A person who still holds another position keeps their account active."""
    user = officer("personal_ie", "0584714-0")
    services.position_assign(user=user, role=role("personal_ie"), unit=org["0301234-0"], by=None)
    ended = services.position_end(position=user.positions.filter(unit=org["0584714-0"]).get(), by=None,
                                  reason="Traslado")
    user.refresh_from_db()
    assert user.is_active and not ended.account_deactivated
