from django.apps import AppConfig


class CoreConfig(AppConfig):
    """The portal's foundation: the activity log (Ley 29733), Peru's identity formats,
    the home and health pages, the demo seeding loop. It imports no other portal app;
    each app plugs itself into the engine in its own ready()."""

    name = "portal.core"
    label = "core"
    verbose_name = "Portal"

    def ready(self) -> None:
        from django.contrib.auth import get_user_model
        from django.db.models.signals import pre_save

        from .services import revoke_tokens_of_deactivated

        # An account switched off anywhere (the admin's change form, a script's save())
        # loses its tokens for good: switching it on again must not revive them.
        pre_save.connect(revoke_tokens_of_deactivated, sender=get_user_model(),
                         dispatch_uid="core.revoke_tokens_of_deactivated")
