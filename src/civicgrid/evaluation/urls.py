from django.urls import path

from civicgrid.evaluation import views

app_name = "evaluation"
urlpatterns = [
    path("", views.indicators_page, name="indicators"),
    path("cases/", views.cases_page, name="cases"),
    path("appeals/", views.appeals_page, name="appeals"),
    path("bulletin/", views.bulletin_page, name="bulletin"),
    path("appeals/<int:pk>/<str:action>/", views.appeal_act, name="appeal_act"),
    path("cases/<str:code>/appeal/", views.appeal_case, name="appeal_case"),
]
