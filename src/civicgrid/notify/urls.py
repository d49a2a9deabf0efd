from django.urls import path

from civicgrid.notify import views

app_name = "notify"
urlpatterns = [
    path("", views.outbox, name="outbox"),
    path("retry/", views.retry, name="retry"),
]
