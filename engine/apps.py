from django.apps import AppConfig


class EngineConfig(AppConfig):
    name = "engine"
    verbose_name = "Motor BPMN"
    default_auto_field = "django.db.models.BigAutoField"
