"""The twenty alta/baja procedures end to end, through the portal services (the engine)
and through the REST API: approval, rejection and, for one-holder posts, replacement."""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from engine.models import HumanTask, HumanTaskState, InstanceStatus, ProcessInstance
from portal.accounts import prechecks
from portal.notify.models import Notification
from portal.orgs.models import Person, Position
from portal.work import services as work
from tests.engine.constructs import final_data
from tests.portal.conftest import Api
from tests.roundtrip import assert_round_trip

from .conftest import PDF, PROCEDURES, Procedure, deliver_mail, document, new_dni, open_task, request_data, verification

FIELD_OF = {"correo.pdf": "correo_solicitud.archivo", "s09.pdf": "formulario_s09", "oficio.pdf": "oficio.archivo",
            "rd.pdf": "rd.archivo", "dni.pdf": "copia_dni", "solicitud.pdf": "solicitud.archivo"}


class Channel:
    """Start and complete through the portal services or through /api/v1/. The stored state
    round-trips after each start and before each task is completed."""

    def __init__(self, kind: str, client):
        self.kind, self.client = kind, client

    def doc(self, proc: Procedure):
        if self.kind == "servicio":
            return document

        def upload(user, name: str = "oficio.pdf") -> str:
            self.client.force_login(user)
            response = self.client.post("/api/v1/documents/", {
                "form": f"cuenta_{proc.key}", "field": FIELD_OF[name],
                "file": SimpleUploadedFile(name, PDF, content_type="application/pdf")})
            assert response.status_code == 201, response.content
            return response.json()["id"]

        return upload

    def start(self, proc: Procedure, user, data: dict[str, Any]) -> ProcessInstance:
        if self.kind == "servicio":
            instance = work.process_start(user=user, key=proc.key, data=data)
        else:
            response = Api(self.client, user).post(f"processes/{proc.key}/start/", {"data": data},
                                                   HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()))
            assert response.status_code == 201, response.content
            instance = ProcessInstance.objects.get(pk=response.json()["id"])
        assert_round_trip(instance)
        return instance

    def titular_visto(self, user, task: HumanTask) -> str:
        if self.kind == "servicio":
            return prechecks.live_checks(task.instance)["titular_visto"]
        body = Api(self.client, user).get(f"tasks/{task.pk}/").json()
        return body["panel"]["titular_visto"]

    def complete(self, user, task: HumanTask, data: dict[str, Any]) -> None:
        assert_round_trip(task.instance)
        if self.kind == "servicio":
            work.task_complete(user=user, task_pk=task.pk, data=data)
            return
        response = Api(self.client, user).post(f"tasks/{task.pk}/complete/", {"data": data})
        assert response.status_code == 200, response.content


def _people(proc: Procedure, person):
    requester = person(*proc.requester)
    verifier = requester if proc.verifier == proc.requester else person(*proc.verifier)
    return requester, verifier


def _subject(proc: Procedure, person, requester=None) -> tuple[dict[str, str], Any]:
    """The person the request is about: a newcomer for an alta, the holder for a baja
    (the requester themself when a former Director asks for their own baja)."""
    if not proc.alta and requester is not None and proc.requester == (proc.rol, proc.unit):
        return {"nombres": requester.first_name, "apellidos": requester.last_name, "dni": requester.dni,
                "correo": requester.email}, requester
    if proc.alta:
        dni = new_dni()
        return {"nombres": "Rosa Elena", "apellidos": "Quispe Mamani", "dni": dni,
                "correo": f"rosa.{dni}@example.pe"}, None
    holder = person(proc.rol, proc.unit, nivel=proc.nivel, first="Julio", last="Saldaña")
    return {"nombres": holder.first_name, "apellidos": holder.last_name, "dni": holder.dni,
            "correo": holder.email}, holder


def _signatory(proc: Procedure, requester, subject) -> str:
    # The requesters of DRE/UGEL procedures are their section VI authorities; a new
    # Director signs their own oficio with their RD.
    return subject["dni"] if proc.key == "alta_director_ie" else getattr(requester, "dni", "")


def _position(proc: Procedure, dni: str) -> Position | None:
    return Position.objects.filter(user__person__document_number=dni, role_id=proc.rol, unit_id__isnull=False,
                                   unit__code=proc.unit, until__isnull=True).first()


