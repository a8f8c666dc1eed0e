from django.apps import AppConfig


class SchemaformsConfig(AppConfig):
    name = "portal.schemaforms"
    label = "schemaforms"
    verbose_name = "Formularios"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from engine.registry import registry

        from .loader import SchemaFormCatalogue

        # Deployment refuses a diagram whose form is missing OR invalid (bad JSON Schema,
        # unknown format or validator, UI hints naming unknown fields).
        registry.forms = SchemaFormCatalogue()
