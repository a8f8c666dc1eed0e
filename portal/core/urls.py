from django.urls import path

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("health/", views.health, name="health"),
    path("tokens-api/", views.api_tokens, name="api_tokens"),
    path("tokens-api/<int:pk>/revocar/", views.api_token_revoke, name="api_token_revoke"),
]
