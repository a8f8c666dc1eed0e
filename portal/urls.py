from csp.constants import NONCE
from csp.decorators import csp_update
from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from portal.accounts.urls import root_urlpatterns as accounts_root_urlpatterns
from portal.core.api import TokenObtainView

admin.site.site_header = _("SIAGIE Flujos: administración")
admin.site.site_title = _("SIAGIE Flujos")

# Swagger UI is the one page with an inline script (drf-spectacular renders the schema URL
# and CSRF header into it): it runs under a per-response nonce, never 'unsafe-inline'.
api_docs = csp_update({"script-src": [NONCE]})(
    SpectacularSwaggerView.as_view(url_name="api-schema", template_name="api/swagger_ui.html")
)

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("django.contrib.auth.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", api_docs, name="api-docs"),
    path("api/token/", TokenObtainView.as_view(), name="api-token"),
    path("api/v1/", include("portal.api.urls")),
    path("avisos/", include("portal.notify.urls")),
    path("cuenta/", include("portal.accounts.urls")),
    *accounts_root_urlpatterns,
    path("", include("portal.work.urls")),
    path("", include("portal.core.urls")),
]
