"""The native intake API: ``POST /api/requests`` (public, rate-limited, idempotent)."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.translation import gettext_lazy
from ninja import Field, Router
from ninja.errors import ValidationError
from ninja.responses import Status
from pydantic import BaseModel

from civicgrid.cases.models import Channel
from civicgrid.errors import answers
from civicgrid.inputs import Id
from civicgrid.intake import ratelimit
from civicgrid.intake.actions import IntakeRequest, receive_once

router = Router(tags=["intake"])


# Plain pydantic models, not Ninja's Schema: a Schema reads each field through a
# wrapper meant for Django objects (4 % of this endpoint's time).
class RequestIn(BaseModel):
    text: str = Field(description="What is wrong, in the resident's words (up to 5,000 chars).")
    title: str = ""
    category: str = Field("", description="A category code; empty: triage decides.")
    lon: float | None = Field(None, description="WGS-84 longitude, inside the district")
    lat: float | None = Field(None, description="WGS-84 latitude, inside the district")
    place: Id | None = Field(None, description="A gazetteer place id instead of lon/lat")
    address: str = ""
    phone: str = Field("", description="Mainland China mobile number (required)")
    name: str = ""
    hide_identity: bool = Field(False, description="Keep the name from the handlers")


class RequestOut(BaseModel):
    tracking_code: str
    state: str
    created: bool = Field(description="False: this Idempotency-Key already made the case")


# The Idempotency-Key header is read from META, not declared as Ninja's Header
# parameter (for which Ninja builds request.headers from every header: 3 % of this
# endpoint's time); documented here, and refused when missing as Ninja would.
IDEMPOTENCY_KEY = {
    "in": "header",
    "name": "Idempotency-Key",
    "required": True,
    "schema": {"type": "string", "title": "Idempotency-Key"},
    "description": "Any unique string per request (a UUID): sent again, the same case comes back.",
}


@router.post(
    "",
    auth=None,
    response=answers({201: RequestOut, 200: RequestOut}, public=True),
    summary=gettext_lazy("Submit a request (受理)"),
    openapi_extra={"parameters": [IDEMPOTENCY_KEY]},
    description=gettext_lazy(
        "A resident's request from an app or another system. The same ``Idempotency-Key`` "
        "twice returns the same case (200), never a second one; with a different body it "
        "is refused (409). Refusals (400) say what to fix and create nothing."
    ),
)
def submit_request(request: HttpRequest, body: RequestIn) -> Status[RequestOut]:
    idempotency_key = request.META.get("HTTP_IDEMPOTENCY_KEY")
    if idempotency_key is None:
        missing = {"type": "missing", "loc": ("header", "Idempotency-Key"), "msg": "Field required"}
        raise ValidationError([missing])
    ratelimit.check_ip(request)
    ratelimit.check_phone(body.phone)
    intake = IntakeRequest(
        text=body.text,
        title=body.title,
        category=body.category,
        lon=body.lon,
        lat=body.lat,
        place=body.place,
        address=body.address,
        phone=body.phone,
        name=body.name,
        hide_identity=body.hide_identity,
    )
    case, created = receive_once(idempotency_key, intake, channel=Channel.API)
    out = RequestOut(tracking_code=case.tracking_code, state=case.state, created=created)
    return Status(201 if created else 200, out)
