from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "portal.accounts"
    label = "accounts"
    verbose_name = "Cuentas"

    def ready(self) -> None:
        from engine.registry import registry
        from portal.notify.services import register_secret

        from . import handlers, procedures, services, validators

        registry.register_service("accounts.alta", handlers.alta)
        registry.register_service("accounts.baja", handlers.baja)
        procedures.register()
        validators.register()
        register_secret(services.ACTIVATION_SECRET, services.activation_secret)