ACTIVATION_PATH = re.compile(r"(?:https?://[^/\s]+)?(/cuenta/activar/[^/\s]+/[^/\s]+/)")
NEW_PASSWORD = "Una-clave-larga-2026"


def _follow_activation_link(message, new_user) -> None:
    """The newcomer opens the link of the e-mail they got (filled in when it left), sets a
    password and logs in with it, in a browser of their own."""
    [path] = ACTIVATION_PATH.findall(message.body)
    browser = Client()
    page = browser.get(path)
    assert page.status_code == 200
    assert "Activar su cuenta" in page.content.decode() and new_user.username in page.content.decode()
    response = browser.post(path, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert response.status_code == 302 and response["Location"] == reverse("login")
    new_user.refresh_from_db()
    assert new_user.is_active and new_user.check_password(NEW_PASSWORD)
    login = browser.post(reverse("login"), {"username": new_user.username, "password": NEW_PASSWORD})
    assert login.status_code == 302
    assert browser.session["_auth_user_id"] == str(new_user.pk)


def _finish_alta(proc: Procedure, channel: Channel, instance: ProcessInstance, verifier, subject,
                 requester=None) -> None:
    new_user = Person.objects.get(document_number=subject["dni"]).user
    if proc.ending == "confirmar_recepcion":
        task = open_task(instance, "confirmar_recepcion")
        assert task.claimed_by_id == new_user.pk  # only the new user confirms receipt
        # The e-mail carries a one-time link; following it opens the account.
        deliver_mail()
        [message] = [m for m in mail.outbox if subject["correo"] in m.to]
        assert "contraseña" in message.body.lower()
        _follow_activation_link(message, new_user)
        channel.complete(new_user, task, {"recibido": True})
    elif proc.ending == "entregar":
        task = open_task(instance, "entregar")
        # The hand-over is the diagram's verifier's (the UGEL specialist for a Director), who
        # may have filed the request and seen it verified above them (four eyes).
        hands_over = requester if requester is not None and (task.role, task.unit) == proc.requester else verifier
        channel.complete(hands_over, task, {"fecha_entrega": "2026-11-05", "modalidad": "presencial",
                                          "recibido_por_dni": subject["dni"]})
    else:
        deliver_mail()
        [message] = [m for m in mail.outbox if subject["correo"] in m.to]  # the activation link was e-mailed
        _follow_activation_link(message, new_user)


@pytest.mark.django_db(transaction=False)
@pytest.mark.parametrize("kind", ["servicio", "api"])
@pytest.mark.parametrize("proc", PROCEDURES, ids=str)
def test_approved_request(proc, kind, cuentas, person, client, django_capture_on_commit_callbacks):
    channel = Channel(kind, client)
    requester, verifier = _people(proc, person)
    subject, holder = _subject(proc, person, requester)
    data = request_data(proc, requester, subject=subject, signatory_dni=_signatory(proc, requester, subject),
                        doc=channel.doc(proc))
    with django_capture_on_commit_callbacks(execute=True):
        instance = channel.start(proc, requester, data)
        task = open_task(instance, "verificar")
        assert (task.role, task.unit) == proc.verifier
        assert task.due_at is not None
        checks = {c["codigo"]: c for c in prechecks.live_checks(instance)["verificaciones"]}
        failing = {code: c["detalle"] for code, c in checks.items() if c["ok"] is False}
        assert not failing, failing
        seen = channel.titular_visto(verifier, task)
        channel.complete(verifier, task, verification(instance, titular_visto=seen))
        if proc.alta:
            assert _position(proc, subject["dni"]) is not None
            _finish_alta(proc, channel, instance, verifier, subject, requester)
        else:
            assert _position(proc, subject["dni"]) is None
            holder.refresh_from_db()
            assert not holder.is_active  # no other position: the account is closed
    assert_round_trip(instance)  # the finished state restores too
    assert instance.status == InstanceStatus.COMPLETED
    assert final_data(instance)["resultado"]["estado"] == ("creada" if proc.alta else "baja")
    # The requester is told once (e-mail + portal notice); a former Director asking for their
    # own baja gets the notice of the person removed.
    expected = "cuenta_creada" if proc.alta else "cuenta_baja_persona" if holder == requester else "cuenta_baja"
    assert list(Notification.objects.filter(user=requester, instance=instance).values_list(
        "template", flat=True)) == [expected]
    deliver_mail()
    assert len([m for m in mail.outbox if requester.email in m.to]) == 1


@pytest.mark.django_db
@pytest.mark.parametrize("proc", PROCEDURES, ids=str)
def test_rejected_request_tells_the_requester_which_requirement_failed(proc, cuentas, person, client,
                                                                        django_capture_on_commit_callbacks):
    channel = Channel("api", client)
    requester, verifier = _people(proc, person)
    subject, holder = _subject(proc, person, requester)
    data = request_data(proc, requester, subject=subject, signatory_dni=_signatory(proc, requester, subject),
                        doc=channel.doc(proc))
    with django_capture_on_commit_callbacks(execute=True):
        instance = channel.start(proc, requester, data)
        task = open_task(instance, "verificar")
        observation = "El DNI del documento no coincide con el de la solicitud."
        channel.complete(verifier, task, verification(instance, fail="req_identidad", observation=observation,
                                                      titular_visto=channel.titular_visto(verifier, task)))
    assert_round_trip(instance)  # the finished state restores too
    assert instance.status == InstanceStatus.COMPLETED
    assert final_data(instance)["resultado"]["estado"] == "rechazada"
    assert not HumanTask.objects.filter(instance=instance, state=HumanTaskState.OPEN).exists()
    if proc.alta:
        assert not Person.objects.filter(document_number=subject["dni"]).exists()  # nothing created
    else:
        assert _position(proc, subject["dni"]) is not None  # nothing removed
        holder.refresh_from_db()
        assert holder.is_active
    notice = Notification.objects.get(user=requester, instance=instance)
    assert observation in notice.body_text
    deliver_mail()
    [message] = [m for m in mail.outbox if requester.email in m.to]
    assert observation in message.body and "rechaz" in message.subject.lower() + message.body.lower()


ONE_HOLDER_ALTAS = [p for p in PROCEDURES if p.alta and p.rol in {
    "especialista_siagie_dre", "estadistico_dre", "especialista_siagie_ugel", "especialista_nivel_educativo",
    "estadistico_ugel", "director_ie"}]


@pytest.mark.django_db
@pytest.mark.parametrize("kind", ["servicio", "api"])
@pytest.mark.parametrize("proc", ONE_HOLDER_ALTAS, ids=str)
def test_replacement_of_the_current_holder(proc, kind, cuentas, person, client, django_capture_on_commit_callbacks):
    assert proc.one_holder
    channel = Channel(kind, client)
    requester, verifier = _people(proc, person)
    old = person(proc.rol, proc.unit, nivel=proc.nivel, first="Antiguo", last="Titular")
    subject, _holder = _subject(proc, person)
    data = request_data(proc, requester, subject=subject, signatory_dni=_signatory(proc, requester, subject),
                        doc=channel.doc(proc))
    with django_capture_on_commit_callbacks(execute=True):
        instance = channel.start(proc, requester, data)
        task = open_task(instance, "verificar")
        live = prechecks.live_checks(instance)
        assert live["titular"]["usuario"] == old.username  # the verifier sees who holds it
        seen = channel.titular_visto(verifier, task)
        assert seen == str(live["titular"]["position_id"])
        channel.complete(verifier, task, verification(instance, titular_visto=seen))
    assert_round_trip(instance)
    new = _position(proc, subject["dni"])
    assert new is not None
    old_position = Position.objects.get(user=old, role_id=proc.rol)
    assert old_position.until is not None
    old.refresh_from_db()
    assert not old.is_active
    assert Position.objects.filter(role_id=proc.rol, unit__code=proc.unit, nivel=proc.nivel,
                                   until__isnull=True).count() == 1
    # The old holder is informed, by e-mail and in the portal.
    assert list(Notification.objects.filter(user=old, instance=instance).values_list(
        "template", flat=True)) == ["cuenta_reemplazada"]
    deliver_mail()
    assert len([m for m in mail.outbox if old.email in m.to]) == 1
