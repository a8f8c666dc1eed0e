"""Accounts for the SIAGIE alta/baja procedures: who gets a user and a position, who loses them.

Each service is one transaction and writes ActivityLog rows (position changes are logged
by portal.orgs.services). Called from a service-task handler, the transaction is a
savepoint inside the engine step's: if the step fails later, everything rolls back.

Credentials are never sent in clear: a new user is created inactive with an unusable
password and gets a one-time activation link (portal.accounts.tokens).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model, password_validation
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from portal.core import identity
from portal.core.identity import mask_document
from portal.core.services import activity_log, api_tokens_revoke_all
from portal.notify.markers import secret_marker
from portal.notify.services import notify
from portal.orgs import services as orgs
from portal.orgs.models import Nivel, OrgUnit, Person, Position, Role

from .tokens import activation_hours, activation_link, activation_tokens
from .usernames import generate_username

_CREATE_ATTEMPTS = 5  # usernames taken meanwhile by a concurrent alta


class AccountError(Exception):
    """An account change was refused; the message (Spanish) is for the user."""


class HolderConflict(AccountError):
    """The one-holder post is not as the verifier saw it: someone was appointed, replaced
    or removed meanwhile. Nothing was changed; the verifier must look again."""


UNCHECKED: Any = object()  # `expected_holder` default: take the post as it is now


@dataclass(frozen=True)
class AltaResult:
    user: Any
    position: Position
    replaced: Position | None  # the previous holder's position, now ended
    created_user: bool
    replaced_deactivated: bool = False  # the previous holder's account was deactivated
    released_tasks: int = 0  # the previous holder's claimed tasks returned to the pool
    email_not_applied: bool = False  # the request's e-mail differs from the existing account's, kept


@dataclass(frozen=True)
class BajaResult:
    position: Position
    deactivated: bool
    released_tasks: int


# --- Input --------------------------------------------------------------------------------


def _text(value: Any, message: str) -> str:
    text = " ".join(str(value or "").split())
    if not text:
        raise AccountError(message)
    return text


def _document(document_type: Any, document_number: Any) -> tuple[str, str]:
    try:
        return identity.normalize_document(document_type, document_number)
    except identity.DocumentError as exc:
        raise AccountError(str(exc)) from exc


def _email(value: Any) -> str:
    email = str(value or "").strip()
    if email:
        try:
            validate_email(email)
        except ValidationError as exc:
            raise AccountError(_("El correo «%(email)s» no es válido.") % {"email": email}) from exc
    return email


def _reason(value: Any) -> str:
    return _text(value, _("Indique el motivo (p. ej. el oficio o la resolución)."))[:500]


def _nivel(role: Role, nivel: Any) -> str:
    if not role.per_nivel:
        return ""
    nivel = str(nivel or "").strip().lower()
    if nivel not in Nivel.values:
        raise AccountError(_("Indique el nivel educativo del especialista (inicial, primaria o secundaria)."))
    return nivel


# --- Helpers ------------------------------------------------------------------------------


def describe(user: Any) -> str:
    """A person as an officer sees them: "Rosa Quispe Mamani (DNI ****1236)", DNI masked."""
    name = user.get_full_name() or user.get_username()
    person = Person.objects.filter(user_id=user.pk).first()
    if person is None:
        return name
    return f"{name} ({person.get_document_type_display()} {person.masked_document})"


def _lock_user(user_id: int) -> Any:
    return get_user_model().objects.select_for_update().get(pk=user_id)


def _occupied(role: Role, unit: OrgUnit, holder: Position) -> str:
    return _("%(unit)s ya tiene un titular activo de «%(role)s»: %(who)s. Apruebe el reemplazo "
             "o tramite primero su baja.") % {"unit": unit, "role": role.name, "who": describe(holder.user)}


def _holder_changed(role: Role, unit: OrgUnit, holder: Position | None, expected: Any) -> str:
    if holder is None:
        return _("El titular de «%(role)s» en %(unit)s que usted vio ya no lo es: el puesto quedó libre "
                 "mientras usted revisaba. Revise las verificaciones y vuelva a decidir.") % {
            "role": role.name, "unit": unit}
    seen = _("sin titular") if expected is None else _("con otro titular")
    return _("Mientras usted revisaba, el puesto de «%(role)s» en %(unit)s cambió: usted lo vio %(seen)s y "
             "ahora su titular es %(who)s. Revise las verificaciones (ya muestran al titular actual) y vuelva "
             "a decidir.") % {"role": role.name, "unit": unit, "seen": seen, "who": describe(holder.user)}


def _find_person(doc_type: str, number: str) -> Person | None:
    return Person.objects.filter(document_type=doc_type, document_number=number).first()


def _update_identity(user: Any, *, nombres: str, apellidos: str, email: str, by: Any, unit: OrgUnit) -> bool:
    """Fill the names an existing person's account lacks; never replace what it has, and
    never write its e-mail: a request that names someone must not rename them or redirect
    their mail (their activation link and every notice would follow the address someone
    else typed). Their address changes only with them, through an administrator.

    True if the request named an e-mail other than the account's: it was not applied, and
    the audit says so."""
    changes = {"first_name": nombres[:150], "last_name": apellidos[:150]}
    changed = [field for field, value in changes.items() if value and not getattr(user, field)]
    if changed:
        for field in changed:
            setattr(user, field, changes[field])
        user.save(update_fields=changed)
        activity_log(actor=by, action="account_updated", obj=user, data={"fields": changed})
    ignored = bool(email) and email.lower() != (user.email or "").lower()
    if ignored:
        activity_log(actor=by, action="account_email_not_applied", obj=user, unit=unit.code,
                     data={"username": user.username, "account_has_email": bool(user.email)})
    return ignored


def _create_user(*, nombres: str, apellidos: str, email: str, doc_type: str, number: str,
                 by: Any, unit: OrgUnit, role: Role) -> tuple[Any, Person]:
    User = get_user_model()  # noqa: N806
    for _attempt in range(_CREATE_ATTEMPTS):
        username = generate_username(nombres=nombres, apellidos=apellidos)
        try:
            with transaction.atomic():
                user = User(username=username, first_name=nombres[:150], last_name=apellidos[:150],
                            email=email, is_active=False)
                user.set_unusable_password()
                user.save()
                person = Person.objects.create(user=user, document_type=doc_type, document_number=number)
        except IntegrityError as exc:
            # Another transaction took the username or registered this person meanwhile.
            if _find_person(doc_type, number) is not None:
                raise AccountError(_("Otra alta registró a esta persona en este mismo momento; "
                                     "revise el caso antes de volver a intentarlo.")) from exc
            continue
        activity_log(actor=by, action="account_created", obj=user, unit=unit.code,
                     data={"username": user.username, "person": person.pk, "role": role.code})
        return user, person
    raise AccountError(_("No se pudo elegir un nombre de usuario libre; vuelva a intentarlo."))


# --- Services -------------------------------------------------------------------------------


@transaction.atomic
def account_alta(*, nombres: str, apellidos: str, document_type: str = "dni", document_number: str,
                 email: str, role: Role, unit: OrgUnit, nivel: str = "", by: Any, reason: str,
                 replace_holder: bool, expected_holder: Any = UNCHECKED) -> AltaResult:
    """Give the person named by their document the role in `unit`, creating their account
    (inactive until they follow the activation link) if they have none.

    A one-holder role whose unit has a holder is refused unless `replace_holder`: then the
    old holder's position ends, their claimed tasks return to the pool and, with no other
    position left, their account is deactivated, all in this transaction.

    `expected_holder` (a Position id, or None for "no holder") is the post as the verifier
    saw it; if it is not so now, or another alta wins the post while this one runs,
    HolderConflict is raised and nothing changes."""
    nombres = _text(nombres, _("Indique los nombres."))
    apellidos = _text(apellidos, _("Indique los apellidos."))
    doc_type, number = _document(document_type, document_number)
    email = _email(email)
    reason = _reason(reason)
    nivel = _nivel(role, nivel)

    person = _find_person(doc_type, number)
    if person is not None:
        user = _lock_user(person.user_id)
        created = False
        if Position.objects.filter(user=user, role=role, unit=unit, nivel=nivel, until__isnull=True).exists():
            raise AccountError(_("%(who)s ya tiene ese cargo en %(unit)s: «%(role)s».") % {
                "who": describe(user), "unit": unit, "role": role.name})
        email_ignored = _update_identity(user, nombres=nombres, apellidos=apellidos, email=email, by=by, unit=unit)
    else:
        user = None
        created = True
        email_ignored = False

    holder = orgs.current_holder(role=role, unit=unit, nivel=nivel) if role.one_holder else None
    if role.one_holder and expected_holder is not UNCHECKED:
        if (holder.pk if holder else None) != expected_holder:
            raise HolderConflict(_holder_changed(role, unit, holder, expected_holder))
        replace_holder = holder is not None
    if holder is not None and not replace_holder:
        raise AccountError(_occupied(role, unit, holder))
    if user is None:
        user, person = _create_user(nombres=nombres, apellidos=apellidos, email=email, doc_type=doc_type,
                                    number=number, by=by, unit=unit, role=role)
    try:
        if holder is None:
            position = orgs.position_assign(user=user, role=role, unit=unit, by=by, reason=reason, nivel=nivel)
        else:
            position = orgs.position_replace(unit=unit, role=role, user=user, by=by, reason=reason, nivel=nivel)
    except orgs.OrgError as exc:
        # The partial unique index refused a second holder that a concurrent alta created
        # after our check: name them, the database state is what the officer must see.
        current = orgs.current_holder(role=role, unit=unit, nivel=nivel) if role.one_holder else None
        if current is not None and current.user_id != user.pk:
            raise HolderConflict(_("Mientras se tramitaba esta alta, %(message)s") % {
                "message": _occupied(role, unit, current)}) from exc
        raise AccountError(str(exc)) from exc

    # position_replace ended the old holder's position, which released their claimed
    # tasks and closed their account if it held nothing else.
    replaced = getattr(position, "replaced", None)
    replaced_deactivated = bool(getattr(replaced, "account_deactivated", False))
    released = int(getattr(replaced, "released_tasks", 0))

    # An existing account comes back only now that it holds a position again; one that
    # was never activated stays inactive until its owner sets a password.
    if not created and not user.is_active and user.has_usable_password():
        user.is_active = True
        user.save(update_fields=["is_active"])
        activity_log(actor=by, action="account_reactivated", obj=user, unit=unit.code,
                     data={"username": user.username, "role": role.code, "reason": reason})
    return AltaResult(user=user, position=position, replaced=replaced, created_user=created,
                      replaced_deactivated=replaced_deactivated, released_tasks=released,
                      email_not_applied=email_ignored)


@transaction.atomic
def account_baja(*, document_type: str = "dni", document_number: str, role: Role, unit: OrgUnit, by: Any,
                 reason: str, nivel: str = "") -> BajaResult:
    """End the person's active position for the role in `unit`; with no other position
    left their account is deactivated (for Personal IE this is the inactivation the
    procedure asks for). Their claimed tasks they can no longer work return to the pool.
    `nivel` is needed only when they hold the role in the unit for several niveles."""
    doc_type, number = _document(document_type, document_number)
    reason = _reason(reason)
    person = _find_person(doc_type, number)
    if person is None:
        raise AccountError(_("No hay ninguna persona registrada con %(type)s %(number)s.") % {
            "type": Person.DocType(doc_type).label, "number": mask_document(number)})
    user = _lock_user(person.user_id)
    positions = Position.objects.filter(user=user, role=role, unit=unit, until__isnull=True)
    if nivel:
        positions = positions.filter(nivel=nivel)
    found = list(positions.order_by("pk")[:2])
    if not found:
        raise AccountError(_("%(who)s no tiene el cargo «%(role)s» en %(unit)s.") % {
            "who": describe(user), "role": role.name, "unit": unit})
    if len(found) > 1:
        raise AccountError(_("%(who)s tiene el cargo «%(role)s» en %(unit)s en más de un nivel educativo; "
                             "indique el nivel.") % {"who": describe(user), "role": role.name, "unit": unit})
    try:
        position = orgs.position_end(position=found[0], by=by, reason=reason)
    except orgs.OrgError as exc:
        raise AccountError(str(exc)) from exc
    # position_end sets both on the position it returns (results, not fields).
    return BajaResult(position=position, deactivated=position.account_deactivated,  # type: ignore[attr-defined]
                      released_tasks=position.released_tasks)  # type: ignore[attr-defined]


@transaction.atomic
def account_activate(*, user: Any, token: str, password: str) -> Any:
    """Set the password chosen through an activation link and open the account. The token
    is checked again on the locked row, so a link works once even if sent twice at once."""
    user = _lock_user(user.pk)
    if not activation_tokens.check_token(user, token):
        raise AccountError(_("El enlace de activación ya no es válido."))
    held = Position.objects.filter(user=user)
    if held.exists() and not held.filter(until__isnull=True).exists():
        # A baja closed the account after the link was made: it does not reopen it.
        raise AccountError(_("Esta cuenta ya no tiene cargos vigentes: el enlace no la activa."))
    try:
        password_validation.validate_password(password, user)
    except ValidationError as exc:
        raise AccountError(" ".join(exc.messages)) from exc
    user.set_password(password)
    user.is_active = True
    user.save(update_fields=["password", "is_active"])
    api_tokens_revoke_all(user=user, by=user, reason="contrasena")  # a new password: old tokens die
    activity_log(actor=user, action="account_activated", obj=user, data={"username": user.username})
    return user


ACTIVATION_SECRET = "activacion"  # noqa: S105 - the name of a notify secret, not a password


def account_activation_send(*, user: Any, by: Any, instance: Any = None) -> str:
    """E-mail `user` a one-time link to set their password (credentials never travel in
    clear). The link is generated when the e-mail leaves (a notify secret), so neither
    the outbox nor the case data ever holds it, and a retried or re-sent e-mail carries
    a fresh link. Returns "no_requerida" (the account already has a password),
    "sin_correo" (no address: ask the person for one) or "enviada"."""
    if user.has_usable_password():
        return "no_requerida"
    if not user.email:
        return "sin_correo"
    position = Position.objects.select_related("role", "unit").filter(user=user, until__isnull=True).first()
    notify(template="activacion_cuenta", user=user, instance=instance, context={
        "nombre": user.get_full_name() or user.get_username(), "usuario": user.get_username(),
        "rol": position.role.name if position else "", "unidad": position.unit.name if position else "",
        "enlace": secret_marker(ACTIVATION_SECRET), "horas": activation_hours(),
    })
    activity_log(actor=by, action="activation_sent", obj=user, data={"username": user.get_username()})
    return "enviada"


def activation_secret(notification: Any) -> str:
    """The notify secret provider: a fresh link for the notification's user."""
    base = str(getattr(settings, "PORTAL_URL", "") or "").rstrip("/")
    return activation_link(user=notification.user, base_url=base)
