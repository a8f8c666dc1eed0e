"""Plugs the portal into the engine's registries.

Roles and units resolve through the org tree (portal.orgs.resolver); forms are the JSON
Schema files in forms/. Product service-task handlers register here as the procedures
that need them are built.
"""

from __future__ import annotations

from engine.registry import registry


def register() -> None:
    from portal.orgs.resolver import OrgLaneResolver
    from portal.schemaforms.loader import SchemaFormCatalogue

    registry.lane_resolver = OrgLaneResolver()
    # Deployment refuses a diagram whose form is missing OR invalid (bad JSON Schema,
    # unknown format or validator, UI hints naming unknown fields).
    registry.forms = SchemaFormCatalogue()
