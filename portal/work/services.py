"""Work on tasks and instances on behalf of a portal user.

The pages and the API call these, so both apply the same access rules, the same form
validation and leave the same audit trail (the engine's). A service takes the raw
submission (a JSON object or a schemaforms FormPost), checks access first, reads and
validates it once, then acts. Errors:
- NotVisible (404), NotAllowed (403) from portal.shared.errors,
- FormInvalid (400, field errors in Spanish, with the typed values),
- engine ConflictError (409: the task was taken or completed meanwhile),
- ReplayMismatch (422: a start token sent again with different data).
"""

from __future__ import annotations

import hashlib
import json
import logging
import uuid
from collections.abc import Callable, Mapping
from typing import Any, NoReturn

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from engine import services as engine
from engine.errors import ConflictError, EngineError, StepFailed
from engine.models import AuditAction, AuditEvent, HumanTask, Incident, ProcessInstance
from portal.core.services import activity_log
from portal.orgs.access import require_admin, scope_for
from portal.orgs.models import OrgUnit, Position, UnitKind
from portal.schemaforms.files import UploadRejected, document_values
from portal.schemaforms.loader import FormError, field_schema_at, load_form
from portal.schemaforms.models import Document
from portal.schemaforms.services import document_store
from portal.schemaforms.submission import FormPost, Submission, read_submission
from portal.shared.errors import FormInvalid, NotAllowed, NotVisible, ReplayMismatch

from . import access
from .models import CaseCorrection, CaseDocument, StartSubmission

logger = logging.getLogger(__name__)


class FormUnavailable(EngineError):
    """The task's form file is missing or broken: nothing can be validated, nothing is saved."""


def _validated(form_key: str, raw: Submission, *, user: Any, position: Position | None = None) -> dict[str, Any]:
    """The submission read and checked on the server, once. Domain validators get the
    user and, for a start form, the Position the request is filed from
    (`context["position"]`)."""
    if not form_key:
        return {}
    try:
        form = load_form(form_key)
    except FormError as exc:
        logger.error("form %s cannot be loaded: %s", form_key, exc)
        raise FormUnavailable(
            _("El formulario de este paso no está disponible (%(key)s); avise a la mesa de ayuda. "
              "No se guardó nada.") % {"key": form_key}) from exc
    context: dict[str, Any] = {"position": position} if position is not None else {}
    return read_submission(form, raw, user=user, context=context)


def task_claim(*, user: Any, task_pk: Any) -> HumanTask:
    task = access.task_for_work(scope_for(user), task_pk)
    return engine.claim(task_id=task.pk, user=user)


def task_unclaim(*, user: Any, task_pk: Any) -> HumanTask:
    task = access.task_for_work(scope_for(user), task_pk)
    return engine.unclaim(task_id=task.pk, user=user)


def task_complete(*, user: Any, task_pk: Any, data: Submission,
                  expected_version: int | None = None) -> ProcessInstance:
    """Read the answer (JSON object or FormPost) once on the server, then complete the
    task in one engine step. Nothing is read or stored when the task is not the user's
    to complete now; nothing is saved when the answer is invalid."""
    scope = scope_for(user)
    task = access.task_for_work(scope, task_pk)
    refusal = access.work_refusal(scope, task)
    if refusal:
        raise ConflictError(refusal)
    clean = _validated(task.form_key, data, user=user)
    return _step_with_documents(
        lambda: engine.complete(task_id=task.pk, user=user, data=clean, expected_version=expected_version),
        link=lambda instance: case_documents_link(instance=instance, form_key=task.form_key, data=clean,
                                                  element_id=task.element_id))


def org_context(unit: OrgUnit) -> dict[str, str]:
    """Unit codes a diagram may route by (`unitFrom`): the requesting unit and its
    UGEL and DRE when it has them."""
    context = {"unidad_origen": unit.code}
    ancestors = OrgUnit.objects.filter(code__in=unit.ancestor_codes()).values_list("kind", "code")
    for kind, code in ancestors:
        if kind == UnitKind.UGEL:
            context["ugel"] = code
        elif kind == UnitKind.DRE:
            context["dre"] = code
    return context


class AlreadyStarted(EngineError):
    """The same start form was submitted before; `instance_id` is the case it created."""

    def __init__(self, instance_id: int | None):
        self.instance_id = instance_id
        super().__init__(_("Esta solicitud ya se había enviado; no se creó otro expediente."))


