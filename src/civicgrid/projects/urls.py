"""Project monitoring's pages: the console's (namespace ``projects``, under /projects/)
and the public progress pages (namespace ``public_projects``, under /public/projects/)."""

from django.urls import path

from civicgrid.projects import views

app_name = "projects"
urlpatterns = [
    path("", views.project_list, name="list"),
    path("me/", views.me, name="me"),
    path("create/", views.create_project, name="create"),
    path("export/", views.export_projects, name="export"),
    path("<int:pk>/", views.project_page, name="project"),
    path("<int:pk>/budget/", views.add_budget_line, name="add_budget_line"),
    path("<int:pk>/milestones/", views.add_milestone, name="add_milestone"),
    path(
        "<int:pk>/milestones/<int:milestone>/done/",
        views.complete_milestone,
        name="complete_milestone",
    ),
    path("<int:pk>/monitors/", views.recruit_monitor, name="recruit"),
    path("<int:pk>/monitors/<int:monitor>/phone/", views.reveal_phone, name="reveal_phone"),
    path("<int:pk>/monitors/<int:monitor>/retire/", views.retire_monitor, name="retire"),
    path("<int:pk>/observations/<int:observation>/case/", views.make_case, name="make_case"),
    path("<int:pk>/photos/<int:photo>/", views.photo, name="photo"),
    path("monitors/<int:monitor>/observations/", views.file_observation, name="observe"),
]

public = (
    [
        path("", views.public_list, name="list"),
        path("<int:pk>/", views.public_page, name="project"),
    ],
    "public_projects",
)
