"""The window's pages: an enterprise's own (register, its complaints, submit, rate: made
for a phone) and the office's (the queue, service days, 包联). Thin: each calls an
action, shows a refusal as a message, and redirects; lists go through ``visible_to``,
and what a person may not see is a 404."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from civicgrid import inputs
from civicgrid.cases.models import State
from civicgrid.enterprise import actions, complaint_list, permissions, window
from civicgrid.enterprise.models import (
    Complaint,
    Enterprise,
    Pairing,
    ServiceDay,
    ServiceDayIssue,
    WindowAction,
)
from civicgrid.errors import Invalid, Refusal
from civicgrid.org.models import Unit, UnitKind
from civicgrid.web import access

QUEUE_SIZE = 200


def _unit(value: str, kinds: frozenset[str] | set[str], field: str) -> Unit | None:
    """A unit named by its id in a form, of one of ``kinds``; None when not given."""
    value = (value or "").strip()
    if not value:
        return None
    pk = inputs.whole_number(value, field, 1, 2**53)
    unit = Unit.objects.filter(pk=pk, kind__in=kinds, active=True).first()
    if unit is None:
        raise Invalid(_("Unknown unit."), field=field)
    return unit


def _departments() -> list[Unit]:
    return list(Unit.objects.filter(kind=UnitKind.DEPARTMENT, active=True).order_by("code"))


def _places() -> list[Unit]:
    return list(Unit.objects.filter(kind__in=actions.PLACE_KINDS, active=True).order_by("path"))


# --- the enterprise's pages -----------------------------------------------------------------


def register(request: HttpRequest) -> HttpResponse:
    """企业注册: credit code, name, contact and mobile, password; then signed in."""
    if request.method == "POST":
        post = request.POST
        try:
            _enterprise, user = actions.register_enterprise(
                actions.Registration(
                    name=post.get("name", ""),
                    credit_code=post.get("credit_code", ""),
                    contact_name=post.get("contact_name", ""),
                    mobile=post.get("mobile", ""),
                    password=post.get("password", ""),
                    address=post.get("address", ""),
                    unit=_unit(post.get("unit", ""), actions.PLACE_KINDS, "unit"),
                )
            )
        except Refusal as refusal:
            messages.error(request, refusal.message)
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, _("Your enterprise is registered."))
            return redirect("enterprise:window")
    return render(
        request,
        "enterprise/register.html",
        {"places": _places(), "form": request.POST if request.method == "POST" else {}},
    )


@login_required
def window_page(request: HttpRequest) -> HttpResponse:
    """The enterprise's window: its complaints (newest first) and the form for a new one.
    Staff who see the window go to its queue."""
    enterprise = permissions.enterprise_of(request.user)
    if enterprise is None:
        if permissions.window_link_shown(request.user):
            return redirect("enterprise:queue")
        raise Http404(_("This page is for enterprises."))
    complaints = (
        Complaint.objects.visible_to(request.user)
        .filter(enterprise=enterprise)
        .select_related("case")[:QUEUE_SIZE]
    )
    contacts = enterprise.contacts.order_by("pk")
    return render(
        request,
        "enterprise/window.html",
        {
            "enterprise": enterprise,
            "complaints": complaints,
            "contacts": contacts,
            "ready": window.office() is not None,
            "departments": _departments(),
        },
    )


@login_required
@require_POST
def submit(request: HttpRequest) -> HttpResponse:
    enterprise = permissions.enterprise_of(request.user)
    if enterprise is None:
        raise Http404(_("This page is for enterprises."))
    post = request.POST
    departments = {UnitKind.DEPARTMENT}
    try:
        complaint = actions.submit_complaint(
            enterprise,
            actions.Matter(
                matter=post.get("matter", ""),
                failed_office=post.get("failed_office", ""),
                tried=post.get("tried", ""),
                failed_unit=_unit(post.get("failed_unit", ""), departments, "failed_unit"),
                accountable=_unit(post.get("accountable", ""), departments, "accountable"),
            ),
            actor=request.user,
        )
    except Refusal as refusal:
        messages.error(request, refusal.message)
        return redirect("enterprise:window")
    messages.success(
        request,
        _("Received. Your tracking code is %(code)s.") % {"code": complaint.case.tracking_code},
    )
    return redirect("enterprise:complaint", pk=complaint.pk)


@login_required
@require_POST
def add_contact(request: HttpRequest) -> HttpResponse:
    """Another account for the enterprise, added by one of its own."""
    enterprise = permissions.enterprise_of(request.user)
    if enterprise is None:
        raise Http404(_("This page is for enterprises."))
    post = request.POST
    try:
        actions.add_contact(
            enterprise,
            actor=request.user,
            name=post.get("name", ""),
            mobile=post.get("mobile", ""),
            password=post.get("password", ""),
        )
    except Refusal as refusal:
        messages.error(request, refusal.message)
    else:
        messages.success(request, _("Done."))
    return redirect("enterprise:window")


def _complaint(request: HttpRequest, pk: int) -> Complaint:
    found = (
        Complaint.objects.visible_to(request.user)
        .select_related("case", "enterprise", "accountable", "case__owner_unit")
        .filter(pk=pk)
        .first()
    )
    if found is None:
        raise Http404(_("No complaint %(id)s that you may see.") % {"id": pk})
    return found


@login_required
def complaint_page(request: HttpRequest, pk: int) -> HttpResponse:
    """A complaint as its enterprise (or the office) sees it: state, the reply, and the
    rating form while it waits for the enterprise's word."""
    complaint = _complaint(request, pk)
    may_rate = complaint.case.state == State.FOLLOW_UP and permissions.may(
        WindowAction.RATE, request.user, enterprise=complaint.enterprise
    )
    return render(
        request,
        "enterprise/complaint.html",
        {
            "complaint": complaint,
            "case": complaint.case,
            "may_rate": may_rate,
            "replied": complaint.case.state in (State.FOLLOW_UP, State.CLOSED),
        },
    )


