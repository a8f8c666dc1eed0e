"""REST API routes, mounted at /api/v1/ (namespace "api")."""

from django.urls import path, re_path

from . import views

app_name = "api"

ACTIONS = ("retry", "suspend", "resume", "cancel")

urlpatterns = [
    path("processes/", views.ProcessListView.as_view(), name="process-list"),
    path("processes/<str:key>/start/", views.ProcessStartView.as_view(), name="process-start"),
    path("tasks/", views.TaskListView.as_view(), name="task-list"),
    path("tasks/counts/", views.TaskCountsView.as_view(), name="task-counts"),
    path("tasks/<str:pk>/", views.TaskDetailView.as_view(), name="task-detail"),
    path("tasks/<str:pk>/claim/", views.TaskClaimView.as_view(), name="task-claim"),
    path("tasks/<str:pk>/unclaim/", views.TaskUnclaimView.as_view(), name="task-unclaim"),
    path("tasks/<str:pk>/complete/", views.TaskCompleteView.as_view(), name="task-complete"),
    path("instances/", views.InstanceAdminListView.as_view(), name="instance-list"),
    path("instances/mine/", views.MyInstanceListView.as_view(), name="instance-mine"),
    path("instances/<str:pk>/", views.InstanceDetailView.as_view(), name="instance-detail"),
    *[
        path(f"instances/<str:pk>/{action}/", views.InstanceActionView.as_view(action_name=action),
             name=f"instance-{action}")
        for action in ACTIONS
    ],
    path("units/", views.UnitListView.as_view(), name="unit-list"),
    path("units/<str:code>/", views.UnitDetailView.as_view(), name="unit-detail"),
    path("positions/", views.PositionListView.as_view(), name="position-list"),
    path("positions/replace/", views.PositionReplaceView.as_view(), name="position-replace"),
    path("positions/<str:pk>/end/", views.PositionEndView.as_view(), name="position-end"),
    path("documents/", views.DocumentUploadView.as_view(), name="document-upload"),
    re_path(r"^.*$", views.NotFoundView.as_view(), name="not-found"),
]
