from django.urls import path

from civicgrid.intake import console

app_name = "intake"
urlpatterns = [
    path("hotline/", console.hotline, name="hotline"),
    path("hotline/aside/", console.hotline_aside, name="hotline_aside"),
    path("patrol/", console.patrol, name="patrol"),
]
