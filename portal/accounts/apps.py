from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "portal.accounts"
    label = "accounts"
    verbose_name = "Cuentas"

    def ready(self) -> None:
        from portal.notify.markers import register_secret

        from . import handlers, services, validators

        handlers.register()
        validators.register()
        from portal.work.panels import register_task_panel

        from . import panels

        register_task_panel("cuenta_verificar_", panels.verification_panel)
        register_task_panel("cuenta_entrega", panels.handover_panel)
        from django.utils.translation import gettext_lazy as _

        from portal.work.selectors import OUTCOME_LABELS

        OUTCOME_LABELS.update({"rechazada": _("Rechazada"), "creada": _("Usuario creado"),
                               "baja": _("Baja registrada")})
        register_secret(services.ACTIVATION_SECRET, services.activation_secret)
        from . import api

        api.register()
