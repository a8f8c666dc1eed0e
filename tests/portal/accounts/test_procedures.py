"""The service tasks of the alta/baja diagrams (accounts.preparar, accounts.informar,
accounts.enviar_acceso, accounts.recordatorio), each run by a real engine step of the
deployed processes/accounts diagrams on the test org tree."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import time_machine
from django.conf import settings as django_settings
from django.core import mail

from engine import services as engine
from engine.errors import StepFailed
from engine.models import HumanTask, HumanTaskState, Incident, InstanceStatus, ProcessInstance
from engine.registry import registry
from portal.accounts import handlers, prechecks
from portal.notify.models import Notification, NotificationStatus
from portal.orgs import services as orgs
from portal.orgs.models import Person, Position, Role
from portal.orgs.selectors import supervisor_unit
from portal.schemaforms.loader import SchemaFormCatalogue
from portal.work import services as work
from tests.engine.constructs import final_data, task_data
from tests.engine.test_timers_calendar import lima
from tests.portal.accounts.conftest import (
    PROCEDURES,
    deliver_mail,
    new_dni,
    open_task,
    request_data,
    verification,
)
from tests.roundtrip import assert_round_trip

ROOT = Path(django_settings.BASE_DIR)
PORTAL = "https://flujos.minedu.gob.pe"
IE_A = "0584714-0"


def proc(key: str, rol: str | None = None):
    return next(p for p in PROCEDURES if p.key == key and (rol is None or p.rol == rol))


@pytest.fixture
def cuentas(db, settings, org):
    settings.ENGINE = {**settings.ENGINE, "FORMS_DIR": str(ROOT / "forms")}
    settings.PORTAL_URL = PORTAL
    registry.forms = SchemaFormCatalogue()
    engine.deploy_directory(directory=ROOT / "processes" / "accounts")


@pytest.fixture
def persona(person):
    """persona(role, unit) → a user with an e-mail and a DNI (Person) holding the position."""
    return person


def newcomer() -> dict[str, str]:
    dni = new_dni()
    return {"nombres": "Rosa Elena", "apellidos": "Quispe Mamani", "dni": dni, "correo": f"rosa{dni}@example.pe"}


def about(user) -> dict[str, str]:
    return {"nombres": user.first_name, "apellidos": user.last_name, "dni": user.dni, "correo": user.email}


def notices(instance, template: str) -> list[Notification]:
    return list(Notification.objects.filter(instance=instance, template=template).select_related("user"))


def mails_to(user) -> list:
    return [m for m in mail.outbox if user.email in m.to]


def test_the_portal_registers_the_procedure_handlers():
    assert registry.services["accounts.preparar"] is handlers.preparar
    assert registry.services["accounts.informar"] is handlers.informar
    assert registry.services["accounts.enviar_acceso"] is handlers.enviar_acceso
    assert registry.services["accounts.recordatorio"] is handlers.recordatorio


def test_instances_of_older_diagram_versions_still_find_their_operators():
    """A case started before the operators took the app's name calls `cuentas.*`: the same handlers answer."""
    assert registry.services["cuentas.preparar"] is handlers.preparar
    assert registry.services["cuentas.informar"] is handlers.informar
    assert registry.services["cuentas.enviar_acceso"] is handlers.enviar_acceso
    assert registry.services["cuentas.recordatorio"] is handlers.recordatorio


def test_the_diagrams_call_only_the_accounts_operators():
    """Every service task of processes/accounts names an `accounts.` operator."""
    operators = {name for path in (ROOT / "processes" / "accounts").glob("*.bpmn")
                 for name in re.findall(r'serviceTaskOperator id="([^"]+)"', path.read_text(encoding="utf-8"))}
    assert operators == {"accounts.preparar", "accounts.alta", "accounts.baja", "accounts.informar",
                         "accounts.enviar_acceso", "accounts.recordatorio"}


# --- accounts.preparar ----------------------------------------------------------------------


