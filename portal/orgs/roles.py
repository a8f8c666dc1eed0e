"""The role catalogue: processes/roles.json is the source, the Role table its copy."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

from django.conf import settings


@lru_cache(maxsize=1)
def catalogue() -> dict[str, dict]:
    path = Path(settings.ENGINE["PROCESSES_DIR"]) / "roles.json"
    roles = json.loads(path.read_text(encoding="utf-8"))["roles"]
    return {role["code"]: role for role in roles}


def role_name(code: str) -> str:
    return catalogue().get(code, {}).get("name", code)


def sync_roles() -> None:
    """Upsert the Role rows from roles.json (roles no longer listed are kept: positions
    may point at them)."""
    from .models import Role

    for code, entry in catalogue().items():
        Role.objects.update_or_create(
            code=code,
            defaults={
                "name": entry["name"],
                "unit_level": entry["unit_level"],
                "home_unit_code": entry.get("unit", ""),
                "one_holder": bool(entry.get("one_holder")),
                "per_nivel": bool(entry.get("per_nivel")),
                "supervises": entry.get("supervises") or "",
            },
        )


def sync_after_migrate(sender, **kwargs) -> None:
    sync_roles()
