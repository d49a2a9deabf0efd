"""回访's messages: a missed call tells the resident where to rate; the last one, that the
case is closed; a reopening (by the resident's word, a failed verification or a
dispatcher) tells the owner unit's people why, and never the resident's words."""

from __future__ import annotations

from civicgrid.cases import actions
from civicgrid.cases.models import Case, Urgency
from civicgrid.notify.models import Notification, RecipientKind, Template
from tests.cases.conftest import Staff
from tests.factories import submit
from tests.notify.conftest import PUBLIC_URL, derive_all, sent_to


def resolved(staff: Staff) -> Case:
    case = actions.triage_case(
        submit(staff.tree),
        actor=staff.district_dispatcher,
        category=staff.categories["minor"],
        urgency=Urgency.NORMAL,
    )
    case = actions.dispatch_case(case, actor=staff.district_dispatcher)
    case = actions.acknowledge_case(case, actor=staff.community_handler)
    return actions.resolve_case(case, actor=staff.community_handler, reply="纸箱已清理。")


def in_follow_up(staff: Staff) -> Case:
    return actions.verify_case(resolved(staff), actor=staff.grid_worker, passed=True)


def test_missed_calls_and_the_unreachable_close_tell_the_resident(staff: Staff) -> None:
    case = in_follow_up(staff)
    for _ in range(3):
        case = actions.follow_up_case(case, actor=staff.operator, reached=False, note="无人接")
    derive_all()
    code = case.tracking_code
    link = f"{PUBLIC_URL}/r/track/?code={code}"
    missed = sent_to(case, Template.MISSED_CALL)
    assert len(missed) == 2, "one per unanswered call but the last"
    assert all(m.recipient_kind == RecipientKind.RESIDENT for m in missed)
    assert missed[0].subject == "回访未能联系上您" and missed[0].link == link
    assert missed[0].body == (
        f"我们就您的诉求（编号 {code}）致电回访，未能联系上您。您也可以在 {link} "
        "告诉我们是否已解决（需输入编号和手机号后四位）。"
    )
    (closed,) = sent_to(case, Template.CLOSED_UNREACHABLE)
    assert closed.subject == "您的诉求已结案"
    assert code in closed.body and "未能联系上" in closed.body
    assert "无人接" not in closed.body + missed[0].body, "the operator's note stays inside"


def test_a_reached_call_sends_the_resident_nothing_more(staff: Staff) -> None:
    case = in_follow_up(staff)
    case = actions.follow_up_case(case, actor=staff.operator, reached=True)
    case = actions.follow_up_case(case, actor=staff.operator, reached=True, rating=5, solved=True)
    derive_all()
    assert not sent_to(case, Template.MISSED_CALL)
    assert not sent_to(case, Template.CLOSED_UNREACHABLE)
    assert not sent_to(case, Template.REOPENED)


def test_a_reopening_tells_the_owners_people_why(staff: Staff) -> None:
    case = in_follow_up(staff)
    case = actions.follow_up_case(
        case,
        actor=staff.operator,
        reached=True,
        rating=2,
        solved=True,
        comment="态度不好，张女士13812345678",
    )
    assert case.state == "handling"
    case = actions.resolve_case(case, actor=staff.community_handler, reply="已再次清理。")
    case = actions.verify_case(case, actor=staff.grid_worker, passed=False, note="仍有纸箱")
    case = actions.resolve_case(case, actor=staff.community_handler, reply="已全部清理。")
    case = actions.verify_case(case, actor=staff.grid_worker, passed=True)
    case = actions.rate_case(case, actor=None, rating=4, solved=False)  # the tracking page
    assert case.state == "closed", "reopened twice already: the policy's limit"
    case = actions.reopen_case(case, actor=staff.leader, reason="领导批示重办")
    derive_all()
    code = case.tracking_code
    reopened = sent_to(case, Template.REOPENED)
    users = {m.user for m in reopened}
    assert staff.community_handler in users and staff.operator not in users
    assert {m.recipient_kind for m in reopened} == {RecipientKind.STAFF}
    bodies = list(dict.fromkeys(m.body for m in reopened))
    assert bodies == [
        f"工单 {code}（楼道里堆满杂物）已返工，退回社区1重新处置：群众不满意（2 星）。",
        f"工单 {code}（楼道里堆满杂物）已返工，退回社区1重新处置：核查未通过：仍有纸箱",
        f"工单 {code}（楼道里堆满杂物）已返工，退回社区1重新处置：领导批示重办",
    ]
    assert reopened[0].subject == f"工单 {code} 返工"
    assert not Notification.objects.filter(body__contains="态度不好").exists()
    assert not Notification.objects.filter(body__contains="13812345678").exists()