@pytest.mark.django_db
def test_preparar_places_the_request_fixes_the_deadline_and_sees_the_holder(cuentas, persona, settings):
    settings.ACCOUNTS_VERIFICATION_WORKING_DAYS = 5
    director_ugel = persona("director_ugel", "UGEL-03")
    holder = persona("especialista_nivel_educativo", "UGEL-03", nivel="secundaria", first="Julio")
    persona("especialista_nivel_educativo", "UGEL-03", nivel="primaria")  # another post: not the holder
    p = proc("alta_dre_ugel", "especialista_nivel_educativo")
    data = request_data(p, director_ugel, subject=newcomer(), signatory_dni=director_ugel.dni)
    instance = work.process_start(user=director_ugel, key=p.key, data=data)
    assert_round_trip(instance)

    task = open_task(instance, "verificar")
    prep = task_data(task)["preparacion"]
    assert {k: prep[k] for k in ("tramite", "unidad", "unidad_nombre", "rol", "rol_nombre", "nivel", "persona",
                                 "plazo_dias")} == {
        "tramite": "alta", "unidad": "UGEL-03", "unidad_nombre": "UGEL 03 Breña",
        "rol": "especialista_nivel_educativo", "rol_nombre": Role.objects.get(code=p.rol).name,
        "nivel": "secundaria", "persona": "QUISPE MAMANI, Rosa Elena", "plazo_dias": 5}
    assert prep["titular"]["position_id"] == Position.objects.get(user=holder).pk
    assert prep["titular"]["usuario"] == holder.username
    checks = {c["codigo"]: c for c in prep["verificaciones"]}
    assert set(checks) == {"firmante_autorizado", "unidad_solicitante", "formato_dni", "formato_correo", "fechas",
                           "cargo_actual", "titular", "documentos"}
    assert all(c["ok"] is True for c in checks.values()), {k: c["detalle"] for k, c in checks.items()}
    assert "Al aprobar se le dará de baja" in checks["titular"]["detalle"]
    # The verifier is the Administrador SIAGIE, due in the configured working days.
    assert (task.role, task.unit) == ("administrador_siagie", "MINEDU-UE") and task.due_at is not None


@pytest.mark.django_db
def test_preparar_places_a_director_in_the_ie_the_ugel_names(cuentas, persona):
    especialista = persona("especialista_siagie_ugel", "UGEL-03")
    person = newcomer()
    data = request_data(proc("alta_director_ie"), especialista, subject=person, signatory_dni=person["dni"])
    data["codigo_modular"] = "0584714"  # anexo 0 implied
    instance = work.process_start(user=especialista, key="alta_director_ie", data=data)
    assert_round_trip(instance)
    task = open_task(instance, "verificar")
    prep = task_data(task)["preparacion"]
    assert (prep["rol"], prep["unidad"], prep["unidad_nombre"]) == ("director_ie", IE_A, "AUGUSTO B. LEGUIA")
    assert prep["titular"] is None
    assert (task.role, task.unit) == ("especialista_siagie_ugel", "UGEL-03")


@pytest.mark.django_db
def test_preparar_refuses_a_request_it_cannot_place(cuentas, persona):
    """A request that bypassed the start form (an engine caller) still cannot put a DRE
    role in a UGEL: the step is refused with an incident in Spanish, nothing waits."""
    data = {**newcomer(), "rol": "estadistico_dre", "solicitante_rol": "director_ugel"}
    with pytest.raises(StepFailed):
        engine.start(key="alta_dre_ugel", org_unit="UGEL-03", data=data)
    instance = ProcessInstance.objects.get(definition__key="alta_dre_ugel")
    assert instance.status == InstanceStatus.INCIDENT
    incident = Incident.objects.get(instance=instance)
    assert "«Estadístico DRE» no se ejerce en UGEL 03 Breña." in incident.message
    assert not HumanTask.objects.filter(instance=instance).exists()


