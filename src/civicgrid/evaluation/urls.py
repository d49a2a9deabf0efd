from django.urls import path

from civicgrid.evaluation import views

app_name = "evaluation"
urlpatterns = [
    path("", views.indicators_page, name="indicators"),
    path("cases/", views.cases_page, name="cases"),
    path("cockpit/", views.cockpit_page, name="cockpit"),
    path("cockpit/screen/", views.cockpit_screen, name="cockpit_screen"),
    path("cockpit/cases/", views.cockpit_cases, name="cockpit_cases"),
    path("appeals/", views.appeals_page, name="appeals"),
    path("bulletin/", views.bulletin_page, name="bulletin"),
    path("appeals/<int:pk>/<str:action>/", views.appeal_act, name="appeal_act"),
    path("cases/<str:code>/appeal/", views.appeal_case, name="appeal_case"),
    path("rankings/", views.rankings_page, name="rankings"),
    path("rankings/publish/", views.rankings_publish, name="rankings_publish"),
    path("rankings/correct/", views.rankings_correct, name="rankings_correct"),
    path("rankings/<str:month>/export.xlsx", views.rankings_export, name="rankings_export"),
]
