"""The HTTP API (Django Ninja): OpenAPI at /api/docs, Swagger UI served locally.

Every answer that is not a result is an ``errors.Error`` (``{"detail", "errors"}``),
whoever gives it: a refusal, the validator, Ninja itself, or the door
(``web.middleware``); every operation documents them with ``errors.answers``."""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.db import OperationalError
from django.http import HttpRequest, HttpResponse
from django.http.request import RawPostDataException
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.openapi.schema import OpenAPISchema
from ninja.security import django_auth

from civicgrid import inputs
from civicgrid.errors import BUSY, Refusal, error_body

logger = logging.getLogger(__name__)


class CivicgridAPI(NinjaAPI):
    """The OpenAPI document in the reader's language: the title, the description and the
    operations' summaries are ``gettext_lazy`` strings, made text here for the language
    of the request that asks for the document (zh-Hans by default)."""

    def get_openapi_schema(
        self, *, path_prefix: str | None = None, path_params: dict[str, Any] | None = None
    ) -> OpenAPISchema:
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        for key in ("title", "description"):
            schema["info"][key] = str(schema["info"][key])
        for operations in schema["paths"].values():
            for operation in operations.values():
                for key in ("summary", "description"):
                    if isinstance(operation.get(key), Promise):
                        operation[key] = str(operation[key])
        return schema


api = CivicgridAPI(
    title=_("civicgrid API"),  # type: ignore[arg-type]
    version="1",
    description=_("Grid-based community governance and citizen requests."),  # type: ignore[arg-type]
    auth=django_auth,
    urls_namespace="api",
)


@api.exception_handler(OperationalError)
def busy(request: HttpRequest, exc: OperationalError) -> HttpResponse:
    """The database could not be written now (SQLite's write lock held past its timeout
    by another writer, a lost connection): try again, nothing was stored (the write was
    one transaction)."""
    logger.warning("database unavailable for %s: %s", request.path, exc)
    response = api.create_response(request, {"detail": str(BUSY)}, status=503)
    response["Retry-After"] = "5"
    return response


@api.exception_handler(RequestDataTooBig)
def too_big(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
    return api.create_response(request, {"detail": str(_("The request is too large."))}, status=413)


@api.exception_handler(RawPostDataException)
def form_not_json(request: HttpRequest, exc: RawPostDataException) -> HttpResponse:
    """A form (multipart) sent to an operation that takes JSON: the door read the form to
    check its text (``web.middleware``), and the body cannot be read twice."""
    message = _("This operation takes a JSON body (Content-Type: application/json), not a form.")
    return api.create_response(request, {"detail": str(message)}, status=400)


# What a malformed request gets instead of the validator's English: one message per
# problem, naming the field, by the kind of problem.
_INVALID = {
    "missing": _("%(field)s is required."),
    "float_parsing": _("%(field)s must be a number."),
    "float_type": _("%(field)s must be a number."),
    "int_parsing": _("%(field)s must be a whole number."),
    "int_type": _("%(field)s must be a whole number."),
    "int_from_float": _("%(field)s must be a whole number."),
    "bool_parsing": _("%(field)s must be true or false."),
    "bool_type": _("%(field)s must be true or false."),
    "string_type": _("%(field)s must be text."),
    "string_too_long": _("%(field)s is too long."),
    "greater_than": _("%(field)s is out of range."),
    "greater_than_equal": _("%(field)s is out of range."),
    "less_than": _("%(field)s is out of range."),
    "less_than_equal": _("%(field)s is out of range."),
    "enum": _("%(field)s is not one of the allowed values."),
    "literal_error": _("%(field)s is not one of the allowed values."),
    "datetime_parsing": _("%(field)s must be a date and time (ISO 8601)."),
    "datetime_from_date_parsing": _("%(field)s must be a date and time (ISO 8601)."),
    "date_parsing": _("%(field)s must be a date (YYYY-MM-DD)."),
    "json_invalid": _("The request body is not valid JSON."),
}


@api.exception_handler(ValidationError)
def invalid(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    """422 with a sentence per problem in the user's language; the machine-readable
    list stays under ``errors``."""
    problems = []
    for error in exc.errors:
        names = [str(p) for p in error.get("loc", ()) if isinstance(p, str)]
        field = names[-1] if names and names[-1] not in ("body", "query", "path") else ""
        if error.get("type") in inputs.SCHEMA_KINDS:  # already our sentence, naming the field
            message = str(error.get("msg", ""))
        else:
            template = _INVALID.get(error.get("type", ""), _("%(field)s has an invalid value."))
            message = str(template) % {"field": field or str(_("the request"))}
        problems.append({"field": field, "type": error.get("type", ""), "message": message})
    detail = " ".join(dict.fromkeys(p["message"] for p in problems))
    return api.create_response(request, {"detail": detail, "errors": problems}, status=422)


# Ninja's own refusals, by their English text, in the user's language.
_NINJA = {
    "Cannot parse request body": _INVALID["json_invalid"],
    "CSRF check Failed": _("The request lacks its CSRF token; reload the page and try again."),
}


@api.exception_handler(HttpError)
def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    """Ninja's own refusals (a body that is not JSON, no login, no CSRF token) in the
    user's language."""
    message = str(exc)
    if isinstance(exc, AuthenticationError):
        message = str(_("Log in first: this operation needs a session."))
    for start, translated in _NINJA.items():
        if message.startswith(start):
            message = str(translated)
    return api.create_response(request, {"detail": message}, status=exc.status_code)


@api.exception_handler(Refusal)
def refusal(request: HttpRequest, exc: Refusal) -> HttpResponse:
    return api.create_response(request, error_body(exc), status=exc.status)


def _register_routers() -> None:
    from civicgrid.cases.api import followup_router, tasks_router
    from civicgrid.cases.api import router as cases_router
    from civicgrid.councils.api import router as councils_router
    from civicgrid.councils.convention_api import router as conventions_router
    from civicgrid.enterprise.api import router as enterprise_router
    from civicgrid.evaluation.api import router as evaluation_router
    from civicgrid.evaluation.cockpit_api import router as cockpit_router
    from civicgrid.geo.api import router as geo_router
    from civicgrid.intake.api import router as intake_router
    from civicgrid.notify.api import router as notify_router
    from civicgrid.org.api import router as org_router
    from civicgrid.people.activity_api import router as activities_router
    from civicgrid.people.api import router as people_router
    from civicgrid.people.call_api import router as grid_calls_router
    from civicgrid.projects.api import router as projects_router

    # Intake first: the public endpoint most called, found after the fewest patterns.
    api.add_router("/requests", intake_router)
    api.add_router("/org", org_router)
    api.add_router("/geo", geo_router)
    api.add_router("/cases", cases_router)
    api.add_router("/cases", notify_router)  # /api/cases/{code}/notifications
    api.add_router("/tasks", tasks_router)
    api.add_router("/follow-up", followup_router)
    api.add_router("/evaluation", evaluation_router)
    api.add_router("/evaluation", cockpit_router)  # /api/evaluation/cockpit
    # Conventions first: their /councils/convention-rankings before the councils' /{pk}.
    api.add_router("/councils", conventions_router)
    api.add_router("/councils", councils_router)
    api.add_router("/enterprise", enterprise_router)
    # Activities first: their /people/activities, /shops, … before the people's /{pk}.
    api.add_router("/people", activities_router)
    api.add_router("/people", people_router)
    api.add_router("/projects", projects_router)
    api.add_router("/grid-calls", grid_calls_router)


_register_routers()
