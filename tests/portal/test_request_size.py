"""A request body over MAX_REQUEST_BYTES is refused from its Content-Length, unread:
JSON 413 on the API, a Spanish page elsewhere."""

from __future__ import annotations

import io
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import RequestFactory

from portal.shared.middleware import RequestSizeLimitMiddleware

pytestmark = pytest.mark.django_db

MB = 1024 * 1024
MESSAGE = "El envío pesa más de 45 MB, el máximo que acepta el portal."


class Unreadable(io.RawIOBase):
    """A body that fails the test if anything reads it."""

    def read(self, *args):
        raise AssertionError("the body was read")

    readline = readinto = read


def test_an_oversized_body_is_refused_before_anything_reads_it():
    """150 MB declared: 413 at once, the body stream never touched, the view never called."""
    request = RequestFactory().generic("POST", "/api/v1/documents/", content_type="multipart/form-data; boundary=x")
    request.META["CONTENT_LENGTH"] = str(150 * MB)
    request.META["wsgi.input"] = request._stream = Unreadable()

    def view(request):
        raise AssertionError("the view ran")

    response = RequestSizeLimitMiddleware(view)(request)

    assert response.status_code == 413
    advice = " Adjunte archivos más livianos (por ejemplo, escanee en blanco y negro o a menor resolución)."
    assert json.loads(response.content) == {"detail": MESSAGE + advice}
    assert response["Connection"] == "close"


def test_the_api_answers_413_in_json_for_a_150_mb_upload(client, django_user_model):
    """Through the whole stack (auth, CSRF, DRF): 413 JSON in Spanish, nothing parsed."""
    client.force_login(django_user_model.objects.create_user(username="integrador", password="x" * 12))

    response = client.post("/api/v1/documents/", {"form": "f", "field": "oficio",
                                                  "file": SimpleUploadedFile("rd.pdf", b"%PDF-1.4\n")},
                           CONTENT_LENGTH=str(150 * MB))

    assert response.status_code == 413
    assert response.json()["detail"].startswith(MESSAGE)


def test_a_page_post_over_the_limit_gets_a_spanish_page(client, django_user_model):
    """A form POST over the limit gets a 413 page that says what to do."""
    client.force_login(django_user_model.objects.create_user(username="docente", password="x" * 12))

    response = client.post("/iniciar/tramite_prueba/", {"nombres": "Rosa"}, CONTENT_LENGTH=str(150 * MB))

    assert response.status_code == 413
    page = response.content.decode()
    assert "El envío es demasiado grande" in page
    assert MESSAGE in page
    assert "No se guardó nada." in page


def test_the_limit_comes_from_settings_and_a_body_under_it_goes_through(client, settings, django_user_model):
    """MAX_REQUEST_BYTES is the limit: a real 300 KB upload is refused at 200 KB and
    reaches the view (here a 400 for an unknown form) at 1 MB."""
    client.force_login(django_user_model.objects.create_user(username="integrador", password="x" * 12))
    upload = SimpleUploadedFile("rd.pdf", b"%PDF-1.4\n" + b"0" * 300_000)
    body = {"form": "no_existe", "field": "oficio", "file": upload}

    settings.MAX_REQUEST_BYTES = 200_000
    refused = client.post("/api/v1/documents/", body)
    body["file"].seek(0)
    settings.MAX_REQUEST_BYTES = MB
    accepted = client.post("/api/v1/documents/", body)

    assert refused.status_code == 413
    assert refused.json()["detail"].startswith("El envío pesa más de 0,2 MB")
    assert accepted.status_code != 413


def test_the_portal_has_no_asgi_entry_point_that_would_bypass_the_limit(settings):
    """The limit trusts Content-Length, which holds only under WSGI: an ASGI entry point
    would read a chunked body of any size. README, "Request size limit", says so."""
    from pathlib import Path

    import portal

    assert not (Path(portal.__file__).parent / "asgi.py").exists()
    assert not getattr(settings, "ASGI_APPLICATION", None)
    assert settings.WSGI_APPLICATION == "portal.wsgi.application"
