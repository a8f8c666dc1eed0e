"""Fixtures of the account procedures.

- The account layer: the Especialista SIAGIE of UGEL-03 who processes altas of
  Directors, and `alta` / `baja` helpers with a complete, valid request.
- The real alta/baja procedures (processes/accounts/, forms/cuenta_*) deployed on the
  test org tree, and builders for their requests. Each procedure is described once
  (PROCEDURES, the twenty rows of seed 003 §V and seed 000); the tests walk them through
  the engine (portal services) and through the REST API.
"""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.core.files.uploadedfile import SimpleUploadedFile

from engine import services as engine
from engine.models import HumanTask, HumanTaskState, ProcessInstance
from engine.registry import registry
from portal.accounts import services
from portal.orgs import services as orgs
from portal.orgs.models import Person, Role
from portal.schemaforms.loader import SchemaFormCatalogue, load_form
from portal.schemaforms.services import document_store

IE = "0584714-0"  # AUGUSTO B. LEGUIA, UGEL-03


def role(code: str) -> Role:
    return Role.objects.get(code=code)


@pytest.fixture
def verifier(officer):
    return officer("especialista_siagie_ugel", "UGEL-03")


@pytest.fixture
def alta(org, verifier):
    """alta(**overrides) → AltaResult: Rosa Elena Quispe Mamani as Director of IE 0584714-0."""

    def do(**overrides):
        params = {"nombres": "Rosa Elena", "apellidos": "Quispe Mamani", "document_number": "45871236",
                  "email": "rosa.quispe@example.pe", "role": role("director_ie"), "unit": org[IE],
                  "by": verifier, "reason": "Oficio 123-2026 y RD 0456-2026", "replace_holder": False}
        params.update(overrides)
        return services.account_alta(**params)

    return do


@pytest.fixture
def baja(org, verifier):
    def do(**overrides):
        params = {"document_number": "45871236", "role": role("director_ie"), "unit": org[IE],
                  "by": verifier, "reason": "Oficio 200-2026: cese"}
        params.update(overrides)
        return services.account_baja(**params)

    return do


ROOT = Path(django_settings.BASE_DIR)
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\nstartxref\n0\n%%EOF\n"


@dataclass(frozen=True)
class Procedure:
    n: int  # the row of shared/procedures/altas_bajas.md
    key: str  # process key
    rol: str  # the account role the request is about
    requester: tuple[str, str]  # (role, unit) filing the request
    verifier: tuple[str, str]  # (role, unit) that verifies it
    unit: str  # the unit of the account's position
    nivel: str = ""

    @property
    def alta(self) -> bool:
        return self.key.startswith("alta_")

    @property
    def family(self) -> str:
        return self.key.split("_", 1)[1]

    @property
    def one_holder(self) -> bool:
        return Role.objects.get(code=self.rol).one_holder

    @property
    def ending(self) -> str:
        """What follows an approved alta: the new user's confirmation (MINEDU roles), the
        hand-over with its acta (Director IE, Personal IE) or the e-mailed link."""
        return {"minedu": "confirmar_recepcion", "director_ie": "entregar",
                "personal_ie": "entregar"}.get(self.family, "enviar_acceso")

    def __str__(self) -> str:
        return f"{self.n:02d}-{self.key}-{self.rol}"


ADMIN = ("administrador_siagie", "MINEDU-UE")
UGEL_ESP = ("especialista_siagie_ugel", "UGEL-03")
DIRECTOR = ("director_ie", "0584714-0")


def _pair(n: int, family: str, rol: str, requester, verifier, unit, nivel: str = "") -> list[Procedure]:
    return [Procedure(n, f"alta_{family}", rol, requester, verifier, unit, nivel),
            Procedure(n + 1, f"baja_{family}", rol, requester, verifier, unit, nivel)]


