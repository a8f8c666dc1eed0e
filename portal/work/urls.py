"""Portal pages for officers: inbox, tasks, start, cases, administration."""

app_name = "work"
urlpatterns: list = []