# --- accounts.informar -------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_rejection_tells_the_requester_each_failed_requirement(cuentas, persona):
    director_ugel = persona("director_ugel", "UGEL-03")
    admin = persona("administrador_siagie", "MINEDU-UE")
    person = newcomer()
    p = proc("alta_dre_ugel", "estadistico_ugel")
    instance = work.process_start(user=director_ugel, key=p.key, data=request_data(
        p, director_ugel, subject=person, signatory_dni=director_ugel.dni))
    assert_round_trip(instance)
    answer = verification(instance, fail="req_oficio", observation="El oficio no lleva la firma del Director.")
    answer["observacion_general"] = "Vuelva a enviarlo firmado."
    mail.outbox.clear()
    work.task_complete(user=admin, task_pk=open_task(instance, "verificar").pk, data=answer)

    assert final_data(instance)["resultado"] == {"estado": "rechazada", "avisos": 1, "fallidos": 1}
    assert not Person.objects.filter(document_number=person["dni"]).exists()  # nothing created
    [notice] = notices(instance, "cuenta_rechazada")
    assert notice.user == director_ugel and notice.link == f"/expedientes/{instance.pk}/"
    assert notice.status == NotificationStatus.PENDING  # in the outbox until the worker sends it
    assert ("- Oficio firmado por autoridad autorizada (sección VI): El oficio no lleva la firma del Director."
            in notice.body_text)
    assert "Vuelva a enviarlo firmado." in notice.body_text
    assert Notification.objects.filter(instance=instance).count() == 1
    assert mail.outbox == []  # nothing leaves before the step commits and the worker runs
    deliver_mail()
    [message] = mails_to(director_ugel)
    assert message.subject == (f"Solicitud observada: alta de QUISPE MAMANI, Rosa Elena (expediente N.º "
                               f"{instance.pk})")
    assert "El oficio no lleva la firma del Director." in message.body
    assert f"{PORTAL}/expedientes/{instance.pk}/" in message.body


@pytest.mark.django_db
def test_an_alta_replacing_the_holder_tells_the_requester_and_the_old_holder(cuentas, persona):
    director_ugel = persona("director_ugel", "UGEL-03")
    admin = persona("administrador_siagie", "MINEDU-UE")
    old = persona("estadistico_ugel", "UGEL-03", first="Julio")
    person = newcomer()
    p = proc("alta_dre_ugel", "estadistico_ugel")
    instance = work.process_start(user=director_ugel, key=p.key, data=request_data(
        p, director_ugel, subject=person, signatory_dni=director_ugel.dni))
    assert_round_trip(instance)
    seen = prechecks.live_checks(instance)["titular_visto"]
    assert seen == str(Position.objects.get(user=old).pk)
    mail.outbox.clear()
    work.task_complete(user=admin, task_pk=open_task(instance, "verificar").pk,
                       data=verification(instance, titular_visto=seen))

    final = final_data(instance)
    assert final["resultado"] == {"estado": "creada", "avisos": 2}
    assert final["acceso"] == "enviada"
    new_user = Person.objects.get(document_number=person["dni"]).user
    [created] = notices(instance, "cuenta_creada")
    assert created.user == director_ugel and new_user.username in created.body_text
    [replaced] = notices(instance, "cuenta_reemplazada")
    assert replaced.user == old
    assert replaced.link == ""  # the old holder cannot open the case page
    assert "su cargo en ese puesto terminó hoy" in replaced.body_text
    assert "su cuenta quedó desactivada" in replaced.body_text
    [activation] = notices(instance, "activacion_cuenta")
    assert activation.user == new_user
    deliver_mail()
    assert len(mails_to(director_ugel)) == 1 and len(mails_to(new_user)) == 1
    [to_old] = mails_to(old)
    assert "expediente N.º" in to_old.subject and PORTAL not in to_old.body


@pytest.mark.django_db
def test_a_baja_tells_the_requester_and_the_person_removed(cuentas, persona, org):
    director_ugel = persona("director_ugel", "UGEL-03")
    admin = persona("administrador_siagie", "MINEDU-UE")
    holder = persona("estadistico_ugel", "UGEL-03", first="Julio")
    orgs.position_assign(user=holder, role=Role.objects.get(code="personal_ie"), unit=org[IE_A], by=None)
    p = proc("baja_dre_ugel", "estadistico_ugel")
    instance = work.process_start(user=director_ugel, key=p.key, data=request_data(
        p, director_ugel, subject=about(holder), signatory_dni=director_ugel.dni))
    assert_round_trip(instance)
    work.task_complete(user=admin, task_pk=open_task(instance, "verificar").pk, data=verification(instance))

    assert final_data(instance)["resultado"] == {"estado": "baja", "avisos": 2}
    [told] = notices(instance, "cuenta_baja")
    assert told.user == director_ugel and told.link == f"/expedientes/{instance.pk}/"
    assert f"se dio de baja el usuario SIAGIE de PRUEBA {holder.dni}, Julio" in told.body_text
    [removed] = notices(instance, "cuenta_baja_persona")
    assert removed.user == holder and removed.link == ""
    assert "Su cuenta sigue activa para sus otros cargos." in removed.body_text  # still personal_ie at the IE
    holder.refresh_from_db()
    assert holder.is_active
    deliver_mail()
    assert mails_to(director_ugel) and mails_to(holder)


