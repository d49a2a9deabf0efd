"""The URLs of activities, the public-welfare supermarket and the recognition list
(under /people/, in the people namespace)."""

from django.urls import path

from civicgrid.people import activity_views as views

urlpatterns = [
    path("activities/", views.activity_list, name="activities"),
    path("activities/plan/", views.create_activity, name="create_activity"),
    path("activities/<int:pk>/", views.activity_page, name="activity"),
    path("activities/<int:pk>/cancel/", views.cancel_activity, name="cancel_activity"),
    path("activities/<int:pk>/sign-up/", views.sign_up, name="sign_up"),
    path("sign-ups/<int:pk>/cancel/", views.cancel_sign_up, name="cancel_sign_up"),
    path("sign-ups/<int:pk>/attendance/", views.record_attendance, name="attendance"),
    path("shops/", views.shop_list, name="shops"),
    path("shops/open/", views.open_shop, name="open_shop"),
    path("shops/<int:pk>/", views.shop_page, name="shop"),
    path("shops/<int:pk>/items/", views.add_item, name="add_item"),
    path("shops/<int:pk>/redeem/", views.redeem, name="redeem"),
    path("items/<int:pk>/restock/", views.restock, name="restock"),
    path("recognition/", views.recognition_page, name="recognition"),
    path("recognition/export/", views.recognition_export, name="recognition_export"),
    path("me/activities/", views.my_activities, name="my_activities"),
]
