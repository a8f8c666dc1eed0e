"""Writes of schemaforms: documents uploaded for a form's document fields.

Uploads are checked against their field (`x-file`: types sniffed from the bytes, size)
before anything is stored. Nothing here is transactional with the form that carries
them (see attach_uploads).
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Mapping
from typing import Any

import filetype
from django.utils.translation import gettext as _

from .files import (
    SNIFF_BYTES,
    UploadRejected,
    accepted_types_label,
    clean_filename,
    document_fields,
    file_options,
    set_data_path,
    too_large_message,
)
from .models import Document
from .pdfscan import pdf_refusal


def document_store(*, file: Any, field_schema: Mapping[str, Any], user: Any) -> Document:
    """Check an uploaded file against its field and store it as a Document (the file in
    storage, then its row).

    Raises UploadRejected when the file is empty, too large, its content is not one of
    the accepted types, or it is a PDF with JavaScript or actions (pdfscan).
    """
    name = clean_filename(getattr(file, "name", "") or "")
    accept, max_bytes = file_options(field_schema)
    declared_size = getattr(file, "size", None)
    if declared_size is not None and declared_size > max_bytes:
        raise UploadRejected(too_large_message(name, declared_size, max_bytes))

    file.seek(0)
    head = file.read(SNIFF_BYTES)
    if not head:
        raise UploadRejected(_("«%(name)s» está vacío.") % {"name": name})
    kind = filetype.guess(head)
    if kind is None or kind.mime not in accept:
        raise UploadRejected(
            _("«%(name)s» no es %(types)s.") % {"name": name, "types": accepted_types_label(accept)}
        )

    digest = hashlib.sha256()
    size = 0
    for chunk in file.chunks():
        size += len(chunk)
        if size > max_bytes:
            raise UploadRejected(too_large_message(name, declared_size or size, max_bytes))
        digest.update(chunk)
    if size == 0:
        raise UploadRejected(_("«%(name)s» está vacío.") % {"name": name})
    if kind.mime == "application/pdf" and (refusal := pdf_refusal(file, name)):
        raise UploadRejected(refusal)

    document = Document(
        id=uuid.uuid4(),
        original_name=name,
        content_type=kind.mime,
        size=size,
        sha256=digest.hexdigest(),
        uploaded_by=user if getattr(user, "is_authenticated", False) else None,
    )
    file.seek(0)
    document.file.save(f"{document.id.hex}.{kind.extension}", file, save=True)
    return document


def attach_uploads(form: Any, data: dict[str, Any], files: Any, *, user: Any, prefix: str = "") -> dict[str, list[str]]:
    """Store each document field's upload from `files` and put its UUID into `data`.

    Returns upload errors keyed by field path; a rejected upload also removes the field's
    previous value, so the form asks for the file again. Meant for the HTML path, after
    `coerce_post` and before `validate`.

    Nothing here is transactional with the form: if the whole form then fails validation
    the caller discards the data, and the Documents already stored stay behind as
    orphans (unreferenced rows and files). That is accepted; they are harmless, cannot be
    attached by anyone but their uploader, and can be swept by age.
    Only single-file fields are supported (no arrays of documents).
    """
    errors: dict[str, list[str]] = {}
    if not files:
        return errors
    for path, field_schema in document_fields(form.schema, form.schema, ""):
        upload = files.get(f"{prefix}{path}")
        if upload is None:
            continue
        try:
            document = document_store(file=upload, field_schema=field_schema, user=user)
        except UploadRejected as exc:
            errors[path] = [exc.message]
            set_data_path(data, path, None)
        else:
            set_data_path(data, path, str(document.id))
    return errors
