"""Plugs the portal into the engine's registries.

Roles and units resolve through the org tree (portal.orgs.resolver); forms are the JSON
Schema files in forms/. Product service-task handlers register here as the procedures
that need them are built.
"""

from __future__ import annotations

from django.conf import settings

from engine.registry import DirectoryFormCatalogue, registry


def register() -> None:
    from portal.orgs.resolver import OrgLaneResolver

    registry.lane_resolver = OrgLaneResolver()
    registry.forms = DirectoryFormCatalogue(settings.ENGINE["FORMS_DIR"])
