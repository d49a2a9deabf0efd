"""What every request meets before a view and what it gets when a view did not answer:
input that no database can store is refused at the door (``InputMiddleware``); a
refusal (``civicgrid.errors``) raised anywhere below a view gets its status and
message; a database that cannot write at this moment gets a page that says so, not a
500. Each surface answers in its own shape (``answer``): the API in JSON, Open311 in
its error list, the pages as pages."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Iterator
from typing import Any

from django.core.exceptions import (
    PermissionDenied,
    RequestDataTooBig,
    TooManyFieldsSent,
    TooManyFilesSent,
)
from django.db import OperationalError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse, QueryDict
from django.http.multipartparser import MultiPartParserError
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views import defaults

from civicgrid import inputs
from civicgrid.errors import BUSY, Invalid, NotFound, Refusal, TooLarge, error_body

logger = logging.getLogger(__name__)

API_PREFIX = "/api/"
OPEN311_PREFIX = "/open311/"
RESIDENT_PREFIX = "/r/"
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
# A JSON body can carry a NUL or a lone surrogate as an escape ("\u0000", "\ud800"), as
# a surrogate's own UTF-8 bytes (0xED 0xA0-0xBF …: json.loads reads them), or in a body
# in UTF-16 or UTF-32 (json.loads reads those too; their ASCII holds NUL bytes). A body
# with none of these needs no parse here (an escaped pair, an emoji, is parsed and passes).
JSON_SUSPECT = re.compile(rb"\\u(?:0000|[dD][89a-fA-F][0-9a-fA-F]{2})|\x00|\xed[\xa0-\xbf]")
FIELD_SHOWN = 60  # characters of a field's name repeated in a refusal


class InputMiddleware:
    """Refuses, before any view or later middleware reads it, a request carrying text
    that neither database can store (``inputs.UNSTORABLE``), naming where: the path,
    a query or form field, a file's name, a header, or a field of a JSON body (where a
    lone surrogate appears only once the escape is read). One check at the door, so no
    endpoint, present or future, can half-write such text or fail on it with a 500.

    Reading the form here also answers a form too large to read (413) or malformed
    (400) in the surface's own shape."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            field = unstorable_field(request)
        except (RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent):
            return answer(request, TooLarge(_("The request is too large.")))
        except MultiPartParserError:
            return answer(request, Invalid(_("The form data could not be read.")))
        if field is not None:
            return answer(request, inputs.unstorable(field[:FIELD_SHOWN]))
        return self.get_response(request)


def _headers(request: HttpRequest) -> Iterator[tuple[str, Any]]:
    # META itself: request.headers would build a dict of every header per request.
    for key, value in request.META.items():
        if key.startswith("HTTP_") and isinstance(value, str):
            yield key[5:].replace("_", "-").title(), value


def _each(form: QueryDict) -> Iterator[tuple[str, str]]:
    """A form's fields, a repeated one once per value, each named as sent."""
    return ((name, value) for name, values in form.lists() for value in values)


def unstorable_field(request: HttpRequest) -> str | None:
    """Where ``request`` carries text that cannot be stored, or None."""
    if inputs.UNSTORABLE.search(request.path_info):
        return "path"
    found = inputs.first_unstorable(_headers(request))
    if found is None and request.GET:
        found = inputs.first_unstorable(_each(request.GET))
    if found is not None or request.method in ("GET", "HEAD", "OPTIONS"):
        return found
    if request.content_type == FORM_TYPES[0] and request.method != "POST":
        return inputs.first_unstorable(_each(QueryDict(request.body)))  # Django reads POST's
    if request.content_type in FORM_TYPES:
        files = ((name, f.name or "") for name, f_list in request.FILES.lists() for f in f_list)
        return inputs.first_unstorable(_each(request.POST)) or inputs.first_unstorable(files)
    body = request.body
    if body and JSON_SUSPECT.search(body):
        try:
            data = json.loads(body)
        except (ValueError, RecursionError):  # not JSON: the endpoint's parser refuses it
            return None
        found = inputs.first_unstorable([("", data)])
        return (found or "body") if found is not None else None  # "": the body is a string
    return None


# --- answers, in each surface's shape --------------------------------------------------------


def answer(request: HttpRequest, refusal: Refusal) -> HttpResponse:
    """``refusal`` as the surface ``request`` came to answers: JSON under /api/,
    GeoReport's error list under /open311/, a page elsewhere."""
    path = request.path_info
    if path.startswith(API_PREFIX):
        return JsonResponse(error_body(refusal), status=refusal.status)
    if path.startswith(OPEN311_PREFIX):
        from civicgrid.open311.formats import errors

        return errors("json" if path.endswith(".json") else "xml", refusal.status, refusal.message)
    return refused(request, refusal)


def not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """``handler404``: no URL matched (or a page raised Http404)."""
    if request.path_info.startswith((API_PREFIX, OPEN311_PREFIX)):
        message = _("No such resource: %(path)s") % {"path": request.path[:200]}
        return answer(request, NotFound(message, kind="not_found"))
    if request.path_info.startswith(RESIDENT_PREFIX):
        return resident_not_found(request, exception)
    return defaults.page_not_found(request, exception)


def resident_not_found(request: HttpRequest, exception: Exception | None) -> HttpResponse:
    """Not found on the resident site (a done page opened in another browser, an old
    link): a resident's page, in their words, pointing to /r/track/ (with the tracking
    code filled in when the address carries one), not the staff console's 404."""
    said = exception.args[0] if exception is not None and exception.args else ""
    # Django's own "no URL matched" is a dict for its debug page: not for a resident.
    message = said if isinstance(said, str) else ""
    match = re.match(r"^/r/(?:done|track)/([A-Za-z0-9]{4,40})/", request.path_info)
    context = {"message": message, "code": match.group(1).upper() if match else ""}
    return render(request, "intake/404.html", context, status=404)


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    """``handler400``: a request Django itself could not take (a suspicious operation)."""
    if request.path_info.startswith((API_PREFIX, OPEN311_PREFIX)):
        return answer(request, Invalid(_("The request could not be read.")))
    return defaults.bad_request(request, exception)


class DatabaseBusyMiddleware:
    """SQLite's write lock held past its timeout by another writer, or a lost database
    connection: 503 with ``Retry-After`` and a page that needs no database (the API
    answers the same in JSON: ``civicgrid.api.busy``). Each write is one transaction,
    so nothing was half-stored."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, Refusal):
            return refused(request, exception)
        if not isinstance(exception, OperationalError):
            return None
        logger.warning("database unavailable for %s: %s", request.path, exception)
        response = render(request, "503.html", {"message": BUSY}, status=503)
        response["Retry-After"] = "5"
        return response


def refused(request: HttpRequest, refusal: Refusal) -> HttpResponse:
    """A refusal as a page: 404 and 403 as Django's own (our templates), the others with
    their message and status."""
    if refusal.status == 404:
        if request.path_info.startswith(RESIDENT_PREFIX):
            return resident_not_found(request, Http404(refusal.message))
        return defaults.page_not_found(request, Http404(refusal.message))
    if refusal.status == 403:
        return defaults.permission_denied(request, PermissionDenied(refusal.message))
    return render(request, "refused.html", {"message": refusal.message}, status=refusal.status)
