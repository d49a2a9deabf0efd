"""The product's URLs plus one bare endpoint, for bench/transitions.py only."""

from django.db.models import F
from django.http import HttpRequest
from django.urls import path
from ninja import NinjaAPI
from ninja.security import django_auth

from civicgrid.cases.models import Case
from civicgrid.urls import urlpatterns as product

bare_api = NinjaAPI(auth=django_auth, urls_namespace="bench", docs_url=None)


@bare_api.post("/bare/{code}")
def bare(request: HttpRequest, code: str) -> dict:
    updated = Case.objects.filter(tracking_code=code).update(version=F("version") + 1)
    return {"updated": updated}


urlpatterns = [path("bench/", bare_api.urls), *product]
