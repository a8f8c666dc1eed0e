"""Verification deadlines: working days (Peru's holidays excluded), a reminder to the
verifier and a flag to the supervisor when overdue, nothing cancelled."""

from __future__ import annotations

from pathlib import Path

import pytest
import time_machine
from django.core import mail

from engine import services as engine
from engine.models import HumanTaskState, InstanceStatus
from portal.accounts import prechecks
from portal.notify.models import Notification
from portal.work import services as work
from tests.engine.test_timers_calendar import lima
from tests.roundtrip import assert_round_trip

from .conftest import PROCEDURES, deliver_mail, new_dni, open_task, request_data, verification

ALTA_DIRECTOR = next(p for p in PROCEDURES if p.key == "alta_director_ie")
ALTA_UGEL = next(p for p in PROCEDURES if p.key == "alta_dre_ugel" and p.rol == "especialista_siagie_ugel")


def _subject() -> dict[str, str]:
    dni = new_dni()
    return {"nombres": "Eva", "apellidos": "Plazo Vencido", "dni": dni, "correo": f"e{dni}@example.pe"}


@pytest.mark.django_db
def test_overdue_verification_reminds_and_escalates_without_cancelling(cuentas, person, settings,
                                                                      django_capture_on_commit_callbacks):
    settings.ACCOUNTS_VERIFICATION_WORKING_DAYS = 3
    ugel = person("especialista_siagie_ugel", "UGEL-03")
    director_ugel = person("director_ugel", "UGEL-03")  # supervises the UGEL's specialist
    subject = _subject()
    # The sitting Director files their successor's alta: the UGEL's specialist verifies it
    # (had the specialist filed it, four eyes would send it to the UGEL's Director).
    director = person("director_ie", "0584714-0")
    # Wed 22 Jul 2026: 23 Jul (Día de la Fuerza Aérea) and 28-29 Jul (Fiestas Patrias) are holidays.
    with time_machine.travel(lima(2026, 7, 22, 9, 0), tick=False), \
            django_capture_on_commit_callbacks(execute=True):
        data = request_data(ALTA_DIRECTOR, director, subject=subject, signatory_dni=director.dni)
        instance = work.process_start(user=director, key=ALTA_DIRECTOR.key, data=data)
    assert_round_trip(instance)
    task = open_task(instance, "verificar")
    # Fri 24, Mon 27, Thu 30 → due Thu 30 Jul 09:00.
    assert task.due_at == lima(2026, 7, 30, 9, 0)
    with time_machine.travel(lima(2026, 7, 30, 8, 59), tick=False):
        assert engine.fire_due_timers() == []
    mail.outbox.clear()
    with time_machine.travel(lima(2026, 7, 30, 9, 1), tick=False), \
            django_capture_on_commit_callbacks(execute=True):
        assert engine.fire_due_timers() == [instance.pk]
    assert_round_trip(instance)  # the reminder branch ran; the verification still waits
    task.refresh_from_db()
    assert task.state == HumanTaskState.OPEN  # nothing cancelled: the verifier can still decide
    assert task.escalated_at is not None
    assert Notification.objects.filter(user=ugel, instance=instance, template="cuenta_recordatorio").exists()
    assert Notification.objects.filter(user=director_ugel, instance=instance, template="cuenta_escalada").exists()
    deliver_mail()
    assert any(ugel.email in m.to for m in mail.outbox) and any(director_ugel.email in m.to for m in mail.outbox)
    # The verifier still completes the case normally afterwards.
    with django_capture_on_commit_callbacks(execute=True):
        work.task_complete(user=ugel, task_pk=task.pk, data=verification(
            instance, titular_visto=prechecks.live_checks(instance)["titular_visto"]))
    assert open_task(instance, "entregar")
    assert_round_trip(instance)


