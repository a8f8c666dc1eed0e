from django.apps import AppConfig
from django.db.models.signals import post_migrate


class OrgsConfig(AppConfig):
    name = "portal.orgs"
    label = "orgs"
    verbose_name = "Organización"

    def ready(self) -> None:
        from . import roles, validators

        post_migrate.connect(roles.sync_after_migrate, sender=self)
        validators.register()
