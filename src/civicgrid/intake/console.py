"""Staff intake in the console: the hotline form (接线) and grid patrol (巡查上报).

Thin views: intake's actions create the case, and with it a merge or an on-the-spot fix
(``receive_and_merge``, ``report_on_patrol``).
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from civicgrid.cases.models import Case, Category, Channel, Urgency
from civicgrid.errors import Invalid, Refusal
from civicgrid.geo.locator import locate
from civicgrid.intake.actions import (
    IntakeRequest,
    normalise_phone,
    receive,
    receive_and_merge,
    report_on_patrol,
)
from civicgrid.intake.models import Place
from civicgrid.triage.duplicates import likely_duplicates
from civicgrid.web import access
from civicgrid.web.access import roles_required


def _float(value: str | None) -> float | None:
    try:
        return float(value) if value not in (None, "") else None
    except ValueError:
        raise Invalid(_("The location is not a pair of numbers.")) from None


def _intake_request(post: dict[str, str]) -> IntakeRequest:
    place = post.get("place") or ""
    return IntakeRequest(
        text=post.get("text", ""),
        title=post.get("title", ""),
        category=post.get("category", ""),
        lon=_float(post.get("lon")),
        lat=_float(post.get("lat")),
        place=int(place) if place.isdigit() else None,
        address=post.get("address", ""),
        phone=post.get("phone", ""),
        name=post.get("name", ""),
        hide_identity=post.get("hide_identity") == "1",
        urgency=post.get("urgency", ""),
    )


def _context(values: dict[str, Any], **extra: Any) -> dict[str, Any]:
    leaves = Category.objects.filter(active=True, parent__isnull=False).select_related("parent")
    return {
        "values": values,
        "categories": [c for c in leaves if c.parent and c.parent.parent_id is None],
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
        try:
            lon, lat = _float(request.GET.get("lon")), _float(request.GET.get("lat"))
        except Invalid:
            lon = lat = None
        place = request.GET.get("place", "")
        if lon is None and place.isdigit():
            found = Place.objects.filter(pk=int(place)).values_list("lon", "lat").first()
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
