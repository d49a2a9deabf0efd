"""GeoReport v2's resources as plain Django views, each in ``.json`` and ``.xml``.

Thin: each view reads its arguments and calls ``civicgrid.open311.georeport``; the
``endpoint`` decorator turns what it returns into the asked format and every refusal
into the specification's error list with the refusal's HTTP status (400, 403, 404, 429).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from civicgrid.errors import Invalid, Refusal
from civicgrid.intake import ratelimit
from civicgrid.open311 import georeport
from civicgrid.open311.formats import Document, errors, respond

FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")

Handler = Callable[..., Document]
View = Callable[..., HttpResponse]


def endpoint(*methods: str) -> Callable[[Handler], View]:
    """A resource answering ``methods`` (GET also HEAD) in the format its URL ends in."""
    allowed = set(methods) | ({"HEAD"} if "GET" in methods else set())

    def wrap(handler: Handler) -> View:
        @wraps(handler)
        def view(request: HttpRequest, fmt: str, **kwargs: Any) -> HttpResponse:
            if request.method not in allowed:
                response = errors(
                    fmt, 405, _("%(method)s is not allowed here.") % {"method": request.method}
                )
                response["Allow"] = ", ".join(sorted(allowed))
                return response
            try:
                return respond(handler(request, **kwargs), fmt)
            except Refusal as refusal:
                return errors(fmt, refusal.status, refusal.message)
            except (RequestDataTooBig, TooManyFieldsSent):
                return errors(fmt, 413, _("The request is too large."))

        return view

    return wrap


def _endpoint_url(request: HttpRequest) -> str:
    return request.build_absolute_uri(reverse("open311:root")).rstrip("/")


@endpoint("GET")
def discovery(request: HttpRequest) -> Document:
    return Document("discovery", georeport.discovery(_endpoint_url(request)))


@endpoint("GET")
def services(request: HttpRequest) -> Document:
    return Document("services", [s.entry() for s in georeport.services()])


@endpoint("GET")
def service_definition(request: HttpRequest, service_code: str) -> Document:
    return Document("service_definition", georeport.service(service_code).definition())


def _create(request: HttpRequest) -> Document:
    """POST Service Request: form-encoded, with the client's api_key, rate-limited per IP."""
    ratelimit.check_ip(request, "open311")
    if request.content_type not in FORM_TYPES:
        raise Invalid(_("Send the request as application/x-www-form-urlencoded."))
    client = georeport.client_for(request.POST.get("api_key", ""))
    record = georeport.submit(client, request.POST)
    return Document("service_requests", [georeport.created_entry(record)])


@csrf_exempt  # authenticated by its api_key, not a session
@endpoint("GET", "POST")
def service_requests(request: HttpRequest) -> Document:
    if request.method == "POST":
        return _create(request)
    cases = georeport.find_requests(request.GET)
    return Document("service_requests", georeport.request_entries(cases))


@endpoint("GET")
def service_request(request: HttpRequest, service_request_id: str) -> Document:
    case = georeport.find_request(service_request_id)
    return Document("service_requests", georeport.request_entries([case]))


@endpoint("GET")
def token(request: HttpRequest, token: str) -> Document:
    return Document("service_requests", [georeport.token_entry(georeport.find_token(token))])


@endpoint("GET")
def service_request_updates(request: HttpRequest) -> Document:
    events = georeport.find_updates(request.GET)
    return Document("service_request_updates", georeport.update_entries(events))


def unknown(request: HttpRequest, path: str) -> HttpResponse:
    """Anything else under the endpoint: 404, in the specification's error format."""
    fmt = "json" if path.endswith(".json") else "xml"
    return errors(fmt, 404, _("No such resource: %(path)s") % {"path": request.path})
