import pytest
from django.contrib.auth import get_user_model

from engine import services as engine
from engine.models import AuditEvent, HumanTask
from portal.accounts.services import AccountError
from portal.core.models import ActivityLog
from portal.orgs import services as orgs
from portal.orgs.models import Person, Position

from ..conftest import SOLICITUD
from .conftest import IE, role

pytestmark = pytest.mark.django_db
User = get_user_model()


def active_holders(role_code, unit_code):
    return list(Position.objects.filter(role=role_code, unit__code=unit_code, until__isnull=True)
                .values_list("user__username", flat=True))


def claimed_verification_task(tramite, director):
    """Start the test process at the IE and let its Director claim "Verificar los requisitos"."""
    inst = engine.start(key="tramite_prueba", org_unit=IE, data=dict(SOLICITUD))
    task = HumanTask.objects.get(instance=inst, role="director_ie", state="open")
    engine.claim(task_id=task.pk, user=director)
    return task


def give_person(user, dni):
    Person.objects.create(user=user, document_number=dni)
    return user


def test_alta_for_an_existing_person_reuses_their_account(alta, org):
    """A second alta for the same DNI adds a position to the same user; no second account."""
    first = alta(role=role("personal_ie"))
    second = alta(role=role("personal_ie"), unit=org["0301234-0"])
    assert not second.created_user and second.user == first.user
    assert User.objects.filter(person__document_number="45871236").count() == 1
    assert Position.objects.filter(user=first.user, until__isnull=True).count() == 2
    assert ActivityLog.objects.filter(action="account_created").count() == 1


def test_alta_reactivates_an_inactive_account_that_has_a_password(alta, baja, org):
    """Someone given baja earlier gets their old account back, active, once the new position exists."""
    user = alta().user
    user.set_password("Clave-Anterior-2026")
    user.is_active = True
    user.save()
    baja()
    user.refresh_from_db()
    assert not user.is_active

    result = alta(role=role("personal_ie"), unit=org["0301234-0"])

    user.refresh_from_db()
    assert result.user == user and not result.created_user and user.is_active
    assert ActivityLog.objects.filter(action="account_reactivated", object_id=str(user.pk)).count() == 1


def test_alta_of_a_never_activated_account_keeps_it_waiting_for_activation(alta, org):
    """An account whose owner never set a password is not switched on by a second alta."""
    alta(role=role("personal_ie"))
    result = alta(role=role("personal_ie"), unit=org["0301234-0"])
    result.user.refresh_from_db()
    assert not result.user.is_active and not result.user.has_usable_password()


def test_alta_of_someone_who_already_holds_the_role_there_is_refused(alta):
    """The same person, role and unit twice is an error that says so."""
    alta(role=role("personal_ie"))
    with pytest.raises(AccountError, match="ya tiene ese cargo"):
        alta(role=role("personal_ie"))


def test_alta_over_a_director_without_replacement_names_the_holder_and_creates_nothing(alta, officer):
    """Without replace_holder the alta is refused naming the current Director with a masked DNI."""
    current = give_person(officer("director_ie", IE), "40011236")
    users_before = User.objects.count()
    with pytest.raises(AccountError) as info:
        alta()
    message = str(info.value)
    assert current.get_full_name() in message and "****1236" in message and "40011236" not in message
    assert User.objects.count() == users_before
    assert not Person.objects.filter(document_number="45871236").exists()
    assert active_holders("director_ie", IE) == [current.username]


def test_alta_with_replacement_swaps_the_director_and_frees_their_tasks(alta, officer, tramite, verifier):
    """With replace_holder the old Director's position ends, their account is deactivated, their
    claimed task returns to the pool with a REASSIGN audit event, and the new Director holds the post."""
    old = officer("director_ie", IE)
    task = claimed_verification_task(tramite, old)

    result = alta(replace_holder=True)

    old.refresh_from_db()
    task.refresh_from_db()
    assert active_holders("director_ie", IE) == ["rquispe"]
    assert result.replaced.user == old and result.replaced.until is not None
    assert result.replaced.ended_by == verifier
    assert not old.is_active and result.replaced_deactivated and result.released_tasks == 1
    assert task.claimed_by is None and task.state == "open"
    event = AuditEvent.objects.get(task_id=task.task_id, action="reassign")
    assert event.actor == verifier
    assert event.data["from_user"] == old.pk and event.data["to_user"] is None
    assert ActivityLog.objects.filter(action="account_deactivated", object_id=str(old.pk)).exists()


