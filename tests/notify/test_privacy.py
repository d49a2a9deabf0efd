"""What messages may say: staff never read the resident's number or name in them; a
resident reads nothing of anyone else (not a neighbour's number in a reply, not a
staff note, not a handler's name); a resident who asked to keep their identity from
the handlers still hears about their own request."""

from __future__ import annotations

from civicgrid.cases import actions
from civicgrid.cases.models import Case, Urgency
from civicgrid.notify.models import Notification, RecipientKind, Template
from tests.cases.conftest import Staff
from tests.factories import submit
from tests.notify.conftest import derive_all

PHONE = "13812345678"
NEIGHBOUR = "13987654321"


def texts(rows) -> list[str]:  # type: ignore[no-untyped-def]
    return [f"{n.subject}\n{n.body}\n{n.link}" for n in rows]


def _through_the_loop(staff: Staff, **fields) -> Case:  # type: ignore[no-untyped-def]
    case = submit(staff.tree, **fields)
    case = actions.triage_case(
        case,
        actor=staff.district_dispatcher,
        category=staff.categories["minor"],
        urgency=Urgency.NORMAL,
    )
    case = actions.dispatch_case(
        case, actor=staff.district_dispatcher, note="内部：来电人情绪激动，请先电话安抚"
    )
    case = actions.acknowledge_case(case, actor=staff.community_handler)
    case = actions.escalate_case(
        case, actor=staff.community_handler, reason=f"来电人张女士（{PHONE}）要求街道处理"
    )
    case = actions.return_case(case, actor=staff.street_dispatcher, reason="社区可以处理")
    case = actions.triage_case(
        case,
        actor=staff.district_dispatcher,
        category=staff.categories["minor"],
        urgency=Urgency.NORMAL,
    )
    case = actions.dispatch_case(case, actor=staff.district_dispatcher)
    case = actions.acknowledge_case(case, actor=staff.community_handler)
    case = actions.resolve_case(
        case,
        actor=staff.community_handler,
        reply=f"已协调楼下李先生（电话{NEIGHBOUR}）清理，物业王经理负责跟进。",
    )
    case = actions.verify_case(case, actor=staff.grid_worker, passed=True)
    derive_all()
    return case


def test_staff_messages_never_carry_the_residents_number_or_name(staff: Staff) -> None:
    case = _through_the_loop(
        staff,
        title=f"张女士{PHONE}反映楼道堆物",
        text=f"我是3栋2单元501的张女士，电话{PHONE}，楼道堆满纸箱。",
    )
    to_staff = Notification.objects.filter(case=case, recipient_kind=RecipientKind.STAFF)
    assert {n.template for n in to_staff} >= {
        Template.NEW_CASE,
        Template.RETURNED,
    }
    for text in texts(to_staff):
        assert PHONE not in text
        assert "张女士" not in text, text
    assert any("［电话］" in t for t in texts(to_staff)), "the number is masked, not dropped"


def test_the_resident_reads_nothing_of_anyone_else(staff: Staff) -> None:
    case = _through_the_loop(staff)
    to_resident = Notification.objects.filter(case=case, recipient_kind=RecipientKind.RESIDENT)
    assert [n.template for n in to_resident.order_by("pk")] == [
        Template.RECEIVED,
        Template.DISPATCHED,
        Template.DISPATCHED,
        Template.RESOLVED,
        Template.PLEASE_RATE,
    ]
    handlers = [str(u) for u in (staff.community_handler, staff.district_dispatcher)]
    for text in texts(to_resident):
        assert NEIGHBOUR not in text and "李先生" not in text
        assert "内部" not in text and "社区可以处理" not in text  # staff notes, reasons
        assert not any(name in text for name in handlers)
    (resolved,) = to_resident.filter(template=Template.RESOLVED)
    assert "［电话］" in resolved.body and "清理" in resolved.body


def test_a_resident_who_keeps_their_identity_still_hears_of_their_request(staff: Staff) -> None:
    case = _through_the_loop(staff, hide_identity=True, contact_name="赵先生")
    to_resident = Notification.objects.filter(case=case, recipient_kind=RecipientKind.RESIDENT)
    assert to_resident.filter(template=Template.PLEASE_RATE).count() == 1
    to_staff = Notification.objects.filter(case=case, recipient_kind=RecipientKind.STAFF)
    assert to_staff.exists()
    assert not any("赵先生" in t or PHONE in t for t in texts(to_staff))


def test_the_outbox_shows_a_residents_number_masked(staff: Staff) -> None:
    case = submit(staff.tree)
    derive_all()
    (row,) = Notification.objects.filter(case=case)
    assert row.recipient_label() == "群众 138****5678"
