from django.urls import path

from civicgrid.cases import views

app_name = "cases"
urlpatterns = [
    path("cases/", views.queue, name="list"),
    path("cases/export/", views.export_queue, name="export"),
    path("followup/", views.follow_up_queue, name="followup"),
    path("followup/<str:code>/", views.follow_up_call, name="followup_call"),
    path("cases/<str:code>/contact/", views.reveal_contact, name="reveal"),
    path("cases/<str:code>/", views.case_page, name="case"),
    path("cases/<str:code>/sheet/", views.case_sheet, name="sheet"),
    path("cases/<str:code>/photos/<path:name>", views.case_photo, name="photo"),
    path("cases/<str:code>/<str:action>/", views.act, name="act"),
    path("tasks/", views.tasks, name="tasks"),
    path("tasks/<int:task_id>/<str:action>/", views.task_act, name="task_act"),
]