def test_a_replaced_director_with_another_position_keeps_the_account(alta, officer, org, tramite):
    """The replaced holder still teaching in another IE stays active; only their Director tasks are freed."""
    old = officer("director_ie", IE)
    director_position = Position.objects.get(user=old)
    orgs.position_assign(user=old, role=role("personal_ie"), unit=org["0301234-0"], by=None)
    task = claimed_verification_task(tramite, old)

    result = alta(replace_holder=True)

    old.refresh_from_db()
    task.refresh_from_db()
    assert old.is_active and not result.replaced_deactivated
    assert result.replaced.pk == director_position.pk
    assert task.claimed_by is None


def test_baja_ends_the_position_deactivates_and_releases_tasks(alta, baja, tramite, verifier):
    """Baja of the only position ends it, deactivates the account and returns claimed tasks to the pool."""
    user = alta().user
    user.set_password("Clave-Activa-2026")
    user.is_active = True
    user.save()
    task = claimed_verification_task(tramite, user)

    result = baja()

    user.refresh_from_db()
    task.refresh_from_db()
    assert result.position.until is not None and result.position.end_reason == "Oficio 200-2026: cese"
    assert result.deactivated and not user.is_active
    assert result.released_tasks == 1 and task.claimed_by is None
    assert AuditEvent.objects.filter(task_id=task.task_id, action="reassign", actor=verifier).count() == 1
    assert active_holders("director_ie", IE) == []
    assert ActivityLog.objects.filter(action="account_deactivated", actor=verifier).count() == 1


def test_baja_of_someone_who_does_not_hold_the_position_is_refused(alta, baja, org):
    """Baja for a role the person does not hold in that unit is an error and changes nothing."""
    user = alta(role=role("personal_ie")).user
    with pytest.raises(AccountError, match="no tiene el cargo"):
        baja()
    with pytest.raises(AccountError, match="no tiene el cargo"):
        baja(role=role("personal_ie"), unit=org["0301234-0"])
    assert Position.objects.filter(user=user, until__isnull=True).count() == 1


def test_baja_of_an_unknown_document_is_refused_with_a_masked_dni(baja):
    """A DNI nobody holds is reported, masked."""
    with pytest.raises(AccountError) as info:
        baja(document_number="49998877")
    assert "****8877" in str(info.value) and "49998877" not in str(info.value)


def test_a_person_with_two_positions_keeps_the_account_after_one_baja(alta, baja, org):
    """Baja of the Director post leaves the teaching post and the account active."""
    user = alta().user
    user.set_password("Clave-Activa-2026")
    user.is_active = True
    user.save()
    alta(role=role("personal_ie"), unit=org["0301234-0"])

    result = baja()

    user.refresh_from_db()
    assert not result.deactivated and user.is_active
    assert list(Position.objects.filter(user=user, until__isnull=True).values_list("role", flat=True)) == [
        "personal_ie"]


def test_release_keeps_tasks_of_a_role_the_user_still_holds(alta, officer, tramite, verifier):
    """release_claimed_tasks frees only the tasks whose (role, unit) the user no longer holds."""
    director = officer("director_ie", IE)
    task = claimed_verification_task(tramite, director)
    assert orgs.release_claimed_tasks(user=director, by=verifier, reason="revisión") == 0
    task.refresh_from_db()
    assert task.claimed_by == director


@pytest.mark.parametrize("number", ["4587123", "458712360", "4587123A", ""])
def test_a_malformed_dni_is_refused(alta, number):
    """A DNI has exactly 8 digits."""
    with pytest.raises(AccountError, match="8 dígitos"):
        alta(document_number=number)


@pytest.mark.parametrize("number", ["123456", "12345678", "1234567890123", "E-1234567"])
def test_a_carne_outside_nine_to_twelve_alphanumerics_is_refused(alta, number):
    """The service applies the forms' carné rule (portal.core.identity): 9 to 12 letters or digits."""
    with pytest.raises(AccountError, match="entre 9 y 12 letras o dígitos"):
        alta(document_type="ce", document_number=number)


def test_a_carne_is_stored_upper_case_without_spaces(alta):
    """A carné typed "e1234 5678" is stored as E12345678, with the type ce."""
    result = alta(document_type="CE", document_number="e1234 5678")
    person = Person.objects.get(user=result.user)
    assert (person.document_type, person.document_number) == ("ce", "E12345678")


def test_a_nivel_specialist_needs_a_nivel(alta, org):
    """Especialista del nivel educativo is held per nivel: the alta must say which."""
    with pytest.raises(AccountError, match="nivel educativo"):
        alta(role=role("especialista_nivel_educativo"), unit=org["UGEL-03"])
    result = alta(role=role("especialista_nivel_educativo"), unit=org["UGEL-03"], nivel="primaria")
    assert result.position.nivel == "primaria"


def test_a_missing_reason_is_refused(alta):
    """Every alta records its grounds (oficio, RD)."""
    with pytest.raises(AccountError, match="motivo"):
        alta(reason="  ")
