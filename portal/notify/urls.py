"""Avisos: the notifications a user received, mounted at /avisos/."""

from django.urls import path

from . import views

app_name = "notify"
urlpatterns = [
    path("", views.notification_list, name="list"),
    path("<int:pk>/", views.notification_detail, name="detail"),
    path("marcar-leidos/", views.mark_all_read, name="mark_all_read"),
]
