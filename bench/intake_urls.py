"""The product's URLs plus one bare endpoint (a one-row insert), for bench/intake.py."""

import uuid

from django.http import HttpRequest
from django.urls import path
from ninja import NinjaAPI, Schema

from civicgrid.intake.models import IdempotencyKey
from civicgrid.urls import urlpatterns as product

bare_api = NinjaAPI(urls_namespace="bench", docs_url=None)


class BareIn(Schema):
    text: str


@bare_api.post("/bare")
def bare(request: HttpRequest, body: BareIn) -> dict:
    row = IdempotencyKey.objects.create(key=uuid.uuid4().hex, fingerprint=body.text[:64])
    return {"id": row.pk}


urlpatterns = [path("bench/", bare_api.urls), *product]
