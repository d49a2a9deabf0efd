from django.urls import path

from civicgrid.web import views

app_name = "web"
urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("account/", views.account, name="account"),
    path("account/logout-everywhere/", views.log_out_everywhere, name="logout_everywhere"),
    path("units/", views.units, name="units"),
    path("units/children/", views.unit_children, name="unit_children"),
]
