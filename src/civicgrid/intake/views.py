"""Intake's pages. Thin: intake's actions make the case.

The resident site (居民端, ``/r/``): mobile-first pages to ask in one step (category or
"let the system decide", description, a tap on the map or a place from the
gazetteer, up to 3 photos, mobile number, "keep my identity from the handlers"), the
tracking code, and the tracking page behind code + last four digits of the phone,
with the rating form at follow-up.

Staff intake in the console (``/intake/``): the hotline form (接线) with the caller's
earlier requests and likely duplicates, and grid patrol (巡查上报); a merge or an
on-the-spot fix is made with the case (``receive_and_merge``, ``report_on_patrol``).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.cache import cache
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from civicgrid import inputs
from civicgrid.cases import actions
from civicgrid.cases.categories import choice_groups
from civicgrid.cases.models import Case, CaseEvent, Category, Channel, State, Urgency
from civicgrid.errors import Invalid, Refusal
from civicgrid.geo.locator import locate
from civicgrid.geo.models import Boundary, GeoRevision
from civicgrid.intake import ratelimit
from civicgrid.intake.actions import (
    IntakeRequest,
    normalise_phone,
    receive,
    receive_and_merge,
    report_on_patrol,
)
from civicgrid.intake.models import Place
from civicgrid.intake.where import describe_place, describe_point
from civicgrid.org.models import UnitKind
from civicgrid.privacy.publish import public_text, reply_needs_a_look
from civicgrid.triage.duplicates import likely_duplicates
from civicgrid.web import access
from civicgrid.web.access import roles_required

TRACKED = "tracked_cases"  # session: the codes this browser has proved it may follow


def _point(values: Any) -> tuple[float | None, float | None]:
    """The form's lon and lat (both or neither), checked as every point taken in is."""
    point = inputs.coordinate(values.get("lon"), values.get("lat"))
    return point if point is not None else (None, None)


def _place(values: Any) -> int | None:
    """The form's gazetteer place id, if one was chosen."""
    place = (values.get("place") or "").strip()
    return inputs.whole_number(place, "place", 1, inputs.ID_MAX) if place else None


OUTLINE_LEVELS = (
    (UnitKind.STREET, UnitKind.TOWN),
    (UnitKind.COMMUNITY, UnitKind.VILLAGE, UnitKind.PARK),
    (UnitKind.GRID,),
)


def _outline() -> dict[str, Any]:
    """The district's streets and towns as GeoJSON (public), cached per geo revision."""
    revision = GeoRevision.current()
    key = f"resident-outline:{revision}"
    cached = cache.get(key)
    if cached is None:
        features: list[dict[str, Any]] = []
        # The coarsest level that has outlines (a district may have imported only grids).
        for kinds in OUTLINE_LEVELS:
            rows = Boundary.objects.filter(unit__kind__in=kinds, unit__active=True)
            features = [
                {"type": "Feature", "properties": {"name": name}, "geometry": geometry}
                for name, geometry in rows.values_list("unit__name", "geometry")
            ]
            if features:
                break
        cached = {"type": "FeatureCollection", "features": features}
        cache.set(key, cached, 3600)
    return cached


def _picked(values: dict[str, Any]) -> str:
    """The place or point the form holds, in words (never raw coordinates); "" when none
    or when what it holds is not valid (the refusal says why)."""
    try:
        place = _place(values)
        if place is not None:
            return describe_place(place)
        lon, lat = _point(values)
    except Invalid:
        return ""
    if lon is None or lat is None:
        return ""
    return describe_point(lon, lat).name


def _form_context(request: HttpRequest, values: dict[str, Any]) -> dict[str, Any]:
    places = Place.objects.filter(active=True).select_related("community__parent")
    return {
        "category_groups": choice_groups(),
        "places": places.order_by("community__parent__code", "name"),
        "outline": _outline(),
        "tile_url": settings.MAP_TILE_URL,
        "values": values,
        "picked": _picked(values),
    }


