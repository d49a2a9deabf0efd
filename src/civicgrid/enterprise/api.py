"""The enterprise window's API (``/api/enterprise/``): registering, an enterprise's own
complaints (submit, read, rate), the office's queue and its naming of the accountable
department, service days and their issues, pairings (包联) and visits. The same actions
and refusals as the pages; an enterprise asking for another's complaint gets a 404."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from ninja import Field, Query, Router, Schema
from ninja.responses import Status

from civicgrid.cases.api import PageSize, UnitRef
from civicgrid.enterprise import actions, complaint_list, permissions
from civicgrid.enterprise.models import (
    Complaint,
    Enterprise,
    Pairing,
    ServiceDay,
    ServiceDayIssue,
    Visit,
)
from civicgrid.errors import Forbidden, Invalid, NotFound, answers
from civicgrid.inputs import Id, WholeNumber
from civicgrid.org.models import Unit, UnitKind

router = Router(tags=["enterprise"])
LIST_SIZE = 200


class RegisterIn(Schema):
    name: str = Field(description="the enterprise's name")
    credit_code: str = Field(description="unified social credit code (GB 32100, 18 characters)")
    contact_name: str
    mobile: str = Field(description="mainland China mobile; the account's user name")
    password: str
    address: str = ""
    unit: str | None = Field(None, description="the code of its park or street")


class EnterpriseOut(Schema):
    id: int
    name: str
    credit_code: str
    address: str
    unit: UnitRef | None
    registered_at: datetime


class ComplaintIn(Schema):
    matter: str = Field(description="what could not be got done")
    failed_office: str = Field(description="the office that could not help")
    tried: str = Field(description="what was tried")
    failed_unit: str | None = Field(None, description="that office's department code, if known")
    accountable: str | None = Field(None, description="the accountable department's code, if known")


class ComplaintOut(Schema):
    id: int
    tracking_code: str
    enterprise: str
    matter: str
    failed_office: str
    tried: str
    accountable: UnitRef | None
    state: str
    state_label: str
    acknowledge_due: datetime | None
    resolve_due: datetime | None
    reply: str = Field(description="the reply, once the case is resolved and checked")
    rating: int | None
    solved: bool | None
    created_at: datetime


class WindowRateIn(Schema):
    rating: WholeNumber(1, 5)  # type: ignore[valid-type]
    solved: bool
    comment: str = ""


class DepartmentIn(Schema):
    department: str = Field(description="the accountable department's code")


class IssueOut(Schema):
    id: int
    enterprise: str
    issue: str
    complaint: int | None = Field(description="the window complaint it became, if any")


class ServiceDayOut(Schema):
    id: int
    on: date
    unit: UnitRef
    host: UnitRef
    theme: str
    issues: list[IssueOut]


class ServiceDayIn(Schema):
    on: date
    unit: str = Field(description="the park's or street's code")
    host: str = Field(description="the host agency's (a department's) code")
    theme: str = ""


class IssueIn(Schema):
    enterprise: Id
    issue: str


class VisitOut(Schema):
    id: int
    on: date
    visitors: str
    enterprises: list[str]
    notes: str
    issues_found: str


class PairingOut(Schema):
    id: int
    agency: UnitRef
    unit: UnitRef
    since: date
    active: bool
    ended_on: date | None
    visits: list[VisitOut]


class PairingIn(Schema):
    agency: str = Field(description="the agency's (a department's) code")
    unit: str = Field(description="the park's or street's code")


class PairingEndIn(Schema):
    on: date | None = Field(default=None, description="the last day (today when not given)")


class VisitIn(Schema):
    on: date
    visitors: str
    enterprises: list[Id] = Field(default_factory=list, max_length=100)  # type: ignore[valid-type]
    notes: str = ""
    issues_found: str = ""


def _ref(unit: Unit | None) -> UnitRef | None:
    return UnitRef(code=unit.code, name=unit.name) if unit is not None else None


def _unit(code: str | None, kinds: frozenset[str] | set[str], field: str) -> Unit | None:
    if not code:
        return None
    unit = Unit.objects.filter(code=code[:64], kind__in=kinds, active=True).first()
    if unit is None:
        raise Invalid(_("Unknown unit."), field=field)
    return unit


def _enterprise_out(e: Enterprise) -> EnterpriseOut:
    return EnterpriseOut(
        id=e.pk,
        name=e.name,
        credit_code=e.credit_code,
        address=e.address,
        unit=_ref(e.unit),
        registered_at=e.registered_at,
    )


def _complaint_out(c: Complaint) -> ComplaintOut:
    case = c.case
    replied = case.state in ("follow_up", "closed")
    return ComplaintOut(
        id=c.pk,
        tracking_code=case.tracking_code,
        enterprise=c.enterprise.name,
        matter=c.matter,
        failed_office=c.failed_office,
        tried=c.tried,
        accountable=_ref(c.accountable),
        state=case.state,
        state_label=str(case.get_state_display()),
        acknowledge_due=case.acknowledge_due,
        resolve_due=case.resolve_due,
        reply=case.reply if replied else "",
        rating=case.rating,
        solved=case.solved,
        created_at=c.created_at,
    )


def _complaints(request: HttpRequest):  # type: ignore[no-untyped-def]
    return Complaint.objects.visible_to(request.user).select_related(
        "case", "enterprise", "accountable"
    )


def _complaint(request: HttpRequest, pk: int) -> Complaint:
    found = _complaints(request).filter(pk=pk).first()
    if found is None:
        raise NotFound(_("No complaint %(id)s that you may see.") % {"id": pk})
    return found


def _office(request: HttpRequest) -> None:
    if not permissions.office_staff(request.user):
        raise Forbidden(_("Only the business-environment office or the district may do this."))


@router.post(
    "/register",
    auth=None,
    response=answers(EnterpriseOut, status=201, public=True),
    summary=gettext_lazy("Register an enterprise and its account"),
    description=gettext_lazy(
        "The enterprise (its unified social credit code, checked by its check character) "
        "and the account that speaks for it, whose user name is the mobile number. A "
        "credit code or mobile number already registered is refused (409)."
    ),
)
def register(request: HttpRequest, body: RegisterIn) -> Status[EnterpriseOut]:
    enterprise, _user = actions.register_enterprise(
        actions.Registration(
            name=body.name,
            credit_code=body.credit_code,
            contact_name=body.contact_name,
            mobile=body.mobile,
            password=body.password,
            address=body.address,
            unit=_unit(body.unit, actions.PLACE_KINDS, "unit"),
        )
    )
    return Status(201, _enterprise_out(enterprise))


class ComplaintPageOut(Schema):
    complaints: list[ComplaintOut]
    next: str | None = Field(description="pass as before= for the page after this one")
    previous: str | None = Field(description="pass as after= for the page before this one")


@router.get(
    "/complaints",
    response=answers(ComplaintPageOut),
    summary=gettext_lazy("Window complaints: an enterprise's own, or the office's queue"),
    description=gettext_lazy(
        "An enterprise's account sees its own complaints; the business-environment office "
        "and the district see all; a department those naming it accountable. Newest first, "
        "paged by key; ``which=open`` (the default) or ``all``."
    ),
)
def list_complaints(
    request: HttpRequest,
    which: Literal["open", "all"] = "open",
    limit: PageSize = 50,
    before: str | None = Query(None, description="a page's next cursor: the page after it"),
    after: str | None = Query(None, description="a page's previous cursor: the page before"),
) -> ComplaintPageOut:
    page = complaint_list.page(request.user, which, before=before, after=after, size=limit)
    return ComplaintPageOut(
        complaints=[_complaint_out(c) for c in page.items],
        next=page.next,
        previous=page.previous,
    )


class ContactIn(Schema):
    enterprise: Id | None = Field(  # type: ignore[valid-type]
        None, description="the enterprise (the office); an enterprise's account: its own"
    )
    name: str
    mobile: str = Field(description="mainland China mobile; the new account's user name")
    password: str


class EnterpriseContactOut(Schema):
    enterprise: int
    name: str
    mobile: str


@router.post(
    "/contacts",
    response=answers(EnterpriseContactOut, status=201),
    summary=gettext_lazy("Add a contact (another account) to an enterprise"),
    description=gettext_lazy(
        "By one of the enterprise's accounts (for its own enterprise) or by the "
        "business-environment office (naming the enterprise)."
    ),
)
def add_contact(request: HttpRequest, body: ContactIn) -> Status[EnterpriseContactOut]:
    enterprise = permissions.enterprise_of(request.user)
    if enterprise is None or (body.enterprise is not None and body.enterprise != enterprise.pk):
        enterprise = Enterprise.objects.visible_to(request.user).filter(pk=body.enterprise).first()
    if enterprise is None:
        raise NotFound(_("Unknown enterprise."))
    contact = actions.add_contact(
        enterprise, actor=request.user, name=body.name, mobile=body.mobile, password=body.password
    )
    return Status(
        201, EnterpriseContactOut(enterprise=enterprise.pk, name=contact.name, mobile=contact.phone)
    )


@router.get(
    "/complaints/{pk}",
    response=answers(ComplaintOut),
    summary=gettext_lazy("A window complaint"),
)
def get_complaint(request: HttpRequest, pk: Id) -> ComplaintOut:
    return _complaint_out(_complaint(request, pk))


@router.post(
    "/complaints",
    response=answers(ComplaintOut, status=201),
    summary=gettext_lazy("Submit a complaint about a matter an office could not get done"),
    description=gettext_lazy(
        "By an enterprise's account. It becomes a case of the channel enterprise, sent to "
        "the business-environment office under the window's shorter deadlines."
    ),
)
def submit_complaint(request: HttpRequest, body: ComplaintIn) -> Status[ComplaintOut]:
    enterprise = permissions.enterprise_of(request.user)
    if enterprise is None:
        raise Forbidden(_("Only the enterprise's own account may submit its complaints."))
    complaint = actions.submit_complaint(
        enterprise,
        actions.Matter(
            matter=body.matter,
            failed_office=body.failed_office,
            tried=body.tried,
            failed_unit=_unit(body.failed_unit, {UnitKind.DEPARTMENT}, "failed_unit"),
            accountable=_unit(body.accountable, {UnitKind.DEPARTMENT}, "accountable"),
        ),
        actor=request.user,
    )
    return Status(201, _complaint_out(_complaint(request, complaint.pk)))


@router.post(
    "/complaints/{pk}/rate",
    response=answers(ComplaintOut),
    summary=gettext_lazy("Rate a complaint's result (the enterprise)"),
)
def rate_complaint(request: HttpRequest, pk: Id, body: WindowRateIn) -> ComplaintOut:
    complaint = actions.rate_complaint(
        _complaint(request, pk),
        actor=request.user,
        rating=body.rating,
        solved=body.solved,
        comment=body.comment,
    )
    return _complaint_out(_complaint(request, complaint.pk))


@router.post(
    "/complaints/{pk}/department",
    response=answers(ComplaintOut),
    summary=gettext_lazy("Name the accountable department (the office)"),
)
def name_department(request: HttpRequest, pk: Id, body: DepartmentIn) -> ComplaintOut:
    complaint = _complaint(request, pk)
    department = _unit(body.department, {UnitKind.DEPARTMENT}, "department")
    if department is None:
        raise Invalid(_("Choose an active department."), field="department")
    actions.name_department(complaint, actor=request.user, department=department)
    return _complaint_out(_complaint(request, pk))


def _day_out(day: ServiceDay) -> ServiceDayOut:
    return ServiceDayOut(
        id=day.pk,
        on=day.on,
        unit=_ref(day.unit),  # type: ignore[arg-type]
        host=_ref(day.host),  # type: ignore[arg-type]
        theme=day.theme,
        issues=[
            IssueOut(id=i.pk, enterprise=i.enterprise.name, issue=i.issue, complaint=i.complaint_id)
            for i in day.issues.all()
        ],
    )


def _days():  # type: ignore[no-untyped-def]
    return ServiceDay.objects.select_related("unit", "host").prefetch_related("issues__enterprise")


@router.get(
    "/service-days",
    response=answers(list[ServiceDayOut]),
    summary=gettext_lazy("Enterprise service days and their issues (the office)"),
)
def list_service_days(request: HttpRequest) -> list[ServiceDayOut]:
    _office(request)
    return [_day_out(d) for d in _days()[:LIST_SIZE]]


@router.post(
    "/service-days",
    response=answers(ServiceDayOut, status=201),
    summary=gettext_lazy("Hold an enterprise service day (the office)"),
)
def hold_service_day(request: HttpRequest, body: ServiceDayIn) -> Status[ServiceDayOut]:
    _office(request)
    unit = _unit(body.unit, actions.PLACE_KINDS, "unit")
    host = _unit(body.host, {UnitKind.DEPARTMENT}, "host")
    if unit is None or host is None:
        raise Invalid(_("Choose the park or street and the host agency."))
    if not 2000 <= body.on.year <= 2099:
        raise Invalid(_("Give a date such as 2026-03-15."), field="on")
    day = actions.hold_service_day(
        actor=request.user, on=body.on, unit=unit, host=host, theme=body.theme
    )
    return Status(201, _day_out(_days().get(pk=day.pk)))


@router.post(
    "/service-days/{pk}/issues",
    response=answers(ServiceDayOut, status=201),
    summary=gettext_lazy("Record an enterprise's issue of a service day (the office)"),
)
def record_issue(request: HttpRequest, pk: Id, body: IssueIn) -> Status[ServiceDayOut]:
    _office(request)
    day = ServiceDay.objects.filter(pk=pk).first()
    enterprise = Enterprise.objects.filter(pk=body.enterprise).first()
    if day is None or enterprise is None:
        raise NotFound(_("No such service day or enterprise."))
    actions.record_issue(day, actor=request.user, enterprise=enterprise, issue=body.issue)
    return Status(201, _day_out(_days().get(pk=day.pk)))


@router.post(
    "/issues/{pk}/complaint",
    response=answers(ComplaintOut, status=201),
    summary=gettext_lazy("Make a service day's issue a window complaint (the office)"),
)
def issue_to_complaint(request: HttpRequest, pk: Id) -> Status[ComplaintOut]:
    _office(request)
    issue = ServiceDayIssue.objects.filter(pk=pk).first()
    if issue is None:
        raise NotFound(_("No such issue."))
    complaint = actions.issue_to_complaint(issue, actor=request.user)
    return Status(201, _complaint_out(_complaint(request, complaint.pk)))


def _visit_out(v: Visit) -> VisitOut:
    return VisitOut(
        id=v.pk,
        on=v.on,
        visitors=v.visitors,
        enterprises=[e.name for e in v.enterprises.all()],
        notes=v.notes,
        issues_found=v.issues_found,
    )


def _pairing_out(p: Pairing) -> PairingOut:
    return PairingOut(
        id=p.pk,
        agency=_ref(p.agency),  # type: ignore[arg-type]
        unit=_ref(p.unit),  # type: ignore[arg-type]
        since=p.since,
        active=p.active,
        ended_on=p.ended_on,
        visits=[_visit_out(v) for v in p.visits.all()[:20]],
    )


def _pairings(request: HttpRequest):  # type: ignore[no-untyped-def]
    from civicgrid.org.scoping import scope_of

    rows = Pairing.objects.select_related("agency", "unit").prefetch_related("visits__enterprises")
    if permissions.office_staff(request.user):
        return rows
    return rows.filter(agency_id__in=scope_of(request.user).reach.unit_ids or [])


@router.get(
    "/pairings",
    response=answers(list[PairingOut]),
    summary=gettext_lazy("Pairings (包联) and their visits"),
    description=gettext_lazy("The office and the district see all; an agency its own."),
)
def list_pairings(request: HttpRequest) -> list[PairingOut]:
    return [_pairing_out(p) for p in _pairings(request)[:LIST_SIZE]]


@router.post(
    "/pairings",
    response=answers(PairingOut, status=201),
    summary=gettext_lazy("Pair an agency with a park or street (the office)"),
)
def pair(request: HttpRequest, body: PairingIn) -> Status[PairingOut]:
    agency = _unit(body.agency, {UnitKind.DEPARTMENT}, "agency")
    unit = _unit(body.unit, actions.PLACE_KINDS, "unit")
    if agency is None or unit is None:
        raise Invalid(_("Choose the agency and the park or street."))
    pairing = actions.pair(actor=request.user, agency=agency, unit=unit)
    return Status(201, _pairing_out(_pairings(request).get(pk=pairing.pk)))


@router.post(
    "/pairings/{pk}/end",
    response=answers(PairingOut),
    summary=gettext_lazy("End a pairing (the office): its visits stay, no more are logged"),
)
def end_pairing(request: HttpRequest, pk: Id, body: PairingEndIn) -> PairingOut:
    pairing = _pairings(request).filter(pk=pk).first()
    if pairing is None:
        raise NotFound(_("No such pairing."))
    if body.on is not None and not 2000 <= body.on.year <= 2099:
        raise Invalid(_("Give a date such as 2026-03-15."), field="on")
    actions.end_pairing(pairing, actor=request.user, on=body.on)
    return _pairing_out(_pairings(request).get(pk=pk))


@router.post(
    "/pairings/{pk}/visits",
    response=answers(PairingOut, status=201),
    summary=gettext_lazy("Log a visit of a paired agency"),
)
def log_visit(request: HttpRequest, pk: Id, body: VisitIn) -> Status[PairingOut]:
    pairing = _pairings(request).filter(pk=pk).first()
    if pairing is None:
        raise NotFound(_("No such pairing."))
    if not 2000 <= body.on.year <= 2099:
        raise Invalid(_("Give a date such as 2026-03-15."), field="on")
    visited = list(Enterprise.objects.filter(pk__in=body.enterprises))
    actions.log_visit(
        pairing,
        actor=request.user,
        on=body.on,
        visitors=body.visitors,
        enterprises=visited,
        notes=body.notes,
        issues_found=body.issues_found,
    )
    return Status(201, _pairing_out(_pairings(request).get(pk=pk)))
