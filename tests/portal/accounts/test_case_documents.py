"""A case's documents are the ones its forms attached through a document field: a UUID
typed anywhere else (observaciones) opens nothing. With the real account forms."""

from __future__ import annotations

import pytest

from portal.work import selectors
from portal.work import services as work
from portal.work.models import CaseDocument

from .conftest import PROCEDURES, new_dni, open_task, request_data, verification

pytestmark = pytest.mark.django_db

ALTA_UGEL = next(p for p in PROCEDURES if p.key == "alta_dre_ugel" and p.rol == "estadistico_ugel")


def _subject(name: str) -> dict[str, str]:
    dni = new_dni()
    return {"nombres": name, "apellidos": "Quispe Mamani", "dni": dni, "correo": f"q{dni}@example.pe"}


def _file(response) -> bytes:
    return b"".join(response.streaming_content)


def test_a_document_uuid_in_observaciones_of_ones_own_case_does_not_open_another_ugels_document(
        cuentas, person, client):
    """UGEL 04's director types UGEL 03's rd.pdf id into observaciones of his own request:
    his case neither lists nor downloads it (404, as for any document not the case's); his
    own attachments are listed and download."""
    victim = person("director_ugel", "UGEL-03")
    theirs = request_data(ALTA_UGEL, victim, subject=_subject("Rosa"), signatory_dni=victim.dni)
    work.process_start(user=victim, key=ALTA_UGEL.key, data=theirs)
    stolen = theirs["rd"]["archivo"]
    attacker = person("director_ugel", "UGEL-04")
    data = request_data(ALTA_UGEL, attacker, subject=_subject("Eva"), signatory_dni=attacker.dni)
    data["observaciones"] = stolen
    mine = work.process_start(user=attacker, key=ALTA_UGEL.key, data=data)
    client.force_login(attacker)

    assert client.get(f"/expedientes/{mine.pk}/documentos/{stolen}/").status_code == 404
    page = client.get(f"/expedientes/{mine.pk}/").content.decode()
    assert f"/documentos/{stolen}/" not in page
    assert str(stolen) not in {str(d.pk) for d in selectors.case_documents(mine)}
    for own in (data["oficio"]["archivo"], data["rd"]["archivo"]):
        assert f'href="/expedientes/{mine.pk}/documentos/{own}/"' in page
        response = client.get(f"/expedientes/{mine.pk}/documentos/{own}/")
        assert response.status_code == 200 and _file(response).startswith(b"%PDF")
    links = CaseDocument.objects.filter(instance=mine)
    assert sorted(links.values_list("field", flat=True)) == ["oficio.archivo", "rd.archivo"]
    assert set(links.values_list("form_key", "element_id")) == {(f"cuenta_{ALTA_UGEL.key}", "")}


def test_a_corrected_request_links_the_documents_it_carries_from_the_rejected_one(cuentas, person, client):
    """The correction copies the rejected case's documents into the new start form: they
    belong to the corrected case too, listed and downloadable there."""
    requester = person("director_ugel", "UGEL-03")
    data = request_data(ALTA_UGEL, requester, subject=_subject("Rosa"), signatory_dni=requester.dni)
    rejected = work.process_start(user=requester, key=ALTA_UGEL.key, data=data)
    admin = person("administrador_siagie", "MINEDU-UE")
    work.task_complete(user=admin, task_pk=open_task(rejected, "verificar").pk, data=verification(
        rejected, fail="req_oficio", observation="El oficio no tiene sello de la UGEL."))
    client.force_login(requester)
    form = client.get(f"/iniciar/{ALTA_UGEL.key}/?corrige={rejected.pk}").content.decode()
    carried = (data["oficio"]["archivo"], data["rd"]["archivo"])
    assert all(pk in form for pk in carried)

    corrected = work.process_start(user=requester, key=ALTA_UGEL.key, data={**data, "corrige_a": rejected.pk})

    page = client.get(f"/expedientes/{corrected.pk}/").content.decode()
    for pk in carried:
        assert f'href="/expedientes/{corrected.pk}/documentos/{pk}/"' in page
        assert client.get(f"/expedientes/{corrected.pk}/documentos/{pk}/").status_code == 200
        assert client.get(f"/expedientes/{rejected.pk}/documentos/{pk}/").status_code == 200
