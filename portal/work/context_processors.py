from django.utils.functional import SimpleLazyObject

from portal.orgs.access import scope_for


def work(request):
    """`work_scope` (the user's positions and what they open up) for every template,
    computed only if a template reads it (the menu shows Administración to administrators)."""
    return {"work_scope": SimpleLazyObject(lambda: getattr(request, "work_scope", None)
                                           or scope_for(request.user))}
