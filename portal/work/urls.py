"""Portal pages for officers: inbox, tasks, start, cases, administration."""

from django.urls import include, path

from . import views

app_name = "work"
urlpatterns = [
    path("bandeja/", views.inbox, name="inbox"),
    path("bandeja/supervision/", views.supervision, name="supervision"),
    path("tareas/<int:pk>/", views.task_page, name="task"),
    path("tareas/<int:pk>/tomar/", views.task_claim, name="claim"),
    path("tareas/<int:pk>/liberar/", views.task_unclaim, name="unclaim"),
    path("iniciar/", views.start_list, name="start_list"),
    path("iniciar/<str:key>/", views.start, name="start"),
    path("expedientes/<int:pk>/", views.instance_page, name="instance"),
    path("expedientes/<int:pk>/diagrama.bpmn", views.instance_diagram, name="instance_diagram"),
    path("expedientes/<int:pk>/documentos/<uuid:doc>/", views.instance_document, name="instance_document"),
    path("expedientes/<int:pk>/acciones/", views.instance_action, name="instance_action"),
    path("mis-solicitudes/", views.mine, name="mine"),
    path("administracion/expedientes/", views.admin_instances, name="admin_instances"),
    path("administracion/", include("portal.orgs.urls")),
]
