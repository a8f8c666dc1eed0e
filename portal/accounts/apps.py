from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "portal.accounts"
    label = "accounts"
    verbose_name = "Cuentas"

    def ready(self) -> None:
        # Imported here: models must be loaded before these modules are.
        from portal.notify.markers import register_secret
        from portal.work.panels import register_task_panel
        from portal.work.selectors import register_outcome_labels

        from . import api, handlers, panels, services, validators

        handlers.register()  # the accounts.* operators of processes/accounts
        validators.register()
        register_task_panel("cuenta_verificar_", panels.verification_panel)
        register_task_panel("cuenta_entrega", panels.handover_panel)
        api.register()  # the panels' fields in the API's task detail
        register_outcome_labels({"rechazada": _("Rechazada"), "creada": _("Usuario creado"),
                                 "baja": _("Baja registrada")})
        register_secret(services.ACTIVATION_SECRET, services.activation_secret)
