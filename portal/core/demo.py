"""`manage.py seed_demo`: each app seeds its own demo data, in one transaction.

An app takes part by having a `demo.py` with `seed(run: DemoRun)`; they are called in
INSTALLED_APPS order, which is the dependency order (docs/architecture.md): orgs first (the org tree and one
officer per role, which it puts in `run.users` for the others), then work (one instance
of each other deployed process), then accounts (account requests with their documents).
Core imports none of them. Each part is idempotent, so a second run writes nothing.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from importlib import import_module
from importlib.util import find_spec
from typing import Any

from django.apps import apps
from django.db import transaction

from portal.core.management.commands.seed_admin import DEFAULT_PASSWORD

# The published demo password (README) is seed_admin's; override it with DEMO_PASSWORD.
PASSWORD_ENV = "DEMO_PASSWORD"  # noqa: S105 - the variable's name, not a password


@dataclass
class SeedReport:
    """What a run wrote; each app's `seed()` records its part."""

    units_created: int = 0
    units_updated: int = 0
    users_created: int = 0
    users_updated: int = 0
    positions_created: int = 0
    instances_started: list[str] = field(default_factory=list)
    skipped_requests: list[str] = field(default_factory=list)  # demo account requests refused, with why
    logins: list[tuple[str, str, str]] = field(default_factory=list)  # (username, role name, unit)

    @property
    def changed(self) -> bool:
        return bool(self.units_created or self.units_updated or self.users_created or self.users_updated
                    or self.positions_created or self.instances_started)


def demo_password() -> tuple[str, str]:
    """The demo password and where it came from (for the printed summary)."""
    value = os.environ.get(PASSWORD_ENV)
    if value:
        return value, f"environment variable {PASSWORD_ENV}"
    return DEFAULT_PASSWORD, f"the default: {PASSWORD_ENV} is not set"


@dataclass
class DemoRun:
    """What the apps' `seed(run)` share: the officers' password, whether to start cases,
    the report they fill, and the demo officers by username (filled by orgs)."""

    password: str
    start_instances: bool = True
    report: SeedReport = field(default_factory=SeedReport)
    users: dict[str, Any] = field(default_factory=dict)


def demo_modules() -> list[Any]:
    """The `demo` modules of the installed portal apps, in INSTALLED_APPS order."""
    found = []
    for config in apps.get_app_configs():
        name = f"{config.name}.demo"
        if config.name.startswith("portal.") and name != __name__ and find_spec(name) is not None:
            module = import_module(name)
            if callable(getattr(module, "seed", None)):
                found.append(module)
    return found


@transaction.atomic
def demo_seed(*, password: str, start_instances: bool = True) -> SeedReport:
    """Create or restore the demo org tree, officers and (optionally) a few instances.
    Rows that already match are not touched."""
    run = DemoRun(password=password, start_instances=start_instances)
    for module in demo_modules():
        module.seed(run)
    return run.report
