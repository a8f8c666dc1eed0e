from django.utils.functional import SimpleLazyObject

from . import selectors


def notify(request):
    """`notify_unread` (the user's unread Avisos) for the navbar badge, counted only if
    a template reads it."""
    return {"notify_unread": SimpleLazyObject(lambda: selectors.unread_count(request.user))}
