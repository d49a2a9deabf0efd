"""Each step of a case gives the right messages to the right people (through the real
transitions, the sweeper's batch writer and the derivation)."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from civicgrid.cases import actions
from civicgrid.cases.models import Case, Urgency
from civicgrid.dispatch import sweeper
from civicgrid.notify.models import Channel, Delivery, Notification, RecipientKind, Template
from civicgrid.org.models import Role
from tests.cases.conftest import Staff
from tests.factories import make_member, make_unit, submit
from tests.notify.conftest import PUBLIC_URL, derive_all, sent_to


def _to(case: Case) -> list[tuple[str, str]]:
    """(template, recipient key) of the case's messages, in the order they were made."""
    rows = Notification.objects.filter(case=case).order_by("event__seq", "recipient_key")
    return list(rows.values_list("template", "recipient_key"))


def _key(user) -> str:  # type: ignore[no-untyped-def]
    return f"user:{user.pk}"


def _dispatched(staff: Staff, category: str = "minor", **fields) -> Case:  # type: ignore[no-untyped-def]
    case = actions.triage_case(
        submit(staff.tree, **fields),
        actor=staff.district_dispatcher,
        category=staff.categories[category],
        urgency=Urgency.NORMAL,
    )
    return actions.dispatch_case(case, actor=staff.district_dispatcher)


def test_the_resident_hears_each_step_of_the_loop(staff: Staff) -> None:
    case = _dispatched(staff)
    case = actions.acknowledge_case(case, actor=staff.community_handler)
    case = actions.handle_case(case, actor=staff.community_handler, note="已联系物业")
    case = actions.resolve_case(case, actor=staff.community_handler, reply=FULL_REPLY)
    case = actions.verify_case(case, actor=staff.grid_worker, passed=True)
    case = actions.follow_up_case(case, actor=staff.operator, reached=True)
    case = actions.rate_case(case, actor=None, rating=5, solved=True)
    derive_all()

    resident = [t for t, key in _to(case) if key == RecipientKind.RESIDENT]
    assert resident == [
        Template.RECEIVED,
        Template.DISPATCHED,
        Template.RESOLVED,
        Template.PLEASE_RATE,
    ]
    code = case.tracking_code
    link = f"{PUBLIC_URL}/r/track/?code={code}"
    (received,) = sent_to(case, Template.RECEIVED)
    assert received.subject == "您的诉求已受理"
    assert code in received.body and link in received.body and received.link == link
    (dispatched,) = sent_to(case, Template.DISPATCHED)
    assert dispatched.body == f"您的诉求（编号 {code}）已派至社区1办理。"
    (resolved,) = sent_to(case, Template.RESOLVED)
    assert resolved.body == f"您的诉求（编号 {code}）已办结。答复：{FULL_REPLY}"
    (rate,) = sent_to(case, Template.PLEASE_RATE)
    assert rate.link == link and link in rate.body and "评价" in rate.body
    # The log adapter (the default) carries each, waiting to be sent.
    assert set(Notification.objects.values_list("channel", "state")) == {
        (Channel.LOG, Delivery.PENDING)
    }


FULL_REPLY = "物业已于今天上午把楼道里的纸箱全部清走，消防通道恢复畅通，请您监督。"


def test_a_reply_that_says_too_little_is_not_sent_word_for_word(staff: Staff) -> None:
    case = _dispatched(staff)
    case = actions.acknowledge_case(case, actor=staff.community_handler)
    case = actions.resolve_case(case, actor=staff.community_handler, reply="已处理。")
    derive_all()
    (resolved,) = sent_to(case, Template.RESOLVED)
    assert "已处理" not in resolved.body
    assert (
        resolved.body
        == f"您的诉求（编号 {case.tracking_code}）已报办结，答复正在核实，核实后可在查询页面查看。"
    )


def test_a_failed_verification_asks_for_no_rating(staff: Staff) -> None:
    case = _dispatched(staff)
    case = actions.acknowledge_case(case, actor=staff.community_handler)
    case = actions.resolve_case(case, actor=staff.community_handler, reply="已清理。")
    actions.verify_case(case, actor=staff.grid_worker, passed=False, note="仍有纸箱")
    derive_all()
    assert not sent_to(case, Template.PLEASE_RATE)


def test_a_new_case_goes_to_the_people_of_its_unit_only(staff: Staff) -> None:
    dispatcher_there = make_member(staff.tree.communities[0], Role.DISPATCHER)
    make_member(staff.tree.communities[0], Role.OPERATOR)  # does not acknowledge cases
    case = _dispatched(staff)
    derive_all()
    new = sorted(key for t, key in _to(case) if t == Template.NEW_CASE)
    assert new == sorted([_key(staff.community_handler), _key(dispatcher_there)])
    (message, *_rest) = sent_to(case, Template.NEW_CASE)
    assert message.unit_id == staff.tree.communities[0].pk
    assert message.body == f"社区1有新工单 {case.tracking_code}：楼道里堆满杂物。请及时签收。"
    # Not the street above (it sees the case in its queue), not the other community.
    assert _key(staff.street_dispatcher) not in new
    assert _key(staff.other_community_handler) not in new


