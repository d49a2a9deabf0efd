from django.urls import path

from civicgrid.web import case_views, views

app_name = "web"
urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("account/", views.account, name="account"),
    path("account/logout-everywhere/", views.log_out_everywhere, name="logout_everywhere"),
    path("units/", views.units, name="units"),
    path("units/children/", views.unit_children, name="unit_children"),
    path("cases/", case_views.queue, name="cases"),
    path("cases/<str:code>/", case_views.case_page, name="case"),
    path("cases/<str:code>/photos/<path:name>", case_views.case_photo, name="case_photo"),
    path("cases/<str:code>/<str:action>/", case_views.act, name="case_act"),
    path("tasks/", case_views.tasks, name="tasks"),
    path("tasks/<int:task_id>/<str:action>/", case_views.task_act, name="task_act"),
]
