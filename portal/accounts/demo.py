"""Demo account requests for a local run (`seed_demo`): a few alta/baja requests waiting
at their verifiers, so each inbox shows the procedures with real documents attached.

Idempotent: a request a demo officer already filed for a process is not filed again.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction

from engine.errors import EngineError
from engine.models import ProcessInstance
from pdf import render_pdf
from portal.schemaforms.files import UploadRejected
from portal.schemaforms.services import document_store
from portal.shared.errors import FormInvalid, NotAllowed, NotVisible
from portal.work import selectors as selectors_work
from portal.work import services as work

# (starter username, process key, start data without documents, documents: field path → title)
REQUESTS: list[tuple[str, str, dict[str, Any], dict[str, str]]] = [
    ("director.ugel03", "alta_dre_ugel", {
        "rol": "estadistico_ugel", "apellidos": "Ccahuana Torres", "nombres": "Diana Milagros", "dni": "70000201",
        "correo": "diana.ccahuana@example.pe",
        "oficio": {"numero": "OFICIO N.º 1234-2026-UGEL03/D", "fecha": "2026-11-16", "firmante_dni": "70000120",
                   "firmante_nombre": "Carlos Alfredo Benavides Lazo", "firmante_cargo": "Director de la UGEL 03"},
        "rd": {"numero": "RD N.º 04567-2026-UGEL03", "fecha": "2026-11-13"},
    }, {"oficio.archivo": "Oficio de la UGEL 03", "rd.archivo": "RD de designación"}),
    ("especialista.ugel03", "alta_director_ie", {
        "codigo_modular": "0327445-0", "apellidos": "Huarcaya Lindo", "nombres": "Óscar Manuel", "dni": "70000202",
        "correo": "oscar.huarcaya@example.pe",
        "oficio": {"numero": "OFICIO N.º 045-2026-IE-MC", "fecha": "2026-11-17", "firmante_dni": "70000202",
                   "firmante_nombre": "Óscar Manuel Huarcaya Lindo", "firmante_cargo": "Director (designado)"},
        "rd": {"numero": "RD N.º 05012-2026-UGEL03", "fecha": "2026-11-10"},
    }, {"oficio.archivo": "Oficio del Director", "rd.archivo": "RD de designación como Director"}),
    ("director.leguia", "alta_personal_ie", {
        "cargo_ie": "docente", "apellidos": "Paucar Rivas", "nombres": "Lizbeth", "dni": "70000203",
        "solicitud": {"fecha": "2026-11-18"},
    }, {"solicitud.archivo": "Solicitud de la docente"}),
    ("coordinador.siagie", "baja_minedu", {
        "rol": "especialista_siagie_minedu", "apellidos": "Paredes Rojas", "nombres": "Lucía Fernanda",
        "dni": "70000101", "motivo": "Término de su contrato CAS el 30/11/2026.",
        "correo_solicitud": {"fecha": "2026-11-19", "asunto": "Baja de usuario SIAGIE — L. Paredes"},
    }, {"correo_solicitud.archivo": "Correo del Coordinador"}),
]

if TYPE_CHECKING:
    from portal.core.demo import DemoRun


def _sample_pdf(title: str) -> bytes:
    return render_pdf("documento_demo.html", {"titulo": title})


def _set(data: dict[str, Any], path: str, value: str) -> None:
    *parents, last = path.split(".")
    node = data
    for part in parents:
        node = node.setdefault(part, {})
    node[last] = value


def seed_account_requests(users: dict[str, Any], report: Any) -> None:
    """File the demo account requests (REQUESTS) with their sample documents, once each."""
    deployed = selectors_work.startable_keys()
    for username, key, base, documents in REQUESTS:
        user = users.get(username)
        if user is None or key not in deployed or ProcessInstance.objects.filter(
                definition__key=key, started_by=user).exists():
            continue
        data = {k: dict(v) if isinstance(v, dict) else v for k, v in base.items()}
        try:
            with transaction.atomic():
                for path, title in documents.items():
                    upload = SimpleUploadedFile(f"{path.split('.')[0]}.pdf", _sample_pdf(title),
                                                content_type="application/pdf")
                    document = document_store(file=upload, field_schema={"format": "document"}, user=user)
                    _set(data, path, str(document.pk))
                work.process_start(user=user, key=key, data=data)
        except (FormInvalid, NotAllowed, NotVisible, EngineError, UploadRejected) as exc:
            report.skipped_requests.append(f"{key} ({username}): {exc}")
            continue
        report.instances_started.append(f"{key} ({username})")


def seed(run: DemoRun) -> None:
    """The accounts part of `seed_demo` (portal.core.demo): the demo account requests."""
    if run.start_instances:
        seed_account_requests(run.users, run.report)
