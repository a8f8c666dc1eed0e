"""Portal pages for officers: inbox, tasks, start, cases, administration."""

from django.urls import include, path
from django.views.generic import RedirectView

from .views import admin, case, inbox, mine, start, task

app_name = "work"
urlpatterns = [
    path("bandeja/", inbox.inbox, name="inbox"),
    path("bandeja/supervision/", inbox.supervision, name="supervision"),
    path("tareas/<int:pk>/", task.task_page, name="task"),
    path("tareas/<int:pk>/tomar/", inbox.task_claim, name="claim"),
    path("tareas/<int:pk>/liberar/", inbox.task_unclaim, name="unclaim"),
    path("iniciar/", start.start_list, name="start_list"),
    path("iniciar/<str:key>/", start.start, name="start"),
    path("expedientes/<int:pk>/", case.instance_page, name="instance"),
    path("expedientes/<int:pk>/diagrama.bpmn", case.instance_diagram, name="instance_diagram"),
    path("expedientes/<int:pk>/documentos/<uuid:doc>/", case.instance_document, name="instance_document"),
    path("expedientes/<int:pk>/acciones/", case.instance_action, name="instance_action"),
    path("mis-solicitudes/", mine.mine, name="mine"),
    path("administracion/expedientes/", admin.admin_instances, name="admin_instances"),
    # The menu's "Administración" opens the offices list; a typed /administracion/ too.
    path("administracion/", RedirectView.as_view(pattern_name="work:orgs:unit_list"), name="admin_home"),
    path("administracion/", include("portal.orgs.urls")),
]