@login_required
@require_POST
def rate(request: HttpRequest, pk: int) -> HttpResponse:
    complaint = _complaint(request, pk)
    try:
        actions.rate_complaint(
            complaint,
            actor=request.user,
            rating=inputs.whole_number(request.POST.get("rating", ""), "rating", 1, 5),
            solved=request.POST.get("solved") == "1",
            comment=request.POST.get("comment", ""),
        )
    except Refusal as refusal:
        messages.error(request, refusal.message)
    else:
        messages.success(request, _("Thank you for your rating."))
    return redirect("enterprise:complaint", pk=complaint.pk)


# --- the office's pages ---------------------------------------------------------------------


@access.roles_required(access.STAFF)
def queue(request: HttpRequest) -> HttpResponse:
    """The window's queue at the business-environment office: every complaint for the
    office and the district, those naming it for an accountable department; the open
    ones (or all), newest first, a page at a time."""
    which = request.GET.get("tab", complaint_list.OPEN)
    if which not in complaint_list.TABS:
        which = complaint_list.OPEN
    try:
        page = complaint_list.page(
            request.user, which, before=request.GET.get("before"), after=request.GET.get("after")
        )
    except Refusal as refusal:
        messages.error(request, refusal.message)
        return redirect("enterprise:queue")
    window_office = window.office()
    office = permissions.office_staff(request.user, window_office)
    return render(
        request,
        "enterprise/queue.html",
        {
            "page": page,
            "rows": page.items,
            "tabs": list(complaint_list.TABS.items()),
            "current": which,
            "office": office,
            "departments": _departments() if office else [],
            "window_office": window_office,
        },
    )


@access.roles_required(access.STAFF)
@require_POST
def name_department(request: HttpRequest, pk: int) -> HttpResponse:
    complaint = _complaint(request, pk)
    try:
        department = _unit(request.POST.get("department", ""), {UnitKind.DEPARTMENT}, "department")
        if department is None:
            raise Invalid(_("Choose an active department."), field="department")
        actions.name_department(complaint, actor=request.user, department=department)
    except Refusal as refusal:
        messages.error(request, refusal.message)
    else:
        messages.success(request, _("Done."))
    return redirect("enterprise:queue")


@access.roles_required(access.STAFF)
def service_days(request: HttpRequest) -> HttpResponse:
    """企业服务日: the days (newest first) with their issues, and for the office the forms
    to hold a day, record an issue and make an issue a window complaint."""
    if not permissions.office_staff(request.user):
        raise Http404(_("This page is for the business-environment office."))
    days = ServiceDay.objects.select_related("unit", "host").prefetch_related(
        "issues__enterprise", "issues__complaint__case"
    )[:24]
    return render(
        request,
        "enterprise/service_days.html",
        {
            "days": days,
            "places": _places(),
            "departments": _departments(),
            "enterprises": Enterprise.objects.order_by("name")[:500],
        },
    )


def _office_only(request: HttpRequest) -> None:
    if not permissions.office_staff(request.user):
        raise Http404(_("This page is for the business-environment office."))


