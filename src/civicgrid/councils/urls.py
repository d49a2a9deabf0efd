from django.urls import path

from civicgrid.councils import convention_views as cv
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
    # conventions (公约) and their scoring
    path("rankings/", cv.rankings_page, name="rankings"),
    path("<int:pk>/convention/", cv.convention_page, name="convention"),
    path("<int:pk>/convention/adopt/", cv.adopt, name="convention_adopt"),
    path("<int:pk>/convention/amend/", cv.amend, name="convention_amend"),
    path("<int:pk>/convention/sign/", cv.sign, name="convention_sign"),
    path("<int:pk>/convention/export/", cv.convention_export, name="convention_export"),
    path("<int:pk>/convention/periods/", cv.open_period, name="period_open"),
    path("<int:pk>/convention/periods/<int:period_id>/", cv.period_page, name="period"),
    path("<int:pk>/convention/periods/<int:period_id>/self/", cv.self_assess, name="self_assess"),
    path("<int:pk>/convention/periods/<int:period_id>/inspect/", cv.inspect, name="inspect"),
    path(
        "<int:pk>/convention/periods/<int:period_id>/close/",
        cv.close_self_assessment,
        name="period_close",
    ),
    path("<int:pk>/convention/periods/<int:period_id>/rate/", cv.rate, name="period_rate"),
    path("<int:pk>/convention/periods/<int:period_id>/publish/", cv.publish, name="period_publish"),
    path(
        "<int:pk>/convention/periods/<int:period_id>/export/",
        cv.period_export,
        name="period_export",
    ),
    path("<int:pk>/convention/photos/<path:name>", cv.photo, name="convention_photo"),
]