PROCEDURES: list[Procedure] = [
    *_pair(1, "minedu", "especialista_siagie_minedu", ("coordinador_siagie_minedu", "MINEDU-UE"), ADMIN,
           "MINEDU-UE"),
    *_pair(3, "minedu", "agente_central_atencion", ("usau_otic", "MINEDU-OTIC"), ADMIN, "MINEDU-OTIC"),
    *_pair(5, "dre_ugel", "especialista_siagie_dre", ("director_dre", "DRE-LIMA-METROPOLITANA"), ADMIN,
           "DRE-LIMA-METROPOLITANA"),
    *_pair(7, "dre_ugel", "estadistico_dre", ("jefe_area_dre", "DRE-LIMA-METROPOLITANA"), ADMIN,
           "DRE-LIMA-METROPOLITANA"),
    *_pair(9, "dre_ugel", "especialista_siagie_ugel", ("director_ugel", "UGEL-03"), ADMIN, "UGEL-03"),
    *_pair(11, "dre_ugel", "especialista_nivel_educativo", ("director_ugel", "UGEL-03"), ADMIN, "UGEL-03",
           "secundaria"),
    *_pair(13, "dre_ugel", "estadistico_ugel", ("jefe_area_ugel", "UGEL-03"), ADMIN, "UGEL-03"),
    # A new Director has no account yet: the UGEL registers the oficio it received. The
    # former Director files their own baja with a copy of their DNI.
    # Its diagram gives the verification to the UGEL's Especialista SIAGIE; when that
    # one-holder specialist filed the request, four eyes sends it up to the UGEL's Director.
    Procedure(15, "alta_director_ie", "director_ie", UGEL_ESP, ("director_ugel", "UGEL-03"), "0584714-0"),
    Procedure(16, "baja_director_ie", "director_ie", DIRECTOR, UGEL_ESP, "0584714-0"),
    *_pair(17, "personal_ie", "personal_ie", DIRECTOR, DIRECTOR, "0584714-0"),
    *_pair(19, "dre_ugel", "especialista_actas_certificados", ("director_ugel", "UGEL-03"), ADMIN, "UGEL-03"),
]
assert len(PROCEDURES) == 20 and [p.n for p in PROCEDURES] == list(range(1, 21))

_dni = itertools.count(41000001)


def new_dni() -> str:
    return str(next(_dni))


@pytest.fixture
def cuentas(db, settings, org):
    """Real forms and the eight account diagrams deployed."""
    settings.ENGINE = {**settings.ENGINE, "FORMS_DIR": str(ROOT / "forms")}
    registry.forms = SchemaFormCatalogue()
    load_form.cache_clear() if hasattr(load_form, "cache_clear") else None
    results = engine.deploy_directory(directory=ROOT / "processes" / "accounts")
    return {r.definition.key: r.definition for r in results}


@pytest.fixture
def person(org, django_user_model):
    """person(role, unit, dni=..., email=...) → a user with a Person row holding the position."""

    def make(role: str, unit: str, *, dni: str | None = None, nivel: str = "", email: str = "",
             first: str = "Persona", last: str = "Prueba"):
        dni = dni or new_dni()
        user = django_user_model.objects.create_user(
            username=f"u{dni}", password="clave-segura-2026", first_name=first, last_name=f"{last} {dni}",
            email=email or f"u{dni}@example.pe")
        Person.objects.create(user=user, document_type="dni", document_number=dni)
        orgs.position_assign(user=user, role=Role.objects.get(code=role), unit=org[unit], by=None, nivel=nivel)
        user.dni = dni
        return user

    return make


def document(user, name: str = "oficio.pdf") -> str:
    upload = SimpleUploadedFile(name, PDF, content_type="application/pdf")
    field = {"type": "string", "format": "document", "x-file": {"accept": ["application/pdf"]}}
    return str(document_store(file=upload, field_schema=field, user=user).pk)


