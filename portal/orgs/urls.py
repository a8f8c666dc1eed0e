"""Administration of offices and positions (mounted under /administracion/ by portal.work.urls)."""

from django.urls import path

from . import views

app_name = "orgs"
urlpatterns = [
    path("unidades/", views.unit_list, name="unit_list"),
    path("unidades/nueva/", views.unit_create, name="unit_create"),
    path("unidades/<str:code>/", views.unit_detail, name="unit_detail"),
    path("unidades/<str:code>/editar/", views.unit_edit, name="unit_edit"),
    path("unidades/<str:code>/cargos/asignar/", views.position_assign, name="position_assign"),
    path("unidades/<str:code>/cargos/reemplazar/", views.position_replace, name="position_replace"),
    path("cargos/<int:pk>/cesar/", views.position_end, name="position_end"),
]