@pytest.mark.django_db
def test_the_deadline_is_configurable(cuentas, person, settings):
    settings.ACCOUNTS_VERIFICATION_WORKING_DAYS = 5
    director_ugel = person("director_ugel", "UGEL-03")
    with time_machine.travel(lima(2026, 11, 2, 10, 0), tick=False):  # Monday
        data = request_data(ALTA_UGEL, director_ugel, subject=_subject(), signatory_dni=director_ugel.dni)
        instance = work.process_start(user=director_ugel, key=ALTA_UGEL.key, data=data)
    assert_round_trip(instance)
    assert open_task(instance, "verificar").due_at == lima(2026, 11, 9, 10, 0)


ALTA_MINEDU = next(p for p in PROCEDURES if p.key == "alta_minedu")


@pytest.mark.django_db
def test_an_unconfirmed_minedu_account_reminds_the_new_user_and_tells_the_requester(
        cuentas, person, settings, django_capture_on_commit_callbacks):
    """Step E (the new MINEDU user confirms receiving the account) has a deadline too: when
    it passes, the new user is reminded, whoever asked for the account is told, the task is
    flagged and stays open; it used to wait for ever."""
    settings.ACCOUNTS_CONFIRMATION_WORKING_DAYS = 2
    coordinator = person("coordinador_siagie_minedu", "MINEDU-UE")
    admin = person("administrador_siagie", "MINEDU-UE")
    subject = _subject()
    with time_machine.travel(lima(2026, 11, 2, 10, 0), tick=False), \
            django_capture_on_commit_callbacks(execute=True):  # Monday
        data = request_data(ALTA_MINEDU, coordinator, subject=subject, signatory_dni=coordinator.dni)
        instance = work.process_start(user=coordinator, key=ALTA_MINEDU.key, data=data)
        work.task_complete(user=admin, task_pk=open_task(instance, "verificar").pk, data=verification(instance))
    confirm = open_task(instance, "confirmar_recepcion")
    assert confirm.due_at == lima(2026, 11, 4, 10, 0)  # two working days
    new_user = confirm.claimed_by
    with time_machine.travel(lima(2026, 11, 4, 10, 1), tick=False), \
            django_capture_on_commit_callbacks(execute=True):
        assert engine.fire_due_timers() == [instance.pk]
    assert_round_trip(instance)

    confirm.refresh_from_db()
    assert confirm.state == HumanTaskState.OPEN and confirm.escalated_at is not None
    reminder = Notification.objects.get(user=new_user, instance=instance, template="cuenta_recordatorio")
    told = Notification.objects.get(user=coordinator, instance=instance, template="cuenta_escalada")
    assert "confirme que recibió su usuario" in reminder.body_text
    assert "porque pidió esta cuenta" in told.body_text and new_user.get_full_name() in told.body_text


def _verification_reminders(instance, user) -> list[Notification]:
    return list(Notification.objects.filter(user=user, instance=instance, template="cuenta_recordatorio")
                .order_by("pk"))