@pytest.mark.django_db
def test_a_member_of_staff_asking_for_their_own_baja_gets_one_notice(cuentas, persona):
    director = persona("director_ie", IE_A)
    docente = persona("personal_ie", IE_A)
    instance = work.process_start(user=docente, key="baja_personal_ie", data={
        **{k: v for k, v in about(docente).items() if k != "correo"}, "motivo": "Traslado a otra IE."})
    assert_round_trip(instance)
    work.task_complete(user=director, task_pk=open_task(instance, "verificar").pk, data=verification(instance))

    assert final_data(instance)["resultado"] == {"estado": "baja", "avisos": 1}
    [notice] = Notification.objects.filter(instance=instance)
    assert notice.user == docente and notice.template == "cuenta_baja_persona"
    assert "su cuenta quedó desactivada" in notice.body_text
    docente.refresh_from_db()
    assert not docente.is_active


# --- accounts.enviar_acceso ------------------------------------------------------------------


@pytest.mark.django_db
def test_enviar_acceso_sends_no_link_to_an_account_that_has_a_password(cuentas, persona):
    """A person who already works in the portal (another post) keeps their password: the
    alta gives them the post and the e-mailed link is not needed."""
    director_ugel = persona("director_ugel", "UGEL-03")
    admin = persona("administrador_siagie", "MINEDU-UE")
    existing = persona("personal_ie", IE_A)
    p = proc("alta_dre_ugel", "estadistico_ugel")
    instance = work.process_start(user=director_ugel, key=p.key, data=request_data(
        p, director_ugel, subject=about(existing), signatory_dni=director_ugel.dni))
    assert_round_trip(instance)
    work.task_complete(user=admin, task_pk=open_task(instance, "verificar").pk, data=verification(instance))

    final = final_data(instance)
    assert final["acceso"] == "no_requerida" and final["cuenta"]["user_id"] == existing.pk
    assert not notices(instance, "activacion_cuenta")
    assert Position.objects.filter(user=existing, role_id="estadistico_ugel", until__isnull=True).exists()


# --- accounts.recordatorio ---------------------------------------------------------------------


START = lima(2026, 9, 1, 9, 0)  # Tuesday
LATE = lima(2026, 9, 15, 9, 0)  # well past three working days


def _overdue(instance) -> HumanTask:
    with time_machine.travel(LATE, tick=False):
        assert engine.fire_due_timers() == [instance.pk]
    assert_round_trip(instance)  # the reminder branch ran; the verification still waits
    task = open_task(instance, "verificar")
    assert task.state == HumanTaskState.OPEN  # the timer does not interrupt the verification
    return task


@pytest.mark.django_db
def test_an_overdue_claimed_verification_reminds_its_claimer_and_escalates(cuentas, persona):
    coordinador = persona("coordinador_siagie_minedu", "MINEDU-UE")
    admin, other_admin = persona("administrador_siagie", "MINEDU-UE"), persona("administrador_siagie", "MINEDU-UE")
    p = proc("alta_minedu", "especialista_siagie_minedu")
    with time_machine.travel(START, tick=False):
        instance = work.process_start(user=coordinador, key=p.key, data=request_data(
            p, coordinador, subject=newcomer(), signatory_dni=""))
        assert_round_trip(instance)
        work.task_claim(user=admin, task_pk=open_task(instance, "verificar").pk)
    task = _overdue(instance)

    assert task.escalated_at is not None
    assert task.escalation_note == "Plazo vencido; se avisó a 1 supervisor(es) (Coordinador SIAGIE MINEDU)."
    assert task.claimed_by == admin  # still theirs
    [reminder] = notices(instance, "cuenta_recordatorio")
    assert reminder.user == admin and reminder.link == f"/tareas/{task.pk}/"
    assert "venció el 04/09/2026 09:00" in reminder.body_text
    [escalated] = notices(instance, "cuenta_escalada")
    assert escalated.user == coordinador
    assert admin.get_full_name() in escalated.body_text and other_admin.get_full_name() not in escalated.body_text
    deliver_mail()
    assert len(mails_to(admin)) == 1 and not mails_to(other_admin) and len(mails_to(coordinador)) == 1
    # The verifier still decides afterwards; the reminder branch left its count in the case.
    assert_round_trip(task.instance)
    work.task_complete(user=admin, task_pk=task.pk, data=verification(instance, fail="req_correo",
                                                                      observation="Sin correo de solicitud."))
    assert final_data(instance)["recordatorio"] == {"recordatorio_a": 1, "supervisores": 1}


