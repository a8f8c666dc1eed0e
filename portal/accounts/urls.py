from django.urls import path

from . import views

app_name = "accounts"

urlpatterns = [
    path("activar/<str:uidb64>/<str:token>/", views.activate, name="activate"),
    path("acta/<int:pk>.pdf", views.acta, name="acta"),
]