SUBMISSION_FIELD = "_envio"  # the start page's token field: a resent form does not start a second case
# Fields of a page POST that differ between two sends of the same request.
_UNHASHED_FIELDS = frozenset({"csrfmiddlewaretoken", SUBMISSION_FIELD})


def process_start(*, user: Any, key: str, data: Submission, position_pk: Any = None,
                  submission: Any = None) -> ProcessInstance:
    """Start the latest version of process `key` from one of the user's positions.

    `submission` is the token the start form was rendered with (the page's `_envio`, the
    API's Idempotency-Key): the same token twice raises AlreadyStarted with the first
    case instead of starting a second one, or ReplayMismatch when the second request
    carries different data. The token row and the case commit in one transaction, so a
    crash in between leaves neither and the same request can simply be sent again."""
    token = _submission_token(submission)
    if token is None:
        return _process_start(user=user, key=key, data=data, position_pk=position_pk)
    digest = _request_digest(data, position_pk)
    failed: Exception | None = None
    with transaction.atomic():
        try:
            with transaction.atomic():
                # A concurrent send of the same token waits here on the unique index until
                # the first commits (PostgreSQL), then finds its row.
                row = StartSubmission.objects.create(token=token, user=user, process_key=key,
                                                     body_sha256=digest)
        except IntegrityError:
            first = StartSubmission.objects.filter(token=token, user=user, process_key=key).first()
            if first is not None and first.body_sha256 and first.body_sha256 != digest:
                raise ReplayMismatch(_(
                    "Esta solicitud ya se había enviado con otros datos; no se creó otro expediente "
                    "ni se cambió el primero. Para una solicitud distinta use una clave nueva.")) from None
            raise AlreadyStarted(first.instance_id if first else None) from None
        try:
            instance = _process_start(user=user, key=key, data=data, position_pk=position_pk)
        except StepFailed as exc:
            # The case was filed and kept with an incident: the token names it, and both commit.
            instance_id = (Incident.objects.filter(pk=exc.incident_id).values_list("instance_id", flat=True)
                           .first() if exc.incident_id is not None else None)
            StartSubmission.objects.filter(pk=row.pk).update(instance_id=instance_id)
            failed = exc
        except Exception as exc:  # noqa: BLE001 - re-raised below, once the transaction has committed
            # Nothing started, so the form may be sent again; the uploads a refused form
            # stored are kept (commit), so the page can show them again.
            StartSubmission.objects.filter(pk=row.pk).delete()
            failed = exc
        else:
            StartSubmission.objects.filter(pk=row.pk).update(instance=instance)
    if failed is not None:
        raise failed
    return instance


