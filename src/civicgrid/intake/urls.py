"""Intake's pages: the resident site (namespace ``resident``, under /r/) and staff intake
in the console (namespace ``intake``, under /intake/)."""

from django.urls import path

from civicgrid.intake import views

resident = (
    [
        path("", views.submit, name="submit"),
        path("done/<str:code>/", views.done, name="done"),
        path("track/", views.track, name="track"),
        path("track/<str:code>/", views.case_page, name="case"),
        path("track/<str:code>/rate/", views.rate, name="rate"),
        path("where/", views.where, name="where"),
        path("text-size/", views.text_size, name="text_size"),
    ],
    "resident",
)
console = (
    [
        path("hotline/", views.hotline, name="hotline"),
        path("hotline/aside/", views.hotline_aside, name="hotline_aside"),
        path("patrol/", views.patrol, name="patrol"),
    ],
    "intake",
)
