"""One intake path for every channel: validate, locate, route, persist, enqueue.

Refusals say what is wrong in words a resident understands and create nothing.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import IO

from django.conf import settings
from django.db import IntegrityError
from django.db.models import Model
from django.utils.translation import gettext as _
from django_tasks_db.models import DBTaskResult

from civicgrid import queue
from civicgrid.cases.actions import Submission, submit_case
from civicgrid.cases.models import CHANNELS, URGENCIES, Case, Category, Urgency
from civicgrid.cases.photos import CheckedPhoto, check_photos
from civicgrid.db import new
from civicgrid.errors import Conflict, Invalid
from civicgrid.geo.locator import district_of_grid, locate
from civicgrid.intake.models import IdempotencyKey, Place
from civicgrid.org.models import Unit, UnitKind, User
from civicgrid.triage.tasks import suggest_case

MOBILE = re.compile(r"^1[3-9]\d{9}$")
MAX_TITLE = 120

# Words that mean someone may be in danger now: such a request skips the queue.
EMERGENCY_WORDS = (
    "煤气味",
    "燃气味",
    "天然气泄漏",
    "燃气泄漏",
    "煤气泄漏",
    "着火",
    "起火",
    "火灾",
    "冒烟",
    "坍塌",
    "塌了",
    "倒塌",
    "被困",
    "困在电梯",
    "电梯困人",
    "触电",
    "爆炸",
    "溺水",
    "掉进",
    "井盖丢失",
)


@dataclass(frozen=True)
class IntakeRequest:
    """A request as any channel hands it in (before validation)."""

    text: str
    title: str = ""
    category: str = ""  # a category code; empty: triage decides
    lon: float | None = None
    lat: float | None = None
    place: int | None = None  # a gazetteer place id, instead of a point
    address: str = ""
    phone: str = ""
    name: str = ""
    hide_identity: bool = False
    urgency: str = ""  # staff channels may set it; empty: from the text

    def fingerprint(self) -> str:
        # vars(), not asdict(): the same for these flat fields, without its deep copy
        return hashlib.sha256(_FINGERPRINT.encode(vars(self)).encode()).hexdigest()


# json.dumps(…, sort_keys=True, ensure_ascii=False), its encoder made once
_FINGERPRINT = json.JSONEncoder(sort_keys=True, ensure_ascii=False)


def normalise_phone(phone: str) -> str:
    digits = re.sub(r"[\s-]", "", phone or "")
    if digits.startswith("+86"):
        digits = digits[3:]
    elif digits.startswith("0086"):
        digits = digits[4:]
    return digits


def check_phone(phone: str, *, required: bool) -> str:
    phone = normalise_phone(phone)
    if not phone:
        if required:
            raise Invalid(_("Please give a mobile number, so we can tell you the result."))
        return ""
    if not MOBILE.match(phone):
        raise Invalid(_("%(p)s is not a mainland China mobile number.") % {"p": phone})
    return phone


def check_text(text: str) -> str:
    text = (text or "").strip()
    if not text:
        raise Invalid(_("Please describe the problem."))
    if len(text) > settings.INTAKE_MAX_TEXT:
        raise Invalid(
            _("The description is too long (at most %(n)s characters).")
            % {"n": settings.INTAKE_MAX_TEXT}
        )
    return text


def check_category(code: str) -> Category | None:
    code = (code or "").strip()
    if not code:
        return None
    category = Category.objects.filter(code=code, active=True).first()
    if category is None:
        raise Invalid(_("Unknown category: %(c)s") % {"c": code})
    return category


def check_point(lon: float | None, lat: float | None) -> tuple[float, float] | None:
    """A point inside the district, or None; a point elsewhere is refused."""
    if lon is None and lat is None:
        return None
    if lon is None or lat is None:
        raise Invalid(_("A location needs both longitude and latitude."))
    try:
        lon, lat = float(lon), float(lat)
    except (TypeError, ValueError):
        raise Invalid(_("The location is not a pair of numbers.")) from None
    if not (math.isfinite(lon) and math.isfinite(lat) and -180 <= lon <= 180 and -90 <= lat <= 90):
        raise Invalid(
            _("The location (%(lon)s, %(lat)s) is not on Earth.") % {"lon": lon, "lat": lat}
        )
    if not locate(lon, lat).located:
        raise Invalid(
            _("The location (%(lon).5f, %(lat).5f) is outside this district.")
            % {"lon": lon, "lat": lat}
        )
    return lon, lat


def urgency_of(text: str, given: str = "") -> str:
    if given:
        if given not in URGENCIES:
            raise Invalid(_("Unknown urgency: %(u)s") % {"u": given})
        return given
    return Urgency.EMERGENCY if any(w in text for w in EMERGENCY_WORDS) else Urgency.NORMAL


def the_district() -> Unit:
    """The installation's district (one indexed lookup; not cached, so a rebuilt unit
    tree is never answered with a district that no longer exists)."""
    district = Unit.objects.filter(kind=UnitKind.DISTRICT, active=True).order_by("pk").first()
    if district is None:
        raise Invalid(_("This installation has no district yet."))
    return district


def receive(
    request: IntakeRequest,
    *,
    channel: str,
    actor: User | None = None,
    photos: Sequence[IO[bytes]] = (),
    photo_names: Sequence[str] = (),
    checked_photos: Sequence[CheckedPhoto] = (),
    along: Callable[[Case], Sequence[Model]] | None = None,
) -> Case:
    """受理 a request from any channel: everything checked before anything is written.
    ``along``: more rows to write with the case (see ``submit_case``)."""
    if channel not in CHANNELS:
        raise Invalid(_("Unknown channel: %(c)s") % {"c": channel})
    text = check_text(request.text)
    title = (request.title or "").strip()[:MAX_TITLE] or text[:30]
    phone = check_phone(request.phone, required=actor is None)
    category = check_category(request.category)
    address = (request.address or "").strip()[:200]
    point = check_point(request.lon, request.lat)
    if request.place is not None and point is None:
        place = Place.objects.filter(pk=request.place, active=True).first()
        if place is None:
            raise Invalid(_("Unknown place in the gazetteer."))
        point = check_point(place.lon, place.lat)
        address = address or place.name
    # (submit_case refuses more than MAX_PHOTOS in all, before any file is stored)
    checked = list(checked_photos) + check_photos(list(photos), list(photo_names))
    submission = Submission(
        channel=channel,
        title=title,
        text=text,
        category=category,
        urgency=urgency_of(f"{title} {text}", request.urgency),
        lon=point[0] if point else None,
        lat=point[1] if point else None,
        address=address,
        contact_name=(request.name or "").strip()[:60],
        contact_phone=phone,
        hide_identity=request.hide_identity,
        photos=tuple(checked),
    )
    district = None
    if point is not None:
        where = locate(*point)
        district = district_of_grid(where.grid_id) if where.grid_id is not None else None
    # The machine's reading (category, duplicates) runs in the worker, not the request;
    # its queue row is written with the case (the queue is a table of the same
    # database): both are stored, or neither.
    reading: list[DBTaskResult] = []

    def with_case(case: Case) -> list[Model]:
        reading.append(queue.row(suggest_case, case.tracking_code))
        return [*reading, *(along(case) if along else ())]

    case = submit_case(
        submission, actor=actor, district=district or the_district(), along=with_case
    )
    queue.announce(reading[0], suggest_case)
    return case


def receive_once(
    key: str,
    request: IntakeRequest,
    *,
    channel: str,
    actor: User | None = None,
    checked_photos: Sequence[CheckedPhoto] = (),
) -> tuple[Case, bool]:
    """``receive`` under an idempotency key: (the case, whether it was made now).

    The key's row is written with the case (all or none), under a unique index: a
    request with a used key (even at the same moment) fails on the index, its case is
    not written either, and it answers with the first one's case. No lookup
    before the insert: replays are rare, and the common path saves a query."""
    key = (key or "").strip()
    if not key or len(key) > 200:
        raise Invalid(_("An Idempotency-Key is 1 to 200 characters."))
    fingerprint = request.fingerprint()

    def key_of(case: Case) -> list[Model]:
        return [new(IdempotencyKey, key=key, fingerprint=fingerprint, case=case)]

    try:
        case = receive(
            request, channel=channel, actor=actor, checked_photos=checked_photos, along=key_of
        )
        return case, True
    except IntegrityError:
        # The key was used before (or at this very moment): that request's case stands.
        row = IdempotencyKey.objects.select_related("case").filter(key=key).first()
        if row is None:
            raise  # another constraint failed: not ours to explain away
    if row.fingerprint != fingerprint:
        raise Conflict(_("This Idempotency-Key was used for a different request."))
    assert row.case is not None  # written in the same transaction as the key
    return row.case, False
