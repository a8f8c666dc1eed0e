from django.apps import AppConfig

from .registry import registry


class EngineConfig(AppConfig):
    name = "engine"
    verbose_name = "Motor BPMN"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Imported here, not at the top: the tasks module imports models, which must wait
        # for the app registry.
        from .tasks import schedule_wakeup

        registry.schedule_wakeup = schedule_wakeup
