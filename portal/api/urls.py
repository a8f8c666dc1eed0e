"""REST API routes, mounted at /api/v1/ (namespace "api"): every app's `api.urlpatterns`,
then one JSON 404 for any other path."""

from typing import Any

from django.urls import re_path
from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from portal.core import api as core_api
from portal.orgs import api as orgs_api
from portal.shared.errors import NotVisible
from portal.work import api as work_api

from .base import ApiView

app_name = "api"


class NotFoundView(ApiView):
    """Any other path under /api/v1/: the same JSON 404 as a missing record."""

    permission_classes: list = []

    @extend_schema(exclude=True)
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        raise NotVisible

    post = put = patch = delete = get


urlpatterns = [
    *work_api.urlpatterns,
    *orgs_api.urlpatterns,
    *core_api.urlpatterns,
    re_path(r"^.*$", NotFoundView.as_view(), name="not-found"),
]
