from django.urls import path

from civicgrid.enterprise import views

app_name = "enterprise"
urlpatterns = [
    path("", views.window_page, name="window"),
    path("register/", views.register, name="register"),
    path("submit/", views.submit, name="submit"),
    path("contacts/", views.add_contact, name="add_contact"),
    path("complaints/<int:pk>/", views.complaint_page, name="complaint"),
    path("complaints/<int:pk>/rate/", views.rate, name="rate"),
    path("complaints/<int:pk>/department/", views.name_department, name="name_department"),
    path("queue/", views.queue, name="queue"),
    path("service-days/", views.service_days, name="service_days"),
    path("service-days/new/", views.hold_day, name="hold_day"),
    path("service-days/<int:pk>/issues/", views.record_issue, name="record_issue"),
    path("issues/<int:pk>/complaint/", views.issue_to_complaint, name="issue_to_complaint"),
    path("pairings/", views.pairings, name="pairings"),
    path("pairings/new/", views.pair, name="pair"),
    path("pairings/<int:pk>/visits/", views.log_visit, name="log_visit"),
    path("pairings/<int:pk>/end/", views.end_pairing, name="end_pairing"),
]