@require_http_methods(["GET", "POST"])
def submit(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        # A point chosen on /r/where/ (without JavaScript) comes back in the address.
        start = {k: request.GET[k] for k in ("lon", "lat", "place") if request.GET.get(k)}
        return render(request, "intake/submit.html", _form_context(request, start))
    values = request.POST.dict()
    try:
        ratelimit.check_ip(request)
        ratelimit.check_phone(values.get("phone", ""))
        files = request.FILES.getlist("photos")
        lon, lat = _point(values)
        case = receive(
            IntakeRequest(
                text=values.get("text", ""),
                title=values.get("title", ""),
                category=values.get("category", ""),
                lon=lon,
                lat=lat,
                place=_place(values),
                address=values.get("address", ""),
                phone=values.get("phone", ""),
                name=values.get("name", ""),
                hide_identity=values.get("hide_identity") == "1",
            ),
            channel=Channel.WEB,
            photos=files,
            photo_names=[f.name or "" for f in files],
        )
    except Refusal as refusal:
        context = _form_context(request, values)
        context["error"] = refusal.message
        return render(request, "intake/submit.html", context, status=refusal.status)
    _remember(request, case.tracking_code)
    return redirect("resident:done", code=case.tracking_code)


@require_GET
def where(request: HttpRequest) -> HttpResponse:
    """``GET /r/where/?lon=&lat=``: the place a point lies in, in words. JSON for the
    map's script (``Accept: application/json``), else a page, with a link that puts the
    point into the form: the map's answer without JavaScript."""
    wants_json = "application/json" in request.headers.get("Accept", "")
    try:
        point = inputs.coordinate(request.GET.get("lon"), request.GET.get("lat"))
        if point is None:
            raise Invalid(_("Give a point: lon and lat."), field="lon", kind="missing")
    except Invalid as refusal:
        if wants_json:
            return JsonResponse({"located": False, "name": refusal.message}, status=400)
        context = {"error": refusal.message}
        return render(request, "intake/where.html", context, status=refusal.status)
    found = describe_point(*point)
    if wants_json:
        return JsonResponse({"located": found.located, "name": found.name})
    context = {"found": found, "lon": point[0], "lat": point[1]}
    return render(request, "intake/where.html", context)


TEXT_SIZE_COOKIE = "civicgrid_text"
TEXT_SIZES = ("large", "normal")


@require_GET
def text_size(request: HttpRequest) -> HttpResponse:
    """大字版: the resident pages' large type on or off, remembered for a year in a cookie
    (read by ``intake/base.html``); back to the page it was asked from."""
    size = request.GET.get("size", "")
    back = request.GET.get("next", "")
    if not url_has_allowed_host_and_scheme(back, {request.get_host()}) or not back.startswith(
        "/r/"
    ):
        back = "/r/"
    response = redirect(back)
    if size in TEXT_SIZES:
        response.set_cookie(
            TEXT_SIZE_COOKIE, size, max_age=365 * 24 * 3600, path="/r/", samesite="Lax"
        )
    return response


def _stars(request: HttpRequest) -> int:
    """The rating given: no stars chosen is 0, which the rating's rule refuses."""
    given = request.POST.get("rating", "").strip()
    if not given:
        return 0
    return inputs.whole_number(given, "rating", 1, 5)


def _remember(request: HttpRequest, code: str) -> None:
    tracked = request.session.get(TRACKED, [])
    if code not in tracked:
        request.session[TRACKED] = [*tracked[-19:], code]


def done(request: HttpRequest, code: str) -> HttpResponse:
    case = _tracked_case(request, code)
    return render(request, "intake/done.html", {"case": case})


def _refused(request: HttpRequest, code: str, refusal: Refusal) -> HttpResponse:
    context = {"code": code, "error": refusal.message}
    return render(request, "intake/track.html", context, status=refusal.status)


@require_http_methods(["GET", "POST"])
def track(request: HttpRequest) -> HttpResponse:
    """Code + last four digits of the phone: the same answer whether the code is wrong
    or the digits are, so neither can be guessed one at a time; wrong digits are limited
    per code and per address (``ratelimit.wrong_tracking_digits``), and a code tried
    wrong too often is locked for a while, whether it exists or not."""
    if request.method == "GET":
        return render(request, "intake/track.html", {"code": request.GET.get("code", "")})
    code = request.POST.get("code", "").strip().upper()[:40]
    last4 = request.POST.get("last4", "").strip()
    try:
        ratelimit.check_ip(request, "track")
    except Refusal as refusal:
        return _refused(request, code, refusal)
    if refusal := ratelimit.tracking_refusal(request, code):
        return _refused(request, code, refusal)
    case = Case.objects.filter(tracking_code=code).select_related("contact").first()
    if case is None or len(last4) != 4 or not case.contact.phone.endswith(last4):
        if refusal := ratelimit.wrong_tracking_digits(request, code):
            return _refused(request, code, refusal)
        error = _("No request matches this tracking code and phone number.")
        return render(request, "intake/track.html", {"code": code, "error": error}, status=404)
    _remember(request, case.tracking_code)
    return redirect("resident:case", code=case.tracking_code)


def _tracked_case(request: HttpRequest, code: str) -> Case:
    if code not in request.session.get(TRACKED, []):
        raise Http404(_("Open your request with its tracking code and phone number."))
    case = Case.objects.filter(tracking_code=code).select_related("owner_unit", "contact").first()
    if case is None:
        raise Http404(_("No such request."))
    return case


# What a resident is told of each step; steps not listed are internal.
PUBLIC_STEPS = {
    "submit": "received",
    "dispatch": "dispatched",
    "acknowledge": "acknowledged",
    "return": "redispatching",
    "escalate": "escalated",
    "whistle": "departments",
    "resolve": "resolved",
    "follow_up": "follow_up",
    "rate": "rated",
    "reopen": "reopened",
    "close": "closed",
    "merge": "merged",
    "reject": "rejected",
}


def public_timeline(case: Case) -> list[dict[str, Any]]:
    """The steps a resident may see: when, what, which unit; the reply and a rejection's
    reason (with personal data masked: whoever holds the code and four digits reads
    them), never staff notes or names. A reply the check flagged as saying too little
    (``reply_needs_a_look``) is withheld, with a neutral line, until a verifier passed it."""
    events = CaseEvent.objects.filter(
        case=case, action__in=[*PUBLIC_STEPS, "verify"]
    ).select_related("to_unit")
    steps = []
    listed = list(events.order_by("seq"))
    for i, e in enumerate(listed):
        if e.action not in PUBLIC_STEPS:
            continue
        text = ""
        withheld = False
        if e.action == "resolve":
            text = case.reply
            if reply_needs_a_look(e.data.get("reply_check", {})):
                withheld = not any(
                    later.action == "verify" and later.data.get("passed")
                    for later in listed[i + 1 :]
                )
                text = "" if withheld else text
        elif e.action in ("reject", "rate"):
            text = e.note
        step = PUBLIC_STEPS[e.action]
        if e.action == "follow_up" and e.data.get("reached") is False:
            step = "missed_call"
        elif e.action == "close" and e.data.get("unreachable"):
            step = "closed_unreachable"
        elif e.action == "rate" and e.data.get("reopen"):
            step = "rated_reopened"
        steps.append(
            {
                "at": e.at,
                "step": step,
                "unit": e.to_unit.name if e.to_unit and e.action != "submit" else "",
                "text": public_text(text, case),
                "withheld": withheld,
                "photos": e.action == "resolve" and bool(e.attachments),
            }
        )
    return steps


#: The states whose case still runs against its resolve deadline, as a resident sees it.
AWAITING_RESULT = (State.DISPATCHED, State.RETURNED, State.HANDLING)


def expected(case: Case) -> dict[str, Any] | None:
    """When the resident may expect the result: the case's resolve deadline as a local
    date (and whether it has passed); for a case not yet sent to a unit, that it will be
    set then; nothing once it is resolved or ended."""
    if case.state == State.SUBMITTED:
        return {"pending": True}
    if case.state not in AWAITING_RESULT or case.resolve_due is None:
        return None
    return {
        "date": timezone.localtime(case.resolve_due).date(),
        "overdue": case.resolve_due < timezone.now(),
    }


def case_page(request: HttpRequest, code: str) -> HttpResponse:
    case = _tracked_case(request, code)
    context = {
        "case": case,
        "title": public_text(case.title, case),
        "steps": public_timeline(case),
        "expected": expected(case),
        "can_rate": case.state == State.FOLLOW_UP,
    }
    return render(request, "intake/case.html", context)


@require_POST
def rate(request: HttpRequest, code: str) -> HttpResponse:
    case = _tracked_case(request, code)
    try:
        case = actions.rate_case(
            case,
            actor=None,
            rating=_stars(request),
            solved=request.POST.get("solved") == "1",
            comment=request.POST.get("comment", "").strip()[:500],
        )
    except Refusal as refusal:
        messages.error(request, refusal.message)
    else:
        if case.state == State.CLOSED:
            messages.success(request, _("Thank you for your rating."))
        else:  # reopened by the district's follow-up policy
            messages.success(
                request,
                _("Thank you for your rating. Your request has been taken up again by %(unit)s.")
                % {"unit": case.owner_unit.name},
            )
    return redirect("resident:case", code=case.tracking_code)


# --- staff intake in the console -------------------------------------------------------


def _intake_request(post: dict[str, str]) -> IntakeRequest:
    lon, lat = _point(post)
    return IntakeRequest(
        text=post.get("text", ""),
        title=post.get("title", ""),
        category=post.get("category", ""),
        lon=lon,
        lat=lat,
        place=_place(post),
        address=post.get("address", ""),
        phone=post.get("phone", ""),
        name=post.get("name", ""),
        hide_identity=post.get("hide_identity") == "1",
        urgency=post.get("urgency", ""),
    )


def _context(values: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "values": values,
        "category_groups": choice_groups(),
        "places": Place.objects.filter(active=True).order_by("name"),
        "urgencies": Urgency.choices,
        **extra,
    }


@roles_required(access.HOTLINE)
@require_http_methods(["GET", "POST"])
def hotline(request: HttpRequest) -> HttpResponse:
    """The operator types while the caller talks: earlier requests by the number and
    likely duplicates appear beside the form; submit, or submit and merge into one."""
    if request.method == "GET":
        return render(request, "intake/hotline.html", _context({"urgency": ""}))
    values = request.POST.dict()
    into_code = values.get("merge_into", "")
    try:
        call = _intake_request(values)
        if into_code:
            case = receive_and_merge(call, actor=request.user, into_code=into_code)
        else:
            case = receive(call, channel=Channel.HOTLINE, actor=request.user)
    except Refusal as refusal:
        context = _context(values, error=refusal.message)
        return render(request, "intake/hotline.html", context, status=refusal.status)
    if into_code:
        messages.success(
            request,
            _("Recorded as %(code)s and merged into %(into)s.")
            % {"code": case.tracking_code, "into": into_code},
        )
    else:
        messages.success(request, _("Recorded as %(code)s.") % {"code": case.tracking_code})
    return redirect("intake:hotline")


@roles_required(access.HOTLINE)
def hotline_aside(request: HttpRequest) -> HttpResponse:
    """htmx partial: the caller's earlier requests and likely duplicates of what is typed."""
    phone = normalise_phone(request.GET.get("phone", ""))
    earlier = []
    if len(phone) >= 7:
        earlier = list(
            Case.objects.visible_to(request.user)
            .filter(contact__phone=phone)
            .select_related("category")
            .order_by("-created_at")[:10]
        )
    text = request.GET.get("text", "").strip()
    duplicates = []
    if len(text) >= 4:
        # A hint while the operator types: a point or place not (yet) valid is left out,
        # by the same checks that refuse it when the form is sent.
        try:
            lon, lat = _point(request.GET)
        except Invalid:
            lon = lat = None
        try:
            place = _place(request.GET)
        except Invalid:
            place = None
        if lon is None and place is not None:
            found = Place.objects.filter(pk=place).values_list("lon", "lat").first()
            lon, lat = found if found else (None, None)
        grid_id = None
        if lon is not None and lat is not None:
            where = locate(lon, lat)
            grid_id = where.grid_id if where.located else None
        found = likely_duplicates(text, lon=lon, lat=lat, grid_id=grid_id)
        visible = set(
            Case.objects.visible_to(request.user)
            .filter(pk__in=[d.case.pk for d in found])
            .values_list("pk", flat=True)
        )
        duplicates = [d for d in found if d.case.pk in visible]
    return render(
        request,
        "intake/partials/hotline_aside.html",
        {"earlier": earlier, "duplicates": duplicates, "phone": phone},
    )


@roles_required(access.PATROL)
@require_http_methods(["GET", "POST"])
def patrol(request: HttpRequest) -> HttpResponse:
    """A grid worker reports what the patrol found; a micro matter fixed on the spot is
    submitted and resolved in one step, with before and after photos."""
    micro = Category.objects.filter(active=True, grid_may_self_handle=True)
    if request.method == "GET":
        return render(request, "intake/patrol.html", _context({}, micro=micro))
    values = request.POST.dict()
    fixed = values.get("fixed") == "1"
    before = request.FILES.getlist("before")
    after = request.FILES.getlist("after")
    try:
        case = report_on_patrol(
            _intake_request({**values, "phone": "", "urgency": ""}),
            actor=request.user,
            before=before,
            before_names=[f.name or "" for f in before],
            fixed_reply=values.get("reply", "") if fixed else None,
            after=after,
            after_names=[f.name or "" for f in after],
        )
    except Refusal as refusal:
        context = _context(values, micro=micro, error=refusal.message)
        return render(request, "intake/patrol.html", context, status=refusal.status)
    messages.success(
        request,
        (_("Fixed and recorded as %(code)s.") if fixed else _("Reported as %(code)s."))
        % {"code": case.tracking_code},
    )
    return redirect("intake:patrol")
