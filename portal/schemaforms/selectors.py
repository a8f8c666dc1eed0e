"""Reads of schemaforms: documents by id, limited to their uploader when a user is given."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from django.db.models import QuerySet

from .models import Document


def documents_of(ids: Iterable[uuid.UUID], *, user: Any = None) -> QuerySet[Document]:
    """The documents with these ids; only `user`'s own when a user is given (an anonymous
    user owns none). One answer for "does not exist" and "not yours"."""
    documents = Document.objects.filter(pk__in=set(ids))
    if user is not None:
        if not getattr(user, "is_authenticated", False):
            return documents.none()
        documents = documents.filter(uploaded_by=user)
    return documents


def document_name(pk: uuid.UUID) -> str | None:
    """The original file name of a document, or None if there is no such document."""
    return Document.objects.filter(pk=pk).values_list("original_name", flat=True).first()
