from django.urls import path

from civicgrid.people import activity_urls, call_views, views

app_name = "people"
urlpatterns = [
    path("", views.people_list, name="list"),
    path("me/", views.me, name="me"),
    path("add/", views.add_person, name="add"),
    path("<int:pk>/posts/", views.assign_post, name="assign_post"),
    path("<int:pk>/", views.person_page, name="person"),
    path("<int:pk>/phone/", views.reveal_phone, name="reveal_phone"),
    path("rosters/", views.roster_list, name="rosters"),
    path("rosters/make/", views.make_roster, name="make_roster"),
    path("rosters/<int:pk>/", views.roster_page, name="roster"),
    path("rosters/<int:pk>/duties/", views.plan_duty, name="plan_duty"),
    path("rosters/<int:pk>/publish/", views.publish_roster, name="publish"),
    path("rosters/<int:pk>/export/", views.export_roster, name="export"),
    path("duties/<int:pk>/check-in/", views.check_in, name="check_in"),
    path("duties/<int:pk>/done/", views.finish_duty, name="finish"),
    path("duties/<int:pk>/absence/", views.report_absence, name="absence"),
    path("duties/<int:pk>/swap/", views.ask_swap, name="ask_swap"),
    path("swaps/<int:pk>/decide/", views.decide_swap, name="decide_swap"),
    *activity_urls.urlpatterns,
    path("calls/", call_views.call_list, name="calls"),
    path("calls/mine/", call_views.my_calls, name="my_calls"),
    path("calls/export/", call_views.export_calls, name="export_calls"),
    path("calls/broadcast/", call_views.broadcast, name="broadcast"),
    path("calls/<int:pk>/", call_views.call_page, name="call"),
    path("calls/<int:pk>/claim/", call_views.claim, name="claim"),
    path("calls/<int:pk>/close/", call_views.close, name="close_call"),
    path("calls/<int:pk>/cancel/", call_views.cancel, name="cancel_call"),
    path("claims/<int:pk>/withdraw/", call_views.withdraw, name="withdraw_claim"),
    path("claims/<int:pk>/report/", call_views.report, name="report_claim"),
    path("claims/<int:pk>/photo/", call_views.claim_photo, name="claim_photo"),
]