def _days_ago(days: int) -> str:
    """Document dates relative to today (the deadline tests travel in time)."""
    from django.utils import timezone

    return (timezone.localdate() - dt.timedelta(days=days)).isoformat()


def request_data(proc: Procedure, requester, *, subject: dict[str, str], signatory_dni: str,
                 doc=document) -> dict[str, Any]:
    """The start form a clerk would fill for `proc` about `subject` (nombres, apellidos, dni,
    correo), with every document the seed asks for; `doc(user, name)` stores a PDF."""
    data: dict[str, Any] = {"apellidos": subject["apellidos"], "nombres": subject["nombres"], "dni": subject["dni"]}
    schema = load_form(f"cuenta_{proc.key}").schema
    props = schema["properties"]
    if "rol" in props:
        data["rol"] = proc.rol
    if proc.nivel:
        data["nivel"] = proc.nivel
    if "correo" in props and proc.alta and subject.get("correo"):
        data["correo"] = subject["correo"]
    if "cargo_ie" in props:
        data["cargo_ie"] = "docente"
    if "motivo" in props:
        data["motivo"] = "Cese en el cargo por rotación de personal."
    if proc.family == "minedu":
        data["correo_solicitud"] = {"fecha": _days_ago(20), "asunto": "Solicitud de usuario SIAGIE",
                                    "archivo": doc(requester, "correo.pdf")}
        if proc.rol == "agente_central_atencion":
            data["formulario_s09"] = doc(requester, "s09.pdf")
    def oficio():
        return {"numero": "OFICIO N.º 0123-2026-UGEL03", "fecha": _days_ago(19), "firmante_dni": signatory_dni,
                "firmante_nombre": "Autoridad Firmante", "firmante_cargo": "Director", "archivo": doc(requester)}

    def rd():
        return {"numero": "RD N.º 0456-2026", "fecha": _days_ago(23), "archivo": doc(requester, "rd.pdf")}

    if proc.family == "dre_ugel":
        data["oficio"] = oficio()
        if proc.alta and proc.rol != "especialista_actas_certificados":
            data["rd"] = rd()
        if not proc.alta and proc.rol == "especialista_nivel_educativo":
            data["especialista_siagie_ugel"] = {"apellidos_nombres": "CÁCERES ESPINOZA, Luis", "dni": "70000110"}
    if proc.family == "director_ie":
        if proc.alta:
            data.update(oficio=oficio(), rd=rd(), codigo_modular=proc.unit)
        else:
            data["copia_dni"] = doc(requester, "dni.pdf")
    if proc.family == "personal_ie":
        data["solicitud"] = {"fecha": _days_ago(18), "archivo": doc(requester, "solicitud.pdf")}
    return {k: v for k, v in data.items() if k in props}


def verification(instance: ProcessInstance, *, fail: str | None = None, observation: str = "",
                 titular_visto: str = "ninguno") -> dict[str, Any]:
    """The verifier's answer: every requirement met, or `fail` (a req_* code) not met."""
    task = open_task(instance, "verificar")
    schema = load_form(task.form_key).schema
    data: dict[str, Any] = {}
    for name in schema["properties"]:
        if name.startswith("req_"):
            data[name] = {"cumple": "si"}
    if fail:
        data[fail] = {"cumple": "no", "observacion": observation}
    data["cumple_requisitos"] = "no" if fail else "si"
    data["titular_visto"] = titular_visto
    return data


def open_task(instance: ProcessInstance, element_id: str) -> HumanTask:
    return HumanTask.objects.get(instance=instance, element_id=element_id, state=HumanTaskState.OPEN)


def deliver_mail() -> None:
    """Send what the outbox holds, as the worker does after each step commits."""
    from portal.notify.delivery import notification_send
    from portal.notify.models import Notification, NotificationStatus

    for pk in Notification.objects.filter(status=NotificationStatus.PENDING).values_list("pk", flat=True):
        notification_send(notification_id=pk)
