"""The window's actions: registering, complaining, the office's work, rating, service
days and 包联; each change logged once, refusals writing nothing."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from civicgrid.cases import actions as case_actions
from civicgrid.cases import clock, deadlines
from civicgrid.cases.models import Case, Category, Channel, DeadlinePolicy, State
from civicgrid.enterprise import actions
from civicgrid.enterprise import window as window_module
from civicgrid.enterprise.models import (
    Complaint,
    Enterprise,
    ServiceDayIssue,
    WindowAction,
    WindowEvent,
)
from civicgrid.errors import Conflict, Forbidden, Invalid
from civicgrid.org.models import Role
from tests.factories import PASSWORD, WindowFixture, a_credit_code, make_member

pytestmark = pytest.mark.django_db


def a_matter(**fields: object) -> actions.Matter:
    return actions.Matter(
        **{  # type: ignore[arg-type]
            "matter": "办理环评审批",
            "failed_office": "区生态环境分局窗口",
            "tried": "跑了三次窗口，材料被退回两次",
            **fields,
        }
    )


def logged() -> list[str]:
    return list(WindowEvent.objects.order_by("id").values_list("action", flat=True))


def work_through(w: WindowFixture, case: Case) -> Case:
    """The office works the case: dispatched (by the district), acknowledged, resolved,
    verified, to follow-up."""
    case = case_actions.dispatch_case(case, actor=w.district_dispatcher)
    assert case.owner_unit_id == w.office.pk
    case = case_actions.acknowledge_case(case, actor=w.office_staff)
    case = case_actions.resolve_case(case, actor=w.office_staff, reply="已协调环评审批，三日内办结")
    case = case_actions.verify_case(case, actor=w.district_dispatcher, passed=True)
    assert case.state == State.FOLLOW_UP
    return case


def test_registering_makes_the_enterprise_and_its_account(window: WindowFixture) -> None:
    enterprise, user = actions.register_enterprise(
        actions.Registration(
            name="丙物流有限公司",
            credit_code=a_credit_code(9).lower(),
            contact_name="王经理",
            mobile="139 0000 0009",
            password=PASSWORD,
        )
    )
    assert enterprise.credit_code == a_credit_code(9)
    assert user.username == "13900000009"
    assert user.check_password(PASSWORD)
    assert not user.memberships.exists()
    assert enterprise.contacts.get().user == user
    assert logged()[-1] == WindowAction.REGISTER


def test_a_duplicate_or_wrong_credit_code_is_refused(window: WindowFixture) -> None:
    before = (Enterprise.objects.count(), WindowEvent.objects.count())
    taken = window.enterprises[0][0].credit_code
    with pytest.raises(Conflict) as refused:
        actions.register_enterprise(
            actions.Registration("丁公司", taken, "赵", "13900000010", PASSWORD)
        )
    assert refused.value.message == "该统一社会信用代码已注册，请勿重复注册。"
    wrong = a_credit_code(11)[:17] + ("0" if a_credit_code(11)[17] != "0" else "1")
    with pytest.raises(Invalid):
        actions.register_enterprise(
            actions.Registration("丁公司", wrong, "赵", "13900000010", PASSWORD)
        )
    assert (Enterprise.objects.count(), WindowEvent.objects.count()) == before


def test_a_complaint_is_a_window_case_with_shorter_deadlines(window: WindowFixture) -> None:
    enterprise, user = window.enterprises[0]
    complaint = actions.submit_complaint(enterprise, a_matter(), actor=user)
    case = complaint.case
    assert case.channel == Channel.ENTERPRISE
    assert case.category == window_module.category()
    assert case.state == State.SUBMITTED
    assert "区生态环境分局窗口" in case.text
    assert case.contact.phone == "13900000001"
    assert logged()[-1] == WindowAction.SUBMIT
    case = case_actions.dispatch_case(case, actor=window.district_dispatcher)
    assert case.owner_unit == window.office
    # The window's own policy (2 working hours to acknowledge), not the district's (2 h
    # too in the test tree, but 40 to resolve against the window's 24).
    policy = deadlines.policy_for(case.category, case.urgency)
    assert policy.category == window_module.category()
    assert policy.resolve < DeadlinePolicy.objects.get(category=None, urgency=case.urgency).resolve


def test_from_submission_to_rating(window: WindowFixture) -> None:
    enterprise, user = window.enterprises[0]
    complaint = actions.submit_complaint(enterprise, a_matter(), actor=user)
    actions.name_department(complaint, actor=window.office_staff, department=window.tree.department)
    work_through(window, complaint.case)
    complaint = actions.rate_complaint(
        complaint, actor=user, rating=5, solved=True, comment="办得很快"
    )
    complaint.case.refresh_from_db()
    assert complaint.case.state == State.CLOSED
    assert complaint.case.rating == 5
    assert logged()[-3:] == [WindowAction.SUBMIT, WindowAction.NAME_DEPARTMENT, WindowAction.RATE]
    assert complaint.accountable == window.tree.department


def test_refusals_write_nothing(window: WindowFixture) -> None:
    (mine, me), (theirs, them) = window.enterprises
    before = WindowEvent.objects.count()
    with pytest.raises(Forbidden) as refused:
        actions.submit_complaint(theirs, a_matter(), actor=me)
    assert refused.value.message == "只有企业本身的账号可以提交本企业的诉求。"
    complaint = actions.submit_complaint(mine, a_matter(), actor=me)
    with pytest.raises(Forbidden):
        actions.rate_complaint(complaint, actor=them, rating=1, solved=False)
    with pytest.raises(Conflict):  # not yet in follow-up
        actions.rate_complaint(complaint, actor=me, rating=1, solved=False)
    with pytest.raises(Forbidden):
        actions.name_department(complaint, actor=me, department=window.tree.department)
    stranger = make_member(window.tree.communities[0], Role.DISPATCHER)
    with pytest.raises(Forbidden):
        actions.name_department(complaint, actor=stranger, department=window.tree.department)
    with pytest.raises(Invalid):
        actions.submit_complaint(mine, a_matter(matter="  "), actor=me)
    assert WindowEvent.objects.count() == before + 1
    assert Complaint.objects.count() == 1


def test_a_service_day_issue_becomes_a_complaint_once(window: WindowFixture) -> None:
    enterprise, _user = window.enterprises[1]
    day = actions.hold_service_day(
        actor=window.office_staff,
        on=date(2026, 11, 15),
        unit=window.park,
        host=window.tree.department,
        theme="城管执法进园区",
    )
    issue = actions.record_issue(
        day, actor=window.office_staff, enterprise=enterprise, issue="厂区门口占道停车无人管"
    )
    complaint = actions.issue_to_complaint(issue, actor=window.office_staff)
    assert ServiceDayIssue.objects.get(pk=issue.pk).complaint == complaint
    assert complaint.service_day_issue.pk == issue.pk
    assert complaint.enterprise == enterprise
    assert complaint.case.channel == Channel.ENTERPRISE
    with pytest.raises(Conflict):
        actions.issue_to_complaint(issue, actor=window.office_staff)
    with pytest.raises(Forbidden):
        actions.hold_service_day(
            actor=window.enterprises[0][1],
            on=date(2026, 11, 15),
            unit=window.park,
            host=window.tree.department,
        )


def test_pairing_and_visits(window: WindowFixture) -> None:
    agency = window.tree.department
    pairing = actions.pair(actor=window.office_staff, agency=agency, unit=window.park)
    with pytest.raises(Conflict):
        actions.pair(actor=window.office_staff, agency=agency, unit=window.park)
    agency_staff = make_member(agency, Role.HANDLER)
    visit = actions.log_visit(
        pairing,
        actor=agency_staff,
        on=date(2026, 11, 20),
        visitors="李科长、陈干事",
        enterprises=[window.enterprises[0][0]],
        notes="了解用工需求",
        issues_found="园区公交班次少",
    )
    assert list(visit.enterprises.all()) == [window.enterprises[0][0]]
    outsider = make_member(window.tree.communities[1], Role.HANDLER)
    with pytest.raises(Forbidden):
        actions.log_visit(pairing, actor=outsider, on=date(2026, 11, 20), visitors="某人")
    with pytest.raises(Invalid):
        actions.pair(actor=window.office_staff, agency=window.park, unit=window.park)
    assert logged()[-2:] == [WindowAction.PAIR, WindowAction.LOG_VISIT]


def test_ending_a_pairing_keeps_its_visits_and_stops_new_ones(window: WindowFixture) -> None:
    agency = window.tree.department
    pairing = actions.pair(
        actor=window.office_staff, agency=agency, unit=window.park, since=date(2026, 3, 1)
    )
    agency_staff = make_member(agency, Role.HANDLER)
    actions.log_visit(pairing, actor=agency_staff, on=date(2026, 4, 2), visitors="李科长")
    # Refused, writing nothing: the agency itself, a day before it began.
    with pytest.raises(Forbidden):
        actions.end_pairing(pairing, actor=agency_staff)
    with pytest.raises(Invalid):
        actions.end_pairing(pairing, actor=window.office_staff, on=date(2026, 2, 28))
    pairing.refresh_from_db()
    assert pairing.active and pairing.ended_on is None
    assert logged()[-1] == WindowAction.LOG_VISIT

    ended = actions.end_pairing(pairing, actor=window.office_staff, on=date(2026, 11, 30))
    assert (ended.active, ended.ended_on) == (False, date(2026, 11, 30))
    assert logged()[-1] == WindowAction.END_PAIRING
    assert WindowEvent.objects.last().data == {"pairing": pairing.pk, "ended_on": "2026-11-30"}
    assert ended.visits.count() == 1
    with pytest.raises(Conflict):  # (from a stale copy too: the row is read again, locked)
        actions.end_pairing(pairing, actor=window.office_staff)
    with pytest.raises(Conflict):
        actions.log_visit(ended, actor=agency_staff, on=date(2026, 12, 1), visitors="李科长")
    assert logged().count(WindowAction.END_PAIRING) == 1
    # The two may be paired again.
    again = actions.pair(actor=window.office_staff, agency=agency, unit=window.park)
    assert again.active and again.pk != pairing.pk


def test_a_pairing_begins_and_ends_on_the_districts_date(window: WindowFixture) -> None:
    early = datetime(2026, 12, 5, 17, 30, tzinfo=UTC)  # 01:30 on 6 December in Beijing
    with clock.at(early):
        pairing = actions.pair(
            actor=window.office_staff, agency=window.tree.department, unit=window.park
        )
        ended = actions.end_pairing(pairing, actor=window.office_staff)
    assert (pairing.since, ended.ended_on) == (date(2026, 12, 6), date(2026, 12, 6))


def test_without_the_window_set_up_a_complaint_is_refused(window: WindowFixture) -> None:
    Category.objects.filter(code="YS01").update(active=False)
    enterprise, user = window.enterprises[0]
    with pytest.raises(Conflict) as refused:
        actions.submit_complaint(enterprise, a_matter(), actor=user)
    assert refused.value.message == "本区尚未设立企业服务窗口。"
    assert window_module.office() is None
    assert not Complaint.objects.exists()
    assert not Case.objects.exists()


def test_an_enterprise_adds_a_contact(window: WindowFixture) -> None:
    (mine, me), (theirs, _them) = window.enterprises
    contact = actions.add_contact(
        mine, actor=me, name="周会计", mobile="13900000040", password=PASSWORD
    )
    assert contact.user.username == "13900000040"
    assert set(mine.contacts.values_list("name", flat=True)) == {"联系人1", "周会计"}
    with pytest.raises(Forbidden):
        actions.add_contact(theirs, actor=me, name="冒名", mobile="13900000041", password=PASSWORD)
    with pytest.raises(Conflict):
        actions.add_contact(mine, actor=me, name="重复", mobile="13900000040", password=PASSWORD)
    # The new account speaks for the enterprise: it may submit and sees the complaints.
    complaint = actions.submit_complaint(mine, a_matter(), actor=contact.user)
    assert complaint.submitted_by == contact.user
    assert logged()[-2:] == [WindowAction.ADD_CONTACT, WindowAction.SUBMIT]
