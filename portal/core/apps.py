from django.apps import AppConfig


class CoreConfig(AppConfig):
    """The portal's foundation: the activity log (Ley 29733), Peru's identity formats,
    the home and health pages, the demo seeding loop. It imports no other portal app;
    each app plugs itself into the engine in its own ready()."""

    name = "portal.core"
    label = "core"
    verbose_name = "Portal"