@pytest.mark.django_db
def test_the_overdue_reminder_repeats_every_n_working_days_until_the_verification_is_done(
        cuentas, person, settings, django_capture_on_commit_callbacks):
    """Past the deadline the verifier is reminded again every N working days (weekends and
    holidays skipped), each notice saying which reminder it is and since when the task is
    overdue; once the verification is done no reminder follows and the case ends normally."""
    settings.ACCOUNTS_VERIFICATION_WORKING_DAYS = 3
    settings.ACCOUNTS_REMINDER_REPEAT_WORKING_DAYS = 2
    ugel = person("especialista_siagie_ugel", "UGEL-03")
    director_ugel = person("director_ugel", "UGEL-03")
    director = person("director_ie", "0584714-0")  # files it, so the UGEL's specialist verifies (four eyes)
    subject = _subject()
    with time_machine.travel(lima(2026, 7, 22, 9, 0), tick=False), \
            django_capture_on_commit_callbacks(execute=True):
        data = request_data(ALTA_DIRECTOR, director, subject=subject, signatory_dni=director.dni)
        instance = work.process_start(user=director, key=ALTA_DIRECTOR.key, data=data)
    task = open_task(instance, "verificar")
    assert task.barred_user_id == director.pk and task.role == "especialista_siagie_ugel" and not task.routed
    # Due Thu 30 Jul; then every two working days: Mon 3 Aug (weekend skipped), Wed 5 Aug,
    # Mon 10 Aug (Thu 6 Aug, the Battle of Junín, is a holiday).
    due = [lima(2026, 7, 30, 9, 0), lima(2026, 8, 3, 9, 0), lima(2026, 8, 5, 9, 0), lima(2026, 8, 10, 9, 0)]
    for n, when in enumerate(due[:3], start=1):
        with time_machine.travel(when.replace(minute=0, hour=8), tick=False):
            assert engine.fire_due_timers() == []
        with time_machine.travel(when.replace(minute=1), tick=False), \
                django_capture_on_commit_callbacks(execute=True):
            assert engine.fire_due_timers() == [instance.pk]
        instance.refresh_from_db()
        assert instance.next_timer_at == due[n]
        assert len(_verification_reminders(instance, ugel)) == n
        assert_round_trip(instance)
    first, second, third = _verification_reminders(instance, ugel)
    assert "venció el 30/07/2026 09:00" in first.body_text and "recordatorio." not in first.body_text
    assert "cada 2 día(s) hábil(es)" in first.body_text
    assert "Este es el 2.º recordatorio" in second.body_text and "venció el 30/07/2026 09:00" in second.body_text
    assert third.subject.startswith("3.º recordatorio: tarea vencida desde el 30/07/2026 09:00")
    told = Notification.objects.filter(user=director_ugel, instance=instance, template="cuenta_escalada")
    assert told.count() == 3 and told.order_by("pk").last().body_text.count("3.º aviso") == 1
    task.refresh_from_db()
    assert task.state == HumanTaskState.OPEN and task.escalation_note.startswith("3.º recordatorio")

    with time_machine.travel(lima(2026, 8, 6, 10, 0), tick=False), \
            django_capture_on_commit_callbacks(execute=True):
        work.task_complete(user=ugel, task_pk=task.pk, data=verification(
            instance, titular_visto=prechecks.live_checks(instance)["titular_visto"]))
        entregar = open_task(instance, "entregar")
        work.task_complete(user=ugel, task_pk=entregar.pk, data={
            "fecha_entrega": "2026-08-06", "modalidad": "presencial", "recibido_por_dni": subject["dni"]})
    instance.refresh_from_db()
    assert instance.status == InstanceStatus.COMPLETED
    assert instance.next_timer_at is None
    with time_machine.travel(lima(2026, 9, 30, 9, 0), tick=False):
        assert engine.fire_due_timers() == []
    assert len(_verification_reminders(instance, ugel)) == 3
    assert_round_trip(instance)


