from django.urls import path

from . import views

app_name = "accounts"

urlpatterns = [
    path("activar/<str:uidb64>/<str:token>/", views.activate, name="activate"),
]

# Mounted at the root by portal/urls.py, before the work pages:
# POST /cuentas/acta/<instance id>.pdf (it renews the link) and the administrators'
# "send a fresh activation link" button of the unit page.
root_urlpatterns = [
    path("cuentas/acta/<int:pk>.pdf", views.acta, name="acta_entrega"),
    path("administracion/cargos/<int:pk>/enlace-activacion/", views.position_activation_send,
         name="position_activation_send"),
]
