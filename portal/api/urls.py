"""REST API routes (filled in by portal.api.views)."""

app_name = "api"
urlpatterns: list = []
