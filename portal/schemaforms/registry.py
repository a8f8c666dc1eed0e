"""Named domain validators that schemas call with `"x-validator": "<name>"`.

Apps register theirs in `AppConfig.ready()` (portal.orgs.validators,
portal.accounts.validators); the loader refuses a form naming an unknown validator, and
the validation core calls the function once the value satisfies the rest of its schema.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

DomainValidator = Callable[[Any, Mapping[str, Any]], "str | Mapping[str, str] | None"]

_VALIDATORS: dict[str, DomainValidator] = {}


def register_validator(name: str, func: DomainValidator | None = None) -> Any:
    """Register `func(value, context) -> Spanish message | None` as validator `name`.
    A validator of an object may instead return {"field.path": message} to put each
    message on a field.

    Usable as `register_validator("x", func)` or as the decorator `@register_validator("x")`.
    Register in `AppConfig.ready()` so forms naming the validator load. A validator runs
    only on a value that already satisfies the rest of its schema (type, format...), so
    it need not re-check them; `context` is the dict the caller passed to `validate`.
    Registering a name again replaces the previous function.
    """
    if not isinstance(name, str) or not name:
        raise ValueError("a validator needs a non-empty name")

    def decorator(function: DomainValidator) -> DomainValidator:
        _VALIDATORS[name] = function
        return function

    return decorator(func) if func is not None else decorator


def unregister_validator(name: str) -> None:
    _VALIDATORS.pop(name, None)


def is_registered_validator(name: str) -> bool:
    return name in _VALIDATORS


def registered_validator(name: str) -> DomainValidator | None:
    """The function registered as `name`, or None."""
    return _VALIDATORS.get(name)
