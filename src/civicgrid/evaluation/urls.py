from django.urls import path

from civicgrid.evaluation import views

app_name = "evaluation"
urlpatterns = [
    path("", views.indicators_page, name="indicators"),
    path("cases/", views.cases_page, name="cases"),
]
