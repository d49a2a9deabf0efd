"""Intake's actions: one path in for every channel (check, locate once, submit, queue
the machine's reading), and the channels' two-step workflows (the hotline's "submit and
merge", patrol's "report and fix on the spot"), each in one transaction.

Refusals say what is wrong in words a resident understands and create nothing: no
row, no photo file (staged until the commit), no queued reading.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import IO

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Model
from django.utils.translation import gettext as _

from civicgrid import inputs
from civicgrid.cases.actions import Submission, fix_on_the_spot, merge_case, submit_case
from civicgrid.cases.models import Case, Category, Channel, Urgency
from civicgrid.cases.photos import CheckedPhoto, check_photos, discard_on_failure
from civicgrid.errors import Conflict, Invalid
from civicgrid.geo.locator import Location, district_of_grid, locate
from civicgrid.intake.models import IdempotencyKey, Place
from civicgrid.org.models import Unit, UnitKind, User
from civicgrid.triage.emergency import is_emergency
from civicgrid.triage.tasks import suggest_case

MOBILE = re.compile(r"^1[3-9]\d{9}$")
MAX_TITLE = 120


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


def check_point(lon: float | None, lat: float | None) -> Location | None:
    """Where a point inside the district lies (its grid), or None without a point; a
    point elsewhere is refused. The one place a request's point is located."""
    point = inputs.coordinate(lon, lat)
    if point is None:
        return None
    lon, lat = point
    where = locate(lon, lat)
    if not where.located:
        raise Invalid(
            _("The location (%(lon).5f, %(lat).5f) is outside this district.")
            % {"lon": lon, "lat": lat}
        )
    return where


def urgency_of(text: str, given: str = "") -> str:
    """The urgency staff gave (``submit_case`` checks it), else the text's."""
    if given:
        return given
    return Urgency.EMERGENCY if is_emergency(text) else Urgency.NORMAL


def the_district() -> Unit:
    """The installation's district (one indexed lookup; not cached, so a rebuilt unit
    tree is never answered with a district that no longer exists)."""
    district = Unit.objects.filter(kind=UnitKind.DISTRICT, active=True).order_by("pk").first()
    if district is None:
        raise Invalid(_("This installation has no district yet."))
    return district


@dataclass(frozen=True)
class Checked:
    """A request checked and located: what ``submit_case`` is given, and where."""

    submission: Submission
    district: Unit


def check_request(
    request: IntakeRequest,
    *,
    channel: str,
    actor: User | None,
    photos: Sequence[IO[bytes]] = (),
    photo_names: Sequence[str] = (),
    checked_photos: Sequence[CheckedPhoto] = (),
) -> Checked:
    """Everything a resident (or an operator) could get wrong, checked before anything
    is written; the point located once. The channel, urgency and title are
    ``submit_case``'s to check."""
    text = check_text(request.text)
    title = (request.title or "").strip()[:MAX_TITLE] or text[:30]
    # A council's request needs no number: the case is the council's (civicgrid.councils).
    phone = check_phone(request.phone, required=actor is None and channel != Channel.COUNCIL)
    category = check_category(request.category)
    address = (request.address or "").strip()[:200]
    lon, lat = request.lon, request.lat
    where = check_point(lon, lat)
    if request.place is not None and where is None:
        place = Place.objects.filter(pk=request.place, active=True).first()
        if place is None:
            raise Invalid(_("Unknown place in the gazetteer."))
        lon, lat = place.lon, place.lat
        where = check_point(lon, lat)
        address = address or place.name
    # (submit_case refuses more than MAX_PHOTOS in all, before any file is stored)
    checked = list(checked_photos) + check_photos(list(photos), list(photo_names))
    district = district_of_grid(where.grid_id) if where is not None and where.located else None
    submission = Submission(
        channel=channel,
        title=title,
        text=text,
        category=category,
        urgency=urgency_of(f"{title} {text}", request.urgency),
        lon=float(lon) if where is not None and lon is not None else None,
        lat=float(lat) if where is not None and lat is not None else None,
        where=where,
        address=address,
        contact_name=(request.name or "").strip()[:60],
        contact_phone=phone,
        hide_identity=request.hide_identity,
        photos=tuple(checked),
    )
    return Checked(submission, district or the_district())


def _receive(
    checked: Checked,
    *,
    actor: User | None,
    along: Callable[[Case], Sequence[Model]] | None = None,
    then: Callable[[Case], Case] | None = None,
) -> Case:
    """受理 in one transaction: the case (``submit_case``), ``then`` (a second
    transition the channel makes at once, such as a merge), and last the machine's
    reading queued (its row in the same database, written with the case or not at
    all, after everything that could still refuse)."""
    with discard_on_failure(), transaction.atomic():
        case = submit_case(checked.submission, actor=actor, district=checked.district, along=along)
        if then is not None:
            case = then(case)
        suggest_case.enqueue(case.tracking_code)
    return case


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
    ``along``: the channel's own rows about the new case, written with it."""
    checked = check_request(
        request,
        channel=channel,
        actor=actor,
        photos=photos,
        photo_names=photo_names,
        checked_photos=checked_photos,
    )
    return _receive(checked, actor=actor, along=along)


def receive_and_merge(request: IntakeRequest, *, actor: User, into_code: str) -> Case:
    """The hotline's "submit and merge into this one": a caller reports what is already
    open; the call is recorded as a case and merged into that one, or neither is."""
    checked = check_request(request, channel=Channel.HOTLINE, actor=actor)

    def merge(case: Case) -> Case:
        return merge_case(case, actor=actor, into=into_code)

    return _receive(checked, actor=actor, then=merge)


def report_on_patrol(
    request: IntakeRequest,
    *,
    actor: User,
    before: Sequence[IO[bytes]] = (),
    before_names: Sequence[str] = (),
    fixed_reply: str | None = None,
    after: Sequence[IO[bytes]] = (),
    after_names: Sequence[str] = (),
) -> Case:
    """巡查上报: what a grid worker found; with ``fixed_reply``, a micro matter fixed on
    the spot, submitted and resolved in one step (with before and after photos), or
    neither when the fix is refused."""
    checked = check_request(
        request, channel=Channel.PATROL, actor=actor, photos=before, photo_names=before_names
    )
    then = None
    if fixed_reply is not None:
        after_checked = check_photos(list(after), list(after_names))

        def then(case: Case) -> Case:
            return fix_on_the_spot(case, actor=actor, reply=fixed_reply, photos=after_checked)

    return _receive(checked, actor=actor, then=then)


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
    checked = check_request(request, channel=channel, actor=actor, checked_photos=checked_photos)

    def key_of(case: Case) -> list[Model]:
        return [IdempotencyKey(key=key, fingerprint=fingerprint, case=case)]

    try:
        return _receive(checked, actor=actor, along=key_of), True
    except IntegrityError:
        # The key was used before (or at this very moment): that request's case stands.
        row = IdempotencyKey.objects.select_related("case").filter(key=key).first()
        if row is None:
            raise  # another constraint failed: not ours to explain away
    if row.fingerprint != fingerprint:
        raise Conflict(_("This Idempotency-Key was used for a different request."))
    assert row.case is not None  # written in the same transaction as the key
    return row.case, False
