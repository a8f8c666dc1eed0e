from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "portal.core"
    label = "core"
    verbose_name = "Portal"

    def ready(self) -> None:
        from . import engine_plugins

        engine_plugins.register()