def test_escalation_return_reminder_and_supervision(staff: Staff) -> None:
    case = _dispatched(staff)
    case = actions.escalate_case(case, actor=staff.community_handler, reason="需街道协调")
    case = actions.remind_case(case, actor=staff.leader, note="请尽快签收")
    case = actions.supervise_case(case, actor=staff.leader, reason="群众多次来电")
    case = actions.return_case(case, actor=staff.street_dispatcher, reason="应由区里处理")
    derive_all()
    street, district = _key(staff.street_dispatcher), _key(staff.district_dispatcher)
    assert [(t, k) for t, k in _to(case) if k != RecipientKind.RESIDENT][1:] == [
        (Template.NEW_CASE, street),
        (Template.REMINDER, street),
        (Template.SUPERVISION, street),
        (Template.RETURNED, district),
    ]
    (escalated,) = [
        n for n in sent_to(case, Template.NEW_CASE) if n.user_id != staff.community_handler.pk
    ]
    assert "已提级至第1街道" in escalated.body and "需街道协调" in escalated.body
    (supervision,) = sent_to(case, Template.SUPERVISION)
    assert supervision.body.endswith("已被督办：群众多次来电")
    (returned,) = sent_to(case, Template.RETURNED)
    assert "应由区里处理" in returned.body
    # The resident hears of the dispatch only: escalations and returns are staff matters.
    assert [t for t, k in _to(case) if k == RecipientKind.RESIDENT] == [
        Template.RECEIVED,
        Template.DISPATCHED,
    ]


def test_a_whistle_calls_each_department_and_a_late_check_in_reminds_it(staff: Staff) -> None:
    lead_department = staff.tree.unit("DX01")
    second = make_unit("DX02", "区住建局", "department", staff.tree.district)
    second_handler = make_member(second, Role.HANDLER)
    case = _dispatched(staff, category="moderate")  # at street 0
    actions.whistle_case(
        case,
        actor=staff.street_dispatcher,
        lead=lead_department,
        assisting=[second],
        note="联合执法",
    )
    task = case.tasks.get(department=lead_department)
    actions.remind_case(case, actor=None, note="报到将超时", deadline=f"check_in:{task.pk}")
    derive_all()
    whistles = sent_to(case, Template.WHISTLE)
    assert {n.user_id: n.unit_id for n in whistles} == {
        staff.department_handler.pk: lead_department.pk,
        second_handler.pk: second.pk,
    }
    lead = next(n for n in whistles if n.user_id == staff.department_handler.pk)
    helper = next(n for n in whistles if n.user_id == second_handler.pk)
    assert "牵头部门" in lead.body and "协办部门" in helper.body and "前报到" in lead.body
    # The late check-in is the department's: its people are reminded, not the street's.
    (reminder,) = sent_to(case, Template.REMINDER)
    assert reminder.user_id == staff.department_handler.pk


def test_a_follow_up_deadline_reminds_those_who_call_residents(staff: Staff) -> None:
    operator = make_member(staff.tree.communities[0], Role.OPERATOR)
    case = _dispatched(staff)
    actions.remind_case(case, actor=None, note="回访将超时", deadline="follow_up")
    derive_all()
    assert [n.user_id for n in sent_to(case, Template.REMINDER)] == [operator.pk]


def test_steps_that_concern_nobody_give_no_message(staff: Staff) -> None:
    case = submit(staff.tree)
    actions.reject_case(case, actor=staff.district_dispatcher, reason="测试数据")
    other = _dispatched(staff)
    actions.withdraw_from_public(other, actor=staff.district_dispatcher, reason="涉及隐私")
    derive_all()
    assert _to(case) == [(Template.RECEIVED, RecipientKind.RESIDENT)]
    assert [t for t, _k in _to(other)].count(Template.RECEIVED) == 1
    assert Notification.objects.filter(case=other).count() == 3  # received, dispatched, new


def test_no_phone_no_resident_message(staff: Staff) -> None:
    case = submit(staff.tree, contact_phone="", channel="patrol")
    derive_all()
    assert _to(case) == []


def test_the_sweepers_batches_give_the_messages_of_the_one_case_transitions(staff: Staff) -> None:
    """The sweeper writes its events many at a time (COPY on PostgreSQL); the outbox
    reads them like any other: escalation, supervision, reminder."""
    overdue, soon = _dispatched(staff), _dispatched(staff)
    Case.objects.filter(pk=overdue.pk).update(acknowledge_due=timezone.now() - timedelta(minutes=5))
    Case.objects.filter(pk=soon.pk).update(acknowledge_due=timezone.now() + timedelta(minutes=20))
    result = sweeper.sweep()
    assert (result.escalated, result.supervised, result.reminded) == (1, 1, 1)
    derive_all()
    street = _key(staff.street_dispatcher)
    assert [(t, k) for t, k in _to(overdue)][-2:] == [
        (Template.NEW_CASE, street),
        (Template.SUPERVISION, street),
    ]
    (reminder,) = sent_to(soon, Template.REMINDER)
    assert reminder.user_id == staff.community_handler.pk and "期限将至" in reminder.body
