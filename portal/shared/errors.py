"""The errors every portal service may raise, whatever the app.

Pages map them through `portal.shared.http.officer_view`, the API through
`portal.api.exceptions.exception_handler`, so both answer alike:
- NotVisible → 404, the same answer as "does not exist" (a UGEL officer cannot learn
  which records another UGEL has);
- NotAllowed → 403 with the Spanish reason;
- FormInvalid → 400 with Spanish messages per field;
- ReplayMismatch → 422 with the Spanish reason.
"""

from __future__ import annotations

from django.utils.translation import gettext as _


class NotVisible(Exception):
    """The record does not exist or is not the user's to see (answered as 404)."""


class NotAllowed(Exception):
    """The user sees the record but may not do this with it (answered as 403)."""


class FormInvalid(Exception):
    """Field errors in Spanish, `{"field" or "__all__": ["message", ...]}`. A page shows
    the form again with what was typed: `schemaforms.submission.FormPost.values_for_display`."""

    def __init__(self, errors: dict[str, list[str]]):
        self.errors = errors
        super().__init__(_("Revise los campos marcados."))


class ReplayMismatch(Exception):
    """A request sent again under the token (Idempotency-Key) of an earlier one, with
    different data: refused (answered as 422) instead of silently dropping the new data."""
