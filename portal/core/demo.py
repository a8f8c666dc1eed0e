"""`manage.py seed_demo`: each app seeds its own demo data (its `demo.py`), called here
in dependency order inside one transaction.

orgs first (the org tree and one officer per role, whom the others need), then work (one
instance of each other deployed process), then accounts (account requests with their
documents). Each part is idempotent, so a second run writes nothing.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from django.db import transaction

from portal.accounts import demo as accounts_demo
from portal.core.management.commands.seed_admin import DEFAULT_PASSWORD
from portal.orgs import demo as orgs_demo
from portal.work import demo as work_demo

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


@transaction.atomic
def demo_seed(*, password: str, start_instances: bool = True) -> SeedReport:
    """Create or restore the demo org tree, officers and (optionally) a few instances.
    Rows that already match are not touched."""
    report = SeedReport()
    users = orgs_demo.seed(password=password, report=report)
    if start_instances:
        work_demo.seed(users=users, report=report)
        accounts_demo.seed(users=users, report=report)
    return report
