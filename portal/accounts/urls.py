from django.urls import path

from . import views

app_name = "accounts"

urlpatterns = [
    path("activar/<str:uidb64>/<str:token>/", views.activate, name="activate"),
]

# Mounted at the root by portal/urls.py: POST /cuentas/acta/<instance id>.pdf (it renews the link)
acta_urlpatterns = [
    path("cuentas/acta/<int:pk>.pdf", views.acta, name="acta_entrega"),
]