@pytest.mark.django_db
def test_an_unclaimed_director_verification_goes_to_the_ies_ugel_specialist(cuentas, persona):
    director = persona("director_ie", IE_A)
    supervisor = persona("especialista_siagie_ugel", "UGEL-03")
    persona("especialista_siagie_ugel", "UGEL-04")  # another UGEL: not told
    p = proc("alta_personal_ie")
    with time_machine.travel(START, tick=False):
        instance = work.process_start(user=director, key=p.key, data=request_data(
            p, director, subject=newcomer(), signatory_dni=""))
        assert_round_trip(instance)
    _overdue(instance)

    assert [n.user for n in notices(instance, "cuenta_recordatorio")] == [director]
    assert [n.user for n in notices(instance, "cuenta_escalada")] == [supervisor]


@pytest.mark.django_db
def test_an_overdue_verification_without_a_supervisor_is_still_flagged(cuentas, persona):
    director_ugel = persona("director_ugel", "UGEL-03")
    admin = persona("administrador_siagie", "MINEDU-UE")
    p = proc("alta_dre_ugel", "estadistico_ugel")
    with time_machine.travel(START, tick=False):
        instance = work.process_start(user=director_ugel, key=p.key, data=request_data(
            p, director_ugel, subject=newcomer(), signatory_dni=director_ugel.dni))
        assert_round_trip(instance)
    task = _overdue(instance)

    assert task.escalated_at is not None and "0 supervisor(es)" in task.escalation_note
    assert [n.user for n in notices(instance, "cuenta_recordatorio")] == [admin]
    assert not notices(instance, "cuenta_escalada")


@pytest.mark.django_db
def test_the_supervisor_unit_is_the_fixed_office_the_unit_or_the_nearest_above(org):
    assert supervisor_unit("coordinador_siagie_minedu", "MINEDU-UE") == "MINEDU-UE"
    assert supervisor_unit("especialista_siagie_ugel", IE_A) == "UGEL-03"
    assert supervisor_unit("director_ugel", "UGEL-04") == "UGEL-04"
    assert supervisor_unit("director_ugel", "DRE-CUSCO") is None


# --- live pre-checks ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_live_checks_show_the_tree_as_it_is_now_in_a_handful_of_queries(cuentas, persona,
                                                                       django_assert_max_num_queries):
    director_ugel = persona("director_ugel", "UGEL-03")
    p = proc("alta_dre_ugel", "estadistico_ugel")
    instance = work.process_start(user=director_ugel, key=p.key, data=request_data(
        p, director_ugel, subject=newcomer(), signatory_dni=director_ugel.dni))
    assert_round_trip(instance)
    assert task_data(open_task(instance, "verificar"))["preparacion"]["titular"] is None
    assert prechecks.live_checks(instance)["titular_visto"] == "ninguno"
    # Meanwhile someone is appointed and the signatory leaves office.
    appointed = persona("estadistico_ugel", "UGEL-03", first="Nuevo")
    Position.objects.filter(user=director_ugel).update(until=instance.started_at)
    instance = ProcessInstance.objects.select_related("definition").get(pk=instance.pk)
    with django_assert_max_num_queries(8):
        live = prechecks.live_checks(instance)
    assert live["titular"]["usuario"] == appointed.username
    assert live["titular_visto"] == str(Position.objects.get(user=appointed).pk)
    checks = {c["codigo"]: c for c in live["verificaciones"]}
    assert checks["firmante_autorizado"]["ok"] is False
    assert "Titular actual" in checks["titular"]["detalle"] and appointed.username in checks["titular"]["detalle"]
