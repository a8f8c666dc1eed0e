from django.apps import AppConfig


class SchemaformsConfig(AppConfig):
    name = "portal.schemaforms"
    label = "schemaforms"
    verbose_name = "Formularios"
    default_auto_field = "django.db.models.BigAutoField"