def _request_digest(data: Submission, position_pk: Any) -> str:
    """SHA-256 of the request in a canonical form: the same request sent twice has the
    same digest whatever the order of its keys; a page POST counts its fields (not the
    CSRF token or the submission token) and the contents of its uploads."""
    if isinstance(data, FormPost):
        fields = {k: data.post.getlist(k) for k in data.post if k not in _UNHASHED_FIELDS}
        files: dict[str, list[str]] = {}
        for name in (data.files or {}):
            for upload in data.files.getlist(name):
                content = hashlib.sha256()
                for chunk in upload.chunks():
                    content.update(chunk)
                upload.seek(0)
                files.setdefault(name, []).append(f"{upload.name}:{upload.size}:{content.hexdigest()}")
        canonical: Any = {"form": fields, "files": files, "position": str(position_pk or "")}
    else:
        canonical = {"data": data, "position": str(position_pk or "")}
    text = json.dumps(canonical, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def _submission_token(value: Any) -> uuid.UUID | None:
    if value in (None, ""):
        return None
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise FormInvalid({"__all__": [_("El formulario está dañado; recargue la página.")]}) from None


def _process_start(*, user: Any, key: str, data: Submission, position_pk: Any = None) -> ProcessInstance:
    definition, positions = access.definition_for_start(scope_for(user), key)
    position, refusal = _start_position(positions, position_pk)
    if position is None:
        _refuse_position(definition.start_form_key, data, user=user, message=refusal)
    clean = _validated(definition.start_form_key, data, user=user, position=position)
    payload = {**clean, **org_context(position.unit), "solicitante_rol": position.role_id}

    def link(instance: ProcessInstance) -> None:
        case_documents_link(instance=instance, form_key=definition.start_form_key, data=clean)
        case_correction_link(instance=instance, corrects=clean.get("corrige_a"))

    # A failed start still keeps the case in its initial state, with the request as filed
    # (retry continues from it): its documents are the case's from the start.
    return _step_with_documents(
        lambda: engine.start(definition=definition, data=payload, org_unit=position.unit.code, started_by=user),
        link=link, link_failed_case=True)


def _start_position(positions: list[Position], position_pk: Any) -> tuple[Position | None, str]:
    """The position a request is filed from, or None with the Spanish reason."""
    if position_pk not in (None, ""):
        chosen = [p for p in positions if str(p.pk) == str(position_pk)]
        if not chosen:
            return None, _("Elija uno de sus cargos para iniciar el trámite.")
        return chosen[0], ""
    if len(positions) == 1:
        return positions[0], ""
    return None, _("Usted tiene varios cargos: elija desde cuál inicia el trámite.")


def _refuse_position(form_key: str, raw: Submission, *, user: Any, message: str) -> NoReturn:
    """Refuse a start whose position is missing. An HTML form is still read, so its
    uploads are kept and its field errors shown together with the position's; checks
    that need the position (domain validators) wait for the next try."""
    errors: dict[str, list[str]] = {}
    if isinstance(raw, FormPost):
        try:
            _validated(form_key, raw, user=user)
        except FormInvalid as exc:
            errors = dict(exc.errors)
    raise FormInvalid({**errors, "__all__": [message]})


def _admin_instance(user: Any, instance_pk: Any) -> ProcessInstance:
    scope = scope_for(user)
    require_admin(scope)
    return access.instance_for_view(scope, instance_pk)


def instance_retry(*, user: Any, instance_pk: Any, reason: str) -> ProcessInstance:
    """Replay the failed step. A replayed completion stores the answer only now, so its
    documents are linked now, in the replay's transaction, from the audit trail."""
    _require_reason(reason)
    instance_id = _admin_instance(user, instance_pk).pk
    return _step_with_documents(lambda: engine.retry(instance_id=instance_id, by=user, reason=reason.strip()),
                                link=lambda instance: case_documents_link_trail(instance=instance))


def instance_suspend(*, user: Any, instance_pk: Any, reason: str) -> ProcessInstance:
    _require_reason(reason)
    return engine.suspend(instance_id=_admin_instance(user, instance_pk).pk, by=user, reason=reason.strip())


def instance_resume(*, user: Any, instance_pk: Any, reason: str) -> ProcessInstance:
    _require_reason(reason)
    return engine.resume(instance_id=_admin_instance(user, instance_pk).pk, by=user, reason=reason.strip())


def instance_cancel(*, user: Any, instance_pk: Any, reason: str) -> ProcessInstance:
    _require_reason(reason)
    return engine.cancel(instance_id=_admin_instance(user, instance_pk).pk, by=user, reason=reason.strip())


def _step_with_documents(step: Callable[[], ProcessInstance], *, link: Callable[[ProcessInstance], object],
                         link_failed_case: bool = False) -> ProcessInstance:
    """Run the engine `step` and `link` its case's documents in ONE transaction: the link
    rows commit with the step's answer or not at all.

    When the step fails the engine has rolled it back and recorded an incident (in its
    own savepoint here); that incident must still commit, so StepFailed is raised only
    after this transaction ends. `link_failed_case`: the failed step still left a case
    holding the answer (a start), so link to it."""
    failure: StepFailed | None = None
    with transaction.atomic():
        try:
            instance = step()
        except StepFailed as exc:
            failure = exc
            if link_failed_case and exc.incident_id is not None:
                failed = Incident.objects.filter(pk=exc.incident_id).select_related("instance").first()
                if failed is not None:
                    link(failed.instance)
        else:
            link(instance)
    if failure is not None:
        raise failure
    return instance


def case_correction_link(*, instance: ProcessInstance, corrects: Any) -> None:
    """Record that the new case `instance` corrects the rejected case `corrects` (its
    start form's `corrige_a`, already checked by the form's validator). Call inside the
    start's transaction: when another correction of that case got there first (two sent
    at once), FormInvalid names it and the whole start rolls back."""
    if isinstance(corrects, bool) or not isinstance(corrects, int):
        return
    try:
        with transaction.atomic():
            CaseCorrection.objects.create(corrected_id=corrects, correction=instance)
    except IntegrityError:
        existing = CaseCorrection.objects.filter(corrected_id=corrects).values_list("correction_id", flat=True).first()
        raise FormInvalid({"corrige_a": [
            _("La solicitud N.º %(n)s ya se corrigió con la N.º %(m)s; no se creó otro expediente. Si esa "
              "también fue rechazada, corrija esa.") % {"n": corrects, "m": existing}
            if existing else _("La solicitud N.º %(n)s ya se está corrigiendo; no se creó otro expediente.")
            % {"n": corrects}]}) from None


def case_documents_link(*, instance: ProcessInstance, form_key: str, data: Mapping[str, Any],
                        element_id: str = "") -> int:
    """Link to `instance` the documents that the document fields of form `form_key` hold
    in `data`, an answer the form accepted (validated: only the user's own documents).
    A UUID in any other field links nothing. Call inside the step's transaction.
    Returns how many documents the answer attaches."""
    if not form_key:
        return 0
    try:
        form = load_form(form_key)
    except FormError:
        logger.exception("form %s could not be loaded to link the documents of case %s", form_key, instance.pk)
        return 0
    found = document_values(form.schema, data)
    stored = set(Document.objects.filter(pk__in=[pk for _path, pk in found]).values_list("pk", flat=True))
    rows = [CaseDocument(instance=instance, document_id=pk, form_key=form_key, field=path, element_id=element_id)
            for path, pk in found if pk in stored]
    CaseDocument.objects.bulk_create(rows, ignore_conflicts=True)  # already linked by an earlier step
    return len(rows)


def case_documents_link_trail(*, instance: ProcessInstance) -> None:
    """Link the documents of every answer in the case's audit trail (the start form and
    each completed task's form). Idempotent; used after a replayed step."""
    events = AuditEvent.objects.filter(instance=instance, action__in=[AuditAction.START, AuditAction.COMPLETE])
    forms = dict(HumanTask.objects.filter(instance=instance).values_list("task_id", "form_key"))
    for event in events.only("action", "task_id", "element_id", "data"):
        data = (event.data or {}).get("data")
        if not isinstance(data, dict):
            continue
        if event.action == AuditAction.START:
            case_documents_link(instance=instance, form_key=instance.definition.start_form_key, data=data)
        elif event.task_id in forms:
            case_documents_link(instance=instance, form_key=forms[event.task_id], data=data,
                                element_id=event.element_id)


def _require_reason(reason: str) -> None:
    if not (reason or "").strip():
        raise FormInvalid({"reason": [_("Indique el motivo.")]})
    if len(reason) > 1000:
        raise FormInvalid({"reason": [_("Máximo 1000 caracteres.")]})


def case_read_log(*, user: Any, instance: ProcessInstance, via: str) -> None:
    """Ley 29733: who read a case file with personal data, when, and through what."""
    activity_log(actor=user, action="case_viewed", obj=instance, unit=instance.org_unit, data={"via": via})


def case_document_read_log(*, user: Any, instance: ProcessInstance, document: Document) -> None:
    """Ley 29733: who downloaded which document of a case file."""
    activity_log(actor=user, action="document_downloaded", obj=document, unit=instance.org_unit,
                 data={"instance": instance.pk})


def document_upload(*, user: Any, form_key: str, field: str, file: Any) -> Document:
    """Store a file for a document field of a form the user may fill in now (a start
    form of a process they may start, or the form of a task they may work); the
    returned Document's id goes into that form's data. The field's `x-file` options
    decide the accepted types and size (sniffed from the bytes); only the uploader may
    attach it later. Logged (Ley 29733: who brought which personal document)."""
    access.require_upload_form(scope_for(user), form_key)
    try:
        form = load_form(form_key)
    except FormError:
        logger.exception("form %s could not be loaded for an upload", form_key)
        form = None
    schema = field_schema_at(form, field) if form is not None else {}
    if schema.get("format") != "document":
        raise FormInvalid({"field": [_("Ese formulario no tiene un campo de documento con ese nombre.")]})
    try:
        document = document_store(file=file, field_schema=schema, user=user)
    except UploadRejected as exc:
        raise FormInvalid({"file": [exc.message]}) from exc
    activity_log(actor=user, action="document_uploaded", obj=document,
                 data={"form": form_key, "field": field, "size": document.size})
    return document


__all__ = [
    "AlreadyStarted", "ConflictError", "EngineError", "FormInvalid", "FormUnavailable", "NotAllowed", "NotVisible",
    "ReplayMismatch", "SUBMISSION_FIELD",
    "case_document_read_log", "case_documents_link", "case_documents_link_trail", "case_read_log",
    "document_upload",
    "instance_cancel", "instance_resume", "instance_retry", "instance_suspend",
    "org_context", "process_start", "task_claim", "task_complete", "task_unclaim",
]
