from django.urls import path

from civicgrid.councils import views, work_views

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
    # meetings and their follow-up items
    path("<int:pk>/meetings/", work_views.meeting_list, name="meetings"),
    path("<int:pk>/meetings/plan/", work_views.plan_meeting, name="plan_meeting"),
    path("<int:pk>/meetings/<int:meeting_id>/", work_views.meeting_page, name="meeting"),
    path("<int:pk>/meetings/<int:meeting_id>/roll/", work_views.take_roll, name="take_roll"),
    path(
        "<int:pk>/meetings/<int:meeting_id>/attendance/",
        work_views.confirm_attendance,
        name="confirm_attendance",
    ),
    path("<int:pk>/meetings/<int:meeting_id>/items/", work_views.add_item, name="add_item"),
    path(
        "<int:pk>/meetings/<int:meeting_id>/<slug:change>/",
        work_views.meeting_change,
        name="meeting_change",
    ),
    path(
        "<int:pk>/meetings/items/<int:item_id>/<slug:change>/",
        work_views.item_change,
        name="item_change",
    ),
    # problems raised
    path("<int:pk>/problems/", work_views.problem_list, name="problems"),
    path("<int:pk>/problems/raise/", work_views.raise_problem, name="raise_problem"),
    path(
        "<int:pk>/problems/<int:problem_id>/<slug:change>/",
        work_views.problem_change,
        name="problem_change",
    ),
]
