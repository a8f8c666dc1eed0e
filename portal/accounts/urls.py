from django.urls import path

from . import views

app_name = "accounts"

urlpatterns = [
    path("activar/<str:uidb64>/<str:token>/", views.activate, name="activate"),
]

# Mounted at the root by portal/urls.py: /cuentas/acta/<instance id>.pdf
acta_urlpatterns = [
    path("cuentas/acta/<int:pk>.pdf", views.acta, name="acta_entrega"),
]
