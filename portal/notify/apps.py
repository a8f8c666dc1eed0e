from django.apps import AppConfig


class NotifyConfig(AppConfig):
    name = "portal.notify"
    label = "notify"
    verbose_name = "Avisos"

    def ready(self) -> None:
        # The worker retries failed e-mails on its periodic sweep; the engine knows
        # nothing of notifications, so the job is registered through its registry.
        from engine.registry import registry

        from .delivery import retry_due_notifications

        registry.register_periodic(retry_due_notifications)
