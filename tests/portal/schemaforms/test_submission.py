"""read_submission: what a service calls to read a client's answer once (issue 10)."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import QueryDict
from django.utils.datastructures import MultiValueDict

from portal.schemaforms.loader import load_form
from portal.schemaforms.models import Document
from portal.schemaforms.submission import FormPost, read_submission
from portal.shared.errors import FormInvalid

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\nstartxref\n0\n%%EOF\n"


def test_a_json_answer_is_checked_and_returned_as_sent(media, user, valid_solicitud):
    """JSON values are validated, not coerced: a valid object comes back as sent, an
    invalid one is refused with the field's message."""
    form = load_form("solicitud")

    assert read_submission(form, valid_solicitud, user=user) == valid_solicitud
    with pytest.raises(FormInvalid) as refused:
        read_submission(form, {**valid_solicitud, "dni": "123"}, user=user)
    assert list(refused.value.errors) == ["dni"]


def test_an_html_post_is_coerced_its_upload_stored_and_its_values_kept(media, user):
    """A FormPost is read once: the upload becomes a Document owned by the user, its id
    goes into the values, and the values stay on the FormPost for the page."""
    answer = FormPost(QueryDict(), MultiValueDict({"oficio": [SimpleUploadedFile("o.pdf", PDF)]}))

    values = read_submission(load_form("adjuntos"), answer, user=user)

    document = Document.objects.get()
    assert values == {"oficio": str(document.pk)} and document.uploaded_by == user
    assert answer.values_for_display(load_form("adjuntos")) is answer.values == values


def test_a_refused_html_post_keeps_the_stored_upload_for_the_next_try(media, user):
    """When another field fails, the upload is still stored and shown again, so the
    user does not choose the file twice."""
    form = load_form("adjuntos")
    wrong = SimpleUploadedFile("foto.pdf", PDF)  # foto accepts PNG or JPEG only
    answer = FormPost(QueryDict(), MultiValueDict({"oficio": [SimpleUploadedFile("o.pdf", PDF)], "foto": [wrong]}))

    with pytest.raises(FormInvalid) as refused:
        read_submission(form, answer, user=user)

    assert list(refused.value.errors) == ["foto"]
    assert answer.values_for_display(form)["oficio"] == str(Document.objects.get().pk)


def test_a_post_the_service_never_read_is_shown_as_typed_and_stores_nothing(media, user):
    """If the service refuses before reading (a conflict), the page shows the POST as
    typed and no upload is stored for a task the user may not complete."""
    post = QueryDict("", mutable=True)
    post["nombre"] = "  Rosa Quispe  "
    answer = FormPost(post, MultiValueDict({"oficio": [SimpleUploadedFile("o.pdf", PDF)]}))

    shown = answer.values_for_display(load_form("solicitud"))

    assert shown["nombre"] == "Rosa Quispe"
    assert not Document.objects.exists()