@access.roles_required(access.STAFF)
@require_POST
def hold_day(request: HttpRequest) -> HttpResponse:
    _office_only(request)
    post = request.POST
    try:
        unit = _unit(post.get("unit", ""), actions.PLACE_KINDS, "unit")
        host = _unit(post.get("host", ""), {UnitKind.DEPARTMENT}, "host")
        if unit is None or host is None:
            raise Invalid(_("Choose the park or street and the host agency."))
        actions.hold_service_day(
            actor=request.user,
            on=inputs.day(post.get("on", ""), "on"),
            unit=unit,
            host=host,
            theme=post.get("theme", ""),
        )
    except Refusal as refusal:
        messages.error(request, refusal.message)
    else:
        messages.success(request, _("Done."))
    return redirect("enterprise:service_days")


@access.roles_required(access.STAFF)
@require_POST
def record_issue(request: HttpRequest, pk: int) -> HttpResponse:
    _office_only(request)
    day = ServiceDay.objects.filter(pk=pk).first()
    if day is None:
        raise Http404(_("No such service day."))
    try:
        pk_e = inputs.whole_number(request.POST.get("enterprise", ""), "enterprise", 1, 2**53)
        enterprise = Enterprise.objects.filter(pk=pk_e).first()
        if enterprise is None:
            raise Invalid(_("Unknown enterprise."), field="enterprise")
        actions.record_issue(
            day, actor=request.user, enterprise=enterprise, issue=request.POST.get("issue", "")
        )
    except Refusal as refusal:
        messages.error(request, refusal.message)
    else:
        messages.success(request, _("Done."))
    return redirect("enterprise:service_days")


@access.roles_required(access.STAFF)
@require_POST
def issue_to_complaint(request: HttpRequest, pk: int) -> HttpResponse:
    _office_only(request)
    issue = ServiceDayIssue.objects.filter(pk=pk).first()
    if issue is None:
        raise Http404(_("No such issue."))
    try:
        complaint = actions.issue_to_complaint(issue, actor=request.user)
    except Refusal as refusal:
        messages.error(request, refusal.message)
    else:
        messages.success(
            request,
            _("Received. Your tracking code is %(code)s.") % {"code": complaint.case.tracking_code},
        )
    return redirect("enterprise:service_days")


@access.roles_required(access.STAFF)
def pairings(request: HttpRequest) -> HttpResponse:
    """包联: the pairings with their latest visits; the office pairs, the agency logs."""
    office = permissions.office_staff(request.user)
    rows = Pairing.objects.select_related("agency", "unit").prefetch_related("visits__enterprises")
    if not office:
        from civicgrid.org.scoping import scope_of

        reach = scope_of(request.user).reach
        rows = rows.filter(agency_id__in=reach.unit_ids or [])
    return render(
        request,
        "enterprise/pairings.html",
        {
            "rows": rows[:200],
            "office": office,
            "places": _places() if office else [],
            "departments": _departments() if office else [],
        },
    )


@access.roles_required(access.STAFF)
@require_POST
def pair(request: HttpRequest) -> HttpResponse:
    _office_only(request)
    try:
        agency = _unit(request.POST.get("agency", ""), {UnitKind.DEPARTMENT}, "agency")
        unit = _unit(request.POST.get("unit", ""), actions.PLACE_KINDS, "unit")
        if agency is None or unit is None:
            raise Invalid(_("Choose the agency and the park or street."))
        actions.pair(actor=request.user, agency=agency, unit=unit)
    except Refusal as refusal:
        messages.error(request, refusal.message)
    else:
        messages.success(request, _("Done."))
    return redirect("enterprise:pairings")


@access.roles_required(access.STAFF)
@require_POST
def end_pairing(request: HttpRequest, pk: int) -> HttpResponse:
    _office_only(request)
    pairing = Pairing.objects.filter(pk=pk).first()
    if pairing is None:
        raise Http404(_("No such pairing."))
    try:
        on = request.POST.get("on", "").strip()
        actions.end_pairing(pairing, actor=request.user, on=inputs.day(on, "on") if on else None)
    except Refusal as refusal:
        messages.error(request, refusal.message)
    else:
        messages.success(request, _("Done."))
    return redirect("enterprise:pairings")


@access.roles_required(access.STAFF)
@require_POST
def log_visit(request: HttpRequest, pk: int) -> HttpResponse:
    pairing = Pairing.objects.select_related("agency").filter(pk=pk).first()
    if pairing is None:
        raise Http404(_("No such pairing."))
    post = request.POST
    try:
        actions.log_visit(
            pairing,
            actor=request.user,
            on=inputs.day(post.get("on", ""), "on"),
            visitors=post.get("visitors", ""),
            notes=post.get("notes", ""),
            issues_found=post.get("issues_found", ""),
        )
    except Refusal as refusal:
        messages.error(request, refusal.message)
    else:
        messages.success(request, _("Done."))
    return redirect("enterprise:pairings")
