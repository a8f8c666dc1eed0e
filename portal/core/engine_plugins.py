"""Plugs the portal into the engine's registries.

The role catalogue comes from processes/roles.json (issue-level content that the
diagrams use); forms are the JSON Schema files in forms/. Product service-task
handlers register here as the procedures that need them are built.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

from django.conf import settings

from engine.registry import DefaultLaneResolver, DirectoryFormCatalogue, registry


@lru_cache(maxsize=1)
def role_catalogue() -> dict[str, dict]:
    path = Path(settings.ENGINE["PROCESSES_DIR"]) / "roles.json"
    roles = json.loads(path.read_text(encoding="utf-8"))["roles"]
    return {role["code"]: role for role in roles}


def register() -> None:
    registry.lane_resolver = DefaultLaneResolver(roles=role_catalogue().keys())
    registry.forms = DirectoryFormCatalogue(settings.ENGINE["FORMS_DIR"])
