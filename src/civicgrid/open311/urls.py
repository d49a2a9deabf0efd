"""GeoReport v2's URLs: every resource ends in ``.json`` or ``.xml``; the endpoint's root
serves the discovery document, as the Service Discovery page suggests."""

from __future__ import annotations

from django.urls import URLPattern, re_path

from civicgrid.open311 import views

app_name = "open311"

FORMAT = r"\.(?P<fmt>json|xml)$"

urlpatterns: list[URLPattern] = [
    re_path(r"^$", views.discovery, {"fmt": "xml"}, name="root"),
    re_path(r"^discovery" + FORMAT, views.discovery, name="discovery"),
    re_path(r"^services" + FORMAT, views.services, name="services"),
    re_path(
        r"^services/(?P<service_code>[^/]+?)" + FORMAT, views.service_definition, name="service"
    ),
    re_path(r"^requests" + FORMAT, views.service_requests, name="requests"),
    re_path(
        r"^requests/(?P<service_request_id>[^/]+?)" + FORMAT, views.service_request, name="request"
    ),
    re_path(r"^tokens/(?P<token>[^/]+?)" + FORMAT, views.token, name="token"),
    # FixMyStreet's GET Service Request Updates extension.
    re_path(r"^servicerequestupdates" + FORMAT, views.service_request_updates, name="updates"),
    re_path(r"^(?P<path>.*)$", views.unknown, name="unknown"),
]
