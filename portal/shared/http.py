"""HTTP plumbing for every app's pages: the officer view decorator, pagination, safe
redirects. Views import from here, never from another app's views."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponseBase
from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme

from portal.orgs.access import scope_for

from .errors import NotAllowed, NotVisible

PER_PAGE = 25


def officer_view(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """Login required; the user's access scope is passed in (and kept on the request for
    the navigation menu); NotVisible answers 404 and NotAllowed 403, both in Spanish."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        scope = scope_for(request.user)
        request.work_scope = scope  # type: ignore[attr-defined]
        try:
            return view(request, scope, *args, **kwargs)
        except NotVisible:
            return render(request, "shared/404.html", status=404)
        except NotAllowed as exc:
            return render(request, "shared/403.html", {"reason": str(exc)}, status=403)

    return wrapper


def is_htmx(request: HttpRequest) -> bool:
    return bool(getattr(request, "htmx", False)) or request.headers.get("HX-Request") == "true"


def safe_next(request: HttpRequest, default: str) -> str:
    """The `next` URL of a form if it points into this site, else `default`."""
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(candidate, allowed_hosts={request.get_host()},
                                                     require_https=request.is_secure()):
        return candidate
    return default


def paginate(request: HttpRequest, items: Any, param: str = "pagina", per_page: int = PER_PAGE) -> dict[str, Any]:
    """A page of `items` and the links to its neighbours, keeping the other GET filters."""
    page = Paginator(items, per_page).get_page(request.GET.get(param))

    def link(number: int) -> str:
        query = request.GET.copy()
        query[param] = str(number)
        return "?" + query.urlencode()

    return {
        "page": page,
        "items": list(page.object_list),
        "prev_url": link(page.previous_page_number()) if page.has_previous() else "",
        "next_url": link(page.next_page_number()) if page.has_next() else "",
    }


def int_or_none(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
