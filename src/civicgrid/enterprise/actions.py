"""Every change at the enterprise window: one function per change, named for what
happens, with an explicit ``actor``; the only writers of the window's rows and of its
log (``WindowEvent``: exactly one row per change, in the change's transaction).

Refused in order: no right (403, ``permissions.RULES``), then wrong input (400) or a
change the state does not allow (409). A complaint is a case in the normal loop: it is
received through ``intake.actions.receive`` (channel ``enterprise``, the window's
category, so ``cases.routing`` dispatches it to the business-environment office under
the window's shorter deadlines), its ``Complaint`` row written with the case
(``along``); rating it is the case's own rating transition. ``actor`` None is the
system (the demo, an import): no person's right is checked.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Model
from django.utils.translation import gettext as _

from civicgrid import inputs
from civicgrid.cases import actions as case_actions
from civicgrid.cases import clock
from civicgrid.cases.models import Case, Channel
from civicgrid.cases.rules import need_text
from civicgrid.enterprise import window
from civicgrid.enterprise.models import (
    Complaint,
    Enterprise,
    EnterpriseContact,
    Pairing,
    ServiceDay,
    ServiceDayIssue,
    Visit,
    WindowAction,
    WindowEvent,
)
from civicgrid.enterprise.permissions import check
from civicgrid.errors import Conflict, Invalid
from civicgrid.intake.actions import IntakeRequest, check_phone, receive
from civicgrid.org.models import Unit, UnitKind, User

# Where an enterprise, a service day or a pairing sits: a park, or a street or town.
PLACE_KINDS = frozenset({UnitKind.PARK, UnitKind.STREET, UnitKind.TOWN})


def _log(
    action: str,
    actor: User | None,
    *,
    enterprise: Enterprise | None = None,
    complaint: Complaint | None = None,
    note: str = "",
    data: dict[str, Any] | None = None,
) -> WindowEvent:
    return WindowEvent.objects.create(
        action=action,
        actor=actor if actor is not None and actor.is_authenticated else None,
        at=clock.now(),
        enterprise=enterprise,
        complaint=complaint,
        note=note,
        data=data or {},
    )


def _check(action: str, actor: User | None, **about: object) -> None:
    if actor is not None:
        check(action, actor, **about)


def _place(unit: Unit | None, field: str) -> Unit | None:
    if unit is not None and unit.kind not in PLACE_KINDS:
        raise Invalid(_("Choose a park, a street or a town."), field=field)
    return unit


def _department(unit: Unit | None, field: str) -> Unit | None:
    if unit is not None and (unit.kind != UnitKind.DEPARTMENT or not unit.active):
        raise Invalid(_("Choose an active department."), field=field)
    return unit


def _words(value: str, field: str, missing: str, max_length: int | None = None) -> str:
    found = inputs.text(need_text(value, missing), field, max_length=max_length)
    if max_length is not None and len(found) > max_length:
        raise Invalid(_("At most %(n)s characters, please.") % {"n": max_length}, field=field)
    return found


# --- the window itself ------------------------------------------------------------------------


def set_up_window(*, actor: User | None, office: Unit) -> Unit:
    """设立窗口: the window's category routed to ``office`` (the business-environment
    office), with its shorter deadlines (``window.write_category``)."""
    _department(office, "office")
    _check(WindowAction.SET_UP, actor, office=office)
    with transaction.atomic():
        category = window.write_category(office)
        _log(WindowAction.SET_UP, actor, note=office.name, data={"category": category.code})
    return office


# --- enterprises --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Registration:
    """An enterprise and its first contact as a form or the API hands them in."""

    name: str
    credit_code: str
    contact_name: str
    mobile: str
    password: str
    address: str = ""
    unit: Unit | None = None
    # An import's (or the demo's) password, already hashed: used as it is, unchecked.
    password_hash: str = ""


def register_enterprise(
    registration: Registration, *, actor: User | None = None
) -> tuple[Enterprise, User]:
    """企业注册: the enterprise and the account that speaks for it, in one action. The
    account's user name is the mobile number. A credit code already registered, or a
    mobile number that already has an account, is refused (409)."""
    r = registration
    name = _words(r.name, "name", _("Give the enterprise's name."), 100)
    code = inputs.credit_code(r.credit_code, "credit_code")
    contact_name = _words(r.contact_name, "contact_name", _("Give the contact's name."), 60)
    mobile = check_phone(r.mobile, required=True)
    address = inputs.text((r.address or "").strip(), "address", max_length=200)
    _place(r.unit, "unit")
    if not r.password_hash:
        try:
            validate_password(r.password or "")
        except ValidationError as error:
            raise Invalid(" ".join(error.messages), field="password") from None
    if Enterprise.objects.filter(credit_code=code).exists():
        raise Conflict(
            _("An enterprise with this unified social credit code is already registered.")
        )
    if User.objects.filter(username=mobile).exists():
        raise Conflict(_("This mobile number already has an account; log in instead."))
    try:
        with transaction.atomic():
            enterprise = Enterprise.objects.create(
                name=name,
                credit_code=code,
                address=address[:200],
                unit=r.unit,
                registered_at=clock.now(),
            )
            user = User.objects.create_user(
                username=mobile,
                password=None if r.password_hash else r.password,
                display_name=contact_name,
                phone=mobile,
            )
            if r.password_hash:
                user.password = r.password_hash
                user.save(update_fields=["password"])
            EnterpriseContact.objects.create(
                enterprise=enterprise, user=user, name=contact_name, phone=mobile
            )
            _log(
                WindowAction.REGISTER,
                actor,
                enterprise=enterprise,
                note=name,
                data={"credit_code": code, "contact": user.pk},
            )
    except IntegrityError:  # the same code or number at the same moment
        raise Conflict(
            _("An enterprise with this unified social credit code is already registered.")
        ) from None
    return enterprise, user


def _new_account(mobile: str, password: str, name: str) -> User:
    """An enterprise's account (its user name the mobile number); refused (409) when the
    number has one."""
    try:
        validate_password(password or "")
    except ValidationError as error:
        raise Invalid(" ".join(error.messages), field="password") from None
    if User.objects.filter(username=mobile).exists():
        raise Conflict(_("This mobile number already has an account; log in instead."))
    return User.objects.create_user(
        username=mobile, password=password, display_name=name, phone=mobile
    )


def add_contact(
    enterprise: Enterprise, *, actor: User | None, name: str, mobile: str, password: str
) -> EnterpriseContact:
    """添加联系人: another account that speaks for the enterprise (added by one of its
    accounts or by the office)."""
    _check(WindowAction.ADD_CONTACT, actor, enterprise=enterprise)
    name = _words(name, "name", _("Give the contact's name."), 60)
    mobile = check_phone(mobile, required=True)
    try:
        with transaction.atomic():
            user = _new_account(mobile, password, name)
            contact = EnterpriseContact.objects.create(
                enterprise=enterprise, user=user, name=name, phone=mobile
            )
            _log(
                WindowAction.ADD_CONTACT,
                actor,
                enterprise=enterprise,
                note=name,
                data={"contact": user.pk},
            )
    except IntegrityError:  # the same number at the same moment
        raise Conflict(_("This mobile number already has an account; log in instead.")) from None
    return contact


# --- complaints ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Matter:
    """A complaint as a form or the API hands it in (before checks)."""

    matter: str
    failed_office: str
    tried: str
    failed_unit: Unit | None = None
    accountable: Unit | None = None


def _case_text(m: Matter) -> str:
    return _("%(matter)s\nOffice that could not help: %(office)s\nWhat was tried: %(tried)s") % {
        "matter": m.matter,
        "office": m.failed_office,
        "tried": m.tried,
    }


def _checked(m: Matter) -> Matter:
    return Matter(
        matter=_words(m.matter, "matter", _("Say what you could not get done."), 200),
        failed_office=_words(
            m.failed_office, "failed_office", _("Say which office could not help."), 100
        ),
        tried=_words(m.tried, "tried", _("Say what you have tried.")),
        failed_unit=_department(m.failed_unit, "failed_unit"),
        accountable=_department(m.accountable, "accountable"),
    )


def _file(
    enterprise: Enterprise, matter: Matter, *, submitted_by: User | None, contact: EnterpriseContact
) -> Complaint:
    """The case through intake and its ``Complaint`` row with it (not logged here)."""
    category, _office = window.required()
    complaint = Complaint(
        enterprise=enterprise,
        matter=matter.matter,
        failed_office=matter.failed_office,
        failed_unit=matter.failed_unit,
        tried=matter.tried,
        accountable=matter.accountable,
        submitted_by=submitted_by,
        created_at=clock.now(),
    )

    def along(case: Case) -> list[Model]:
        complaint.case = case
        complaint.created_at = case.created_at
        return [complaint]

    # The enterprise is the "resident" of its case (``actor`` None): its contact's name
    # and mobile are the case's, and rating it is the resident's rating.
    receive(
        IntakeRequest(
            text=_case_text(matter),
            # the matter alone: the enterprise's name stays off public surfaces
            title=matter.matter[:120],
            category=category.code,
            phone=contact.phone,
            name=contact.name,
            address=enterprise.address,
        ),
        channel=Channel.ENTERPRISE,
        actor=None,
        along=along,
    )
    return complaint


def submit_complaint(enterprise: Enterprise, matter: Matter, *, actor: User | None) -> Complaint:
    """办不成事 反映: the enterprise's account files a complaint; it becomes a window case
    (see the module's docstring)."""
    _check(WindowAction.SUBMIT, actor, enterprise=enterprise)
    matter = _checked(matter)
    contact = (
        enterprise.contacts.filter(user=actor).first()
        if actor is not None
        else enterprise.contacts.order_by("pk").first()
    )
    if contact is None:
        raise Conflict(_("This enterprise has no contact to tell the result to."))
    with transaction.atomic():
        complaint = _file(enterprise, matter, submitted_by=actor, contact=contact)
        _log(
            WindowAction.SUBMIT,
            actor,
            enterprise=enterprise,
            complaint=complaint,
            note=matter.matter,
            data={"case": complaint.case.tracking_code},
        )
    return complaint


def _locked(complaint: Complaint) -> Complaint:
    return (
        Complaint.objects.select_for_update()
        .select_related("case", "enterprise")
        .get(pk=complaint.pk)
    )


def name_department(complaint: Complaint, *, actor: User | None, department: Unit) -> Complaint:
    """指定责任部门: the business-environment office names the department accountable."""
    _check(WindowAction.NAME_DEPARTMENT, actor)
    _department(department, "department")
    with transaction.atomic():
        fresh = _locked(complaint)
        before = fresh.accountable_id
        if before == department.pk:
            raise Conflict(_("This department is already named accountable."))
        fresh.accountable = department
        fresh.save(update_fields=["accountable"])
        _log(
            WindowAction.NAME_DEPARTMENT,
            actor,
            enterprise=fresh.enterprise,
            complaint=fresh,
            note=department.name,
            data={"before": before, "after": department.pk},
        )
    return fresh


def rate_complaint(
    complaint: Complaint,
    *,
    actor: User | None,
    rating: int,
    solved: bool,
    comment: str = "",
) -> Complaint:
    """企业评价: the enterprise rates the result, through the case's own rating (the
    resident's: closed, or reopened by the district's follow-up policy)."""
    _check(WindowAction.RATE, actor, enterprise=complaint.enterprise)
    rating = inputs.whole_number(rating, "rating", 1, 5)
    comment = inputs.text((comment or "").strip(), "comment", max_length=500)
    with transaction.atomic():
        fresh = _locked(complaint)
        case = case_actions.rate_case(
            fresh.case, actor=None, rating=rating, solved=solved, comment=comment
        )
        fresh.case = case
        _log(
            WindowAction.RATE,
            actor,
            enterprise=fresh.enterprise,
            complaint=fresh,
            note=comment,
            data={"rating": rating, "solved": solved, "state": case.state},
        )
    return fresh


# --- enterprise service days (企业服务日) ---------------------------------------------------------


def hold_service_day(
    *, actor: User | None, on: date, unit: Unit, host: Unit, theme: str = ""
) -> ServiceDay:
    """企业服务日: a day when ``host`` (an agency) meets the enterprises of ``unit``."""
    _check(WindowAction.HOLD_DAY, actor)
    _place(unit, "unit")
    _department(host, "host")
    theme = inputs.text((theme or "").strip(), "theme", max_length=100)
    with transaction.atomic():
        day = ServiceDay.objects.create(on=on, unit=unit, host=host, theme=theme)
        _log(
            WindowAction.HOLD_DAY,
            actor,
            note=theme,
            data={"day": day.pk, "on": on.isoformat(), "unit": unit.pk, "host": host.pk},
        )
    return day


def record_issue(
    day: ServiceDay, *, actor: User | None, enterprise: Enterprise, issue: str
) -> ServiceDayIssue:
    """An enterprise's issue heard on a service day."""
    _check(WindowAction.RECORD_ISSUE, actor)
    issue = _words(issue, "issue", _("Say what the enterprise raised."))
    with transaction.atomic():
        row = ServiceDayIssue.objects.create(day=day, enterprise=enterprise, issue=issue)
        _log(
            WindowAction.RECORD_ISSUE,
            actor,
            enterprise=enterprise,
            note=issue[:200],
            data={"day": day.pk, "issue": row.pk},
        )
    return row


def issue_to_complaint(issue: ServiceDayIssue, *, actor: User | None) -> Complaint:
    """转办不成事: the office makes a service day's issue a window complaint (a case),
    linked both ways; an issue becomes one complaint at most (409)."""
    _check(WindowAction.ISSUE_TO_COMPLAINT, actor)
    with transaction.atomic():
        fresh = (
            ServiceDayIssue.objects.select_for_update()
            .select_related("day__host", "enterprise")
            .get(pk=issue.pk)
        )
        if fresh.complaint_id is not None:
            raise Conflict(_("This issue is already a window complaint."))
        contact = fresh.enterprise.contacts.order_by("pk").first()
        if contact is None:
            raise Conflict(_("This enterprise has no contact to tell the result to."))
        day = fresh.day
        matter = _checked(
            Matter(
                matter=fresh.issue[:200],
                failed_office=day.host.name[:100],
                tried=_("Raised at the enterprise service day of %(on)s.") % {"on": day.on},
            )
        )
        complaint = _file(fresh.enterprise, matter, submitted_by=actor, contact=contact)
        fresh.complaint = complaint
        fresh.save(update_fields=["complaint"])
        _log(
            WindowAction.ISSUE_TO_COMPLAINT,
            actor,
            enterprise=fresh.enterprise,
            complaint=complaint,
            note=matter.matter,
            data={"issue": fresh.pk, "case": complaint.case.tracking_code},
        )
    return complaint


# --- 包联: agencies paired with parks and streets ------------------------------------------------


def pair(*, actor: User | None, agency: Unit, unit: Unit, since: date | None = None) -> Pairing:
    """包联: ``agency`` takes care of the enterprises of ``unit`` (a park or a street)."""
    _check(WindowAction.PAIR, actor)
    _department(agency, "agency")
    if _place(unit, "unit") is None:
        raise Invalid(_("Choose a park, a street or a town."), field="unit")
    try:
        with transaction.atomic():
            pairing = Pairing.objects.create(agency=agency, unit=unit, since=since or clock.today())
            _log(
                WindowAction.PAIR,
                actor,
                note=f"{agency.name} ↔ {unit.name}",
                data={"pairing": pairing.pk, "agency": agency.pk, "unit": unit.pk},
            )
    except IntegrityError:
        raise Conflict(_("This agency is already paired with this unit.")) from None
    return pairing


def end_pairing(pairing: Pairing, *, actor: User | None, on: date | None = None) -> Pairing:
    """包联 ends (``on``, today by default): the agency's visits stay on record, no more
    are logged, and the two may be paired again later."""
    _check(WindowAction.END_PAIRING, actor)
    with transaction.atomic():
        fresh = (
            Pairing.objects.select_for_update(of=("self",))
            .select_related("agency", "unit")
            .get(pk=pairing.pk)
        )
        if not fresh.active:
            raise Conflict(_("This pairing has ended."))
        ended = on or clock.today()
        if ended < fresh.since:
            raise Invalid(_("A pairing cannot end before it began."), field="on")
        fresh.active, fresh.ended_on = False, ended
        fresh.save(update_fields=["active", "ended_on"])
        _log(
            WindowAction.END_PAIRING,
            actor,
            note=f"{fresh.agency.name} ↔ {fresh.unit.name}",
            data={"pairing": fresh.pk, "ended_on": ended.isoformat()},
        )
    return fresh


def log_visit(
    pairing: Pairing,
    *,
    actor: User | None,
    on: date,
    visitors: str,
    enterprises: Iterable[Enterprise] = (),
    notes: str = "",
    issues_found: str = "",
) -> Visit:
    """走访: a visit of the paired agency, with the enterprises visited and what was found."""
    _check(WindowAction.LOG_VISIT, actor, agency=pairing.agency)
    if not pairing.active:
        raise Conflict(_("This pairing has ended."))
    visitors = _words(visitors, "visitors", _("Say who visited."), 200)
    visited = list(enterprises)
    with transaction.atomic():
        visit = Visit.objects.create(
            pairing=pairing,
            on=on,
            visitors=visitors,
            notes=inputs.text((notes or "").strip(), "notes"),
            issues_found=inputs.text((issues_found or "").strip(), "issues_found"),
            recorded_by=actor,
        )
        visit.enterprises.set(visited)
        _log(
            WindowAction.LOG_VISIT,
            actor,
            note=visitors,
            data={
                "pairing": pairing.pk,
                "visit": visit.pk,
                "enterprises": sorted(e.pk for e in visited),
            },
        )
    return visit
