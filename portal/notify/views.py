"""The Avisos pages: a user's notifications, newest first; opening one marks it read."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from portal.shared.errors import NotVisible

from . import access, selectors, services

PER_PAGE = 25


@login_required
@require_GET
def notification_list(request: HttpRequest) -> HttpResponse:
    page = Paginator(selectors.notifications_for(request.user).defer("body_text", "body_html"),
                     PER_PAGE).get_page(request.GET.get("pagina"))
    return render(request, "notify/list.html", {"page": page})


@login_required
@require_GET
def notification_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """Show one of the user's notifications and mark it read. Reading is idempotent and
    only the owner's row can be reached, so a GET may record it (as a mail client does)."""
    try:
        notification = access.notification_for_view(request.user, pk)
    except NotVisible:
        raise Http404 from None
    services.notification_mark_read(notification=notification)
    return render(request, "notify/detail.html", {"notification": notification})


@login_required
@require_POST
def mark_all_read(request: HttpRequest) -> HttpResponse:
    assert request.user.is_authenticated  # login_required
    count = services.notifications_mark_all_read(user=request.user)
    if count:
        messages.success(request, _("Se marcaron todos los avisos como leídos."))
    return redirect("notify:list")
