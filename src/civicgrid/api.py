"""The HTTP API (Django Ninja): OpenAPI at /api/docs, Swagger UI served locally."""

from __future__ import annotations

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _
from ninja import NinjaAPI
from ninja.security import django_auth

from civicgrid.errors import Refusal

api = NinjaAPI(
    title="civicgrid API",
    version="1",
    description=str(_("Grid-based community governance and citizen requests.")),
    auth=django_auth,
    urls_namespace="api",
)


@api.exception_handler(RequestDataTooBig)
def too_big(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
    return api.create_response(request, {"detail": str(_("The request is too large."))}, status=413)


@api.exception_handler(Refusal)
def refusal(request: HttpRequest, exc: Refusal) -> HttpResponse:
    return api.create_response(request, {"detail": exc.message}, status=exc.status)


def _register_routers() -> None:
    from civicgrid.cases.api import router as cases_router
    from civicgrid.cases.api import tasks_router
    from civicgrid.geo.api import router as geo_router
    from civicgrid.intake.api import router as intake_router
    from civicgrid.org.api import router as org_router

    api.add_router("/org", org_router)
    api.add_router("/geo", geo_router)
    api.add_router("/cases", cases_router)
    api.add_router("/tasks", tasks_router)
    api.add_router("/requests", intake_router)


_register_routers()