@pytest.mark.django_db
def test_a_case_on_the_older_one_reminder_version_still_reminds_once_and_finishes(
        cuentas, person, settings, django_capture_on_commit_callbacks):
    """Cases started before the reminder repeated run on their own diagram version: one
    reminder (which promises no repeat), then they finish as before."""
    path = Path(__file__).resolve().parents[3] / "processes" / "accounts" / "alta_director_ie.bpmn"
    current = path.read_text()
    older = current.replace(
        '<bpmn:timeCycle xsi:type="bpmn:tFormalExpression" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
        'working_days_cycle(preparacion["plazo_dias"], preparacion["recordatorio_cada_dias"])</bpmn:timeCycle>',
        '<bpmn:timeDate xsi:type="bpmn:tFormalExpression" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
        'working_days(preparacion["plazo_dias"])</bpmn:timeDate>')
    assert older != current
    [old] = engine.deploy(content=older, source="alta_director_ie.bpmn")
    settings.ACCOUNTS_VERIFICATION_WORKING_DAYS = 3
    ugel = person("especialista_siagie_ugel", "UGEL-03")
    director = person("director_ie", "0584714-0")  # files it, so the UGEL's specialist verifies (four eyes)
    subject = _subject()
    with time_machine.travel(lima(2026, 7, 22, 9, 0), tick=False), \
            django_capture_on_commit_callbacks(execute=True):
        data = request_data(ALTA_DIRECTOR, director, subject=subject, signatory_dni=director.dni)
        instance = work.process_start(user=director, key=ALTA_DIRECTOR.key, data=data)
    [new] = engine.deploy(content=current, source="alta_director_ie.bpmn")
    assert new.definition.version > old.definition.version
    instance.refresh_from_db()
    assert instance.definition_id == old.definition.pk  # pinned to the version it started on
    for when in (lima(2026, 7, 30, 9, 1), lima(2026, 8, 3, 9, 1), lima(2026, 8, 5, 9, 1)):
        with time_machine.travel(when, tick=False), django_capture_on_commit_callbacks(execute=True):
            engine.fire_due_timers()
    [reminder] = _verification_reminders(instance, ugel)
    assert "cada" not in reminder.body_text
    with django_capture_on_commit_callbacks(execute=True):
        task = open_task(instance, "verificar")
        work.task_complete(user=ugel, task_pk=task.pk, data=verification(
            instance, titular_visto=prechecks.live_checks(instance)["titular_visto"]))
        work.task_complete(user=ugel, task_pk=open_task(instance, "entregar").pk, data={
            "fecha_entrega": "2026-08-06", "modalidad": "presencial", "recibido_por_dni": subject["dni"]})
    instance.refresh_from_db()
    assert instance.status == InstanceStatus.COMPLETED and instance.next_timer_at is None


@pytest.mark.django_db
def test_an_unconfirmed_minedu_account_is_reminded_again_until_it_is_confirmed(
        cuentas, person, settings, django_capture_on_commit_callbacks):
    """Step E's reminder repeats too: at its deadline and N working days later; once the
    new user confirms, nothing more fires and the case is completed."""
    settings.ACCOUNTS_CONFIRMATION_WORKING_DAYS = 2
    settings.ACCOUNTS_REMINDER_REPEAT_WORKING_DAYS = 3
    coordinator = person("coordinador_siagie_minedu", "MINEDU-UE")
    admin = person("administrador_siagie", "MINEDU-UE")
    with time_machine.travel(lima(2026, 11, 2, 10, 0), tick=False), \
            django_capture_on_commit_callbacks(execute=True):  # Monday
        data = request_data(ALTA_MINEDU, coordinator, subject=_subject(), signatory_dni=coordinator.dni)
        instance = work.process_start(user=coordinator, key=ALTA_MINEDU.key, data=data)
        work.task_complete(user=admin, task_pk=open_task(instance, "verificar").pk, data=verification(instance))
    confirm = open_task(instance, "confirmar_recepcion")
    new_user = confirm.claimed_by
    # Due Wed 4 Nov; three working days later is Mon 9 Nov, then Thu 12 Nov.
    for when, following in [(lima(2026, 11, 4, 10, 1), lima(2026, 11, 9, 10, 0)),
                            (lima(2026, 11, 9, 10, 1), lima(2026, 11, 12, 10, 0))]:
        with time_machine.travel(when, tick=False), django_capture_on_commit_callbacks(execute=True):
            assert engine.fire_due_timers() == [instance.pk]
        instance.refresh_from_db()
        assert instance.next_timer_at == following
        assert_round_trip(instance)
    reminders = _verification_reminders(instance, new_user)
    assert len(reminders) == 2 and "Este es el 2.º recordatorio" in reminders[1].body_text
    assert "confirme que recibió su usuario" in reminders[1].body_text
    with time_machine.travel(lima(2026, 11, 10, 9, 0), tick=False), \
            django_capture_on_commit_callbacks(execute=True):
        work.task_complete(user=new_user, task_pk=confirm.pk, data={"recibido": True})
    instance.refresh_from_db()
    assert instance.status == InstanceStatus.COMPLETED and instance.next_timer_at is None
    with time_machine.travel(lima(2026, 11, 30, 10, 0), tick=False):
        assert engine.fire_due_timers() == []
    assert len(_verification_reminders(instance, new_user)) == 2
