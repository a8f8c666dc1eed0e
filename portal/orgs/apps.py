from django.apps import AppConfig
from django.db.models.signals import post_migrate


class OrgsConfig(AppConfig):
    name = "portal.orgs"
    label = "orgs"
    verbose_name = "Organización"

    def ready(self) -> None:
        from engine.registry import registry

        from . import roles, validators
        from .resolver import OrgLaneResolver

        post_migrate.connect(roles.sync_after_migrate, sender=self)
        validators.register()
        # Lanes (role codes) resolve to a (role, unit) of the org tree.
        registry.lane_resolver = OrgLaneResolver()
