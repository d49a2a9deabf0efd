"""What pages answer when a view did not: a refusal (``civicgrid.errors``) raised
anywhere below a view gets its status and message, and a database that cannot write
at this moment gets a page that says so, not a 500."""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.core.exceptions import PermissionDenied
from django.db import OperationalError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views import defaults

from civicgrid.errors import BUSY, Refusal

logger = logging.getLogger(__name__)


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
        return defaults.page_not_found(request, Http404(refusal.message))
    if refusal.status == 403:
        return defaults.permission_denied(request, PermissionDenied(refusal.message))
    return render(request, "refused.html", {"message": refusal.message}, status=refusal.status)
