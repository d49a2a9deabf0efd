from django.urls import path

from civicgrid.intake import views

app_name = "resident"
urlpatterns = [
    path("", views.submit, name="submit"),
    path("done/<str:code>/", views.done, name="done"),
    path("track/", views.track, name="track"),
    path("track/<str:code>/", views.case_page, name="case"),
    path("track/<str:code>/rate/", views.rate, name="rate"),
]
