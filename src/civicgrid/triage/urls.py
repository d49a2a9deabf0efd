from django.urls import path

from civicgrid.triage import views

app_name = "triage"
urlpatterns = [
    path("", views.queue, name="queue"),
    path("cases/<str:code>/", views.decide_view, name="decide"),
    path("hot/", views.hot_board, name="hot"),
    path("hot/escalate/", views.escalate_cluster, name="escalate"),
    path("hot/topic/", views.choose_topic, name="topic"),
    path("models/", views.models, name="models"),
    path("models/<int:pk>/", views.model_detail, name="model"),
    path("models/<int:pk>/activate/", views.activate, name="activate"),
]
