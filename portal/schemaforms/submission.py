"""What a client sent for a form, read once on the server.

A service receives the raw submission, a JSON object (API, service code, tests) or a
`FormPost` (an HTML form's POST and files), and calls `read_submission` after it has
checked access, so nothing is stored for a user who may not act. Pages never validate
themselves; when the service refuses, they show `FormPost.values_for_display(form)`,
the typed values (with the documents already stored) or, if the service refused before
reading, the POST as typed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from portal.shared.errors import FormInvalid

from .coercion import coerce_post, whole_numbers
from .loader import FormDefinition
from .validation import validate, validate_post


@dataclass
class FormPost:
    """An HTML form's POST (QueryDict) and uploaded files, as the browser sent them.
    `prefix` is the field-name prefix the form was rendered with."""

    post: Any
    files: Any = None
    prefix: str = ""
    values: dict[str, Any] | None = field(default=None, init=False)

    def values_for_display(self, form: FormDefinition | None) -> dict[str, Any]:
        if self.values is not None:
            return self.values
        if form is None:
            return {}
        return coerce_post(form, self.post, self.files, prefix=self.prefix)


Submission = Mapping[str, Any] | FormPost


def read_submission(form: FormDefinition, raw: Submission, *, user: Any,
                    context: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The typed values of `raw` under `form`, checked against the schema and its domain
    validators (`context` reaches them with `user`). Uploads of a FormPost are stored
    first (their own error replaces the field's other messages) and the typed values
    kept on it (`values`). Raises FormInvalid with the field errors."""
    if isinstance(raw, FormPost):
        data, errors = validate_post(form, raw.post, raw.files, user=user, context=context, prefix=raw.prefix)
        raw.values = data
    else:
        data = whole_numbers(form.schema, form.schema, dict(raw)) if isinstance(raw, Mapping) else raw
        errors = validate(form, data, context={"user": user, **(context or {})})
    if errors:
        raise FormInvalid(errors)
    return data
