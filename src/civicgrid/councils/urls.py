from django.urls import path

from civicgrid.councils import views

app_name = "councils"
urlpatterns = [
    path("", views.council_list, name="list"),
    path("<int:pk>/", views.council_page, name="council"),
    path("<int:pk>/log/", views.log, name="log"),
    path("<int:pk>/members/add/", views.add_member, name="add_member"),
    path("<int:pk>/members/<int:member_id>/leave/", views.leave, name="leave"),
    path("<int:pk>/members/<int:member_id>/role/", views.change_role, name="change_role"),
    path("<int:pk>/groups/add/", views.form_group, name="form_group"),
    path("<int:pk>/groups/<int:group_id>/", views.change_group, name="change_group"),
]
