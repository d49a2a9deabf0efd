"""Appeals (申诉): a unit asks the district to leave a case out of its figures; the
district upholds or rejects; upheld appeals leave the figures; every step audited."""

from __future__ import annotations

from datetime import datetime
from itertools import pairwise
from typing import Any

import pytest
from django.test import Client, override_settings

from civicgrid.cases import actions, clock
from civicgrid.cases.models import Case, Photo, Urgency
from civicgrid.errors import Conflict, Forbidden, Invalid, Refusal
from civicgrid.evaluation import actions as appeals
from civicgrid.evaluation import indicators as ind
from civicgrid.evaluation.models import Appeal, AppealEvent, AppealState, Ground
from civicgrid.evaluation.selection import selection_for
from civicgrid.org.models import Role, User
from tests.cases.conftest import Staff
from tests.evaluation.conftest import local
from tests.factories import make_member, submit
from tests.images import image_bytes, upload

MARCH_3 = local(2025, 3, 3, 9)
APRIL_2 = local(2025, 4, 2, 10)  # within the appeals for March (until the end of 5 April)
APRIL_6 = local(2025, 4, 6, 0, 0)  # March's appeals are closed


def dispatched(staff: Staff, when: datetime = MARCH_3) -> Case:
    """A case of March at community 0, acknowledged late (so it weighs on the response rate)."""
    with clock.at(when):
        case = submit(staff.tree)
        case = actions.triage_case(
            case,
            actor=staff.district_dispatcher,
            category=staff.categories["minor"],
            urgency=Urgency.NORMAL,
        )
        case = actions.dispatch_case(case, actor=staff.district_dispatcher)
    with clock.at(local(2025, 3, 20, 10)):
        return actions.acknowledge_case(case, actor=staff.community_handler)


def response(staff: Staff, unit: str = "D01") -> ind.Figure:
    """Community 0's response rate in March, as the street's leader sees it."""
    selection = selection_for(staff.leader, period="2025-03", unit=unit)
    table = ind.by_unit(selection, at=local(2025, 4, 10))
    return next(r for r in table.rows if r.key == "D01001").figures["response"]


def appeal(staff: Staff, case: Case, actor: User | None = None, **kwargs: Any) -> Appeal:
    kwargs.setdefault("ground", Ground.UNREASONABLE)
    kwargs.setdefault("reason", "居民要求拆除邻居合法搭建的雨棚，超出本单位职责和法律规定。")
    with clock.at(kwargs.pop("at", APRIL_2)):
        return appeals.submit_appeal(case, actor=actor or staff.community_handler, **kwargs)


def refused(kind: type[Refusal], message: str, function: Any, *args: Any, **kwargs: Any) -> None:
    with pytest.raises(kind) as caught:
        function(*args, **kwargs)
    assert caught.value.message == message


def log(item: Appeal) -> list[tuple[str, str, str, str]]:
    return list(
        AppealEvent.objects.filter(appeal=item)
        .order_by("seq")
        .values_list("action", "actor__username", "from_state", "to_state")
    )


# --- the path ----------------------------------------------------------------------------


def test_an_upheld_appeal_takes_the_case_out_of_the_unit_s_figures(staff: Staff) -> None:
    on_time = dispatched(staff)
    with clock.at(local(2025, 3, 3, 10)):
        other = actions.acknowledge_case(
            dispatched_unacknowledged(staff), actor=staff.community_handler
        )
    assert response(staff) == ind.Figure(ind.RATE, 1, 2)  # one late, one on time
    assert on_time.acknowledged_at > on_time.acknowledge_due
    assert other.acknowledged_at <= other.acknowledge_due

    made = appeal(staff, on_time, evidence=[_photo()])
    assert made.state == AppealState.SUBMITTED and made.unit == staff.tree.communities[0]
    assert len(made.evidence) == 1
    assert Photo.objects.filter(case=on_time, name=made.evidence[0]).exists()
    assert response(staff) == ind.Figure(ind.RATE, 1, 2)  # waiting: still counted

    with clock.at(local(2025, 4, 8, 9)):  # the district may decide after the deadline
        decided = appeals.uphold_appeal(made, actor=staff.leader, note="经核实，诉求不合理")
    assert decided.state == AppealState.UPHELD and decided.decided_by == staff.leader
    assert decided.decision_note == "经核实，诉求不合理"
    on_time.refresh_from_db()
    assert on_time.excluded_by_appeal and on_time.version == 4  # the case's own log untouched
    assert response(staff) == ind.Figure(ind.RATE, 1, 1)
    total = ind.total(selection_for(staff.leader, period="2025-03"), at=local(2025, 4, 10))
    assert total.cases == 1 and total.excluded["appeal_upheld"] == 1
    assert log(made) == [
        ("submit", "sq", "", "submitted"),
        ("uphold", "lingdao", "submitted", "upheld"),
    ]
    # The exclusion drills down to the case.
    _subject, rows = ind.behind(selection_for(staff.leader, period="2025-03"), "appeal_upheld")
    assert list(rows.values_list("pk", flat=True)) == [on_time.pk]


def dispatched_unacknowledged(staff: Staff) -> Case:
    with clock.at(local(2025, 3, 3, 9, 30)):
        case = submit(staff.tree, title="路灯不亮")
        case = actions.triage_case(
            case,
            actor=staff.district_dispatcher,
            category=staff.categories["minor"],
            urgency=Urgency.NORMAL,
        )
        return actions.dispatch_case(case, actor=staff.district_dispatcher)


def _photo():  # type: ignore[no-untyped-def]
    from civicgrid.cases.photos import check_photo

    return check_photo(upload(image_bytes()))


def test_a_rejected_appeal_changes_nothing_and_says_why(staff: Staff) -> None:
    case = dispatched(staff)
    made = appeal(staff, case, ground=Ground.NOT_OURS)
    refused(
        Invalid, "请说明驳回申诉的理由。", appeals.reject_appeal, made, actor=staff.leader, note=" "
    )
    decided = appeals.reject_appeal(made, actor=staff.district_dispatcher, note="属于社区职责")
    assert decided.state == AppealState.REJECTED and decided.decision_note == "属于社区职责"
    case.refresh_from_db()
    assert not case.excluded_by_appeal
    assert response(staff) == ind.Figure(ind.RATE, 0, 1)
    assert log(made)[-1] == ("reject", "qu_diaodu", "submitted", "rejected")
    # Deciding twice: 409, whichever way.
    refused(Conflict, "该申诉已裁决。", appeals.uphold_appeal, made, actor=staff.leader)
    refused(Conflict, "该申诉已裁决。", appeals.reject_appeal, made, actor=staff.leader, note="否")
    case.refresh_from_db()
    assert not case.excluded_by_appeal and len(log(made)) == 2
    # After a rejection the unit may appeal again (once at a time) until the deadline.
    again = appeal(staff, case, ground=Ground.DUPLICATE, reason="与 3 月 1 日的工单重复")
    assert again.state == AppealState.SUBMITTED


def test_the_unit_withdraws_its_appeal_while_it_waits(staff: Staff) -> None:
    case = dispatched(staff)
    made = appeal(staff, case)
    refused(
        Forbidden,
        "只有提出申诉的单位可以撤回申诉。",
        appeals.withdraw_appeal,
        made,
        actor=staff.other_community_handler,
    )
    # Anyone of the appealing side over the unit may withdraw: here the street's dispatcher.
    withdrawn = appeals.withdraw_appeal(made, actor=staff.street_dispatcher)
    assert withdrawn.state == AppealState.WITHDRAWN
    assert log(made)[-1] == ("withdraw", "jd_diaodu", "submitted", "withdrawn")
    refused(
        Conflict,
        "已撤回的申诉不能撤回。",
        appeals.withdraw_appeal,
        made,
        actor=staff.community_handler,
    )
    refused(Conflict, "已撤回的申诉不能维持。", appeals.uphold_appeal, made, actor=staff.leader)
    assert response(staff) == ind.Figure(ind.RATE, 0, 1)


# --- refusals ------------------------------------------------------------------------------


def test_only_the_case_s_unit_or_one_above_it_below_the_district_may_appeal(staff: Staff) -> None:
    case = dispatched(staff)
    not_theirs = "只有承办该工单的单位（或其上级单位）可以申诉。"
    for outsider in (
        staff.other_community_handler,  # a neighbouring community
        staff.other_street_dispatcher,  # another street
        staff.department_handler,
        staff.district_dispatcher,  # the district does not appeal to itself
        staff.grid_worker,  # a grid worker of the case's grid: not an appealing role
    ):
        refused(Forbidden, not_theirs, appeal, staff, case, actor=outsider)
    assert not Appeal.objects.exists()
    # The street above the community may appeal for it.
    made = appeal(staff, case, actor=staff.street_dispatcher)
    assert made.unit == staff.tree.communities[0]


def test_the_district_decides_and_nobody_decides_their_own_unit_s_appeal(staff: Staff) -> None:
    case = dispatched(staff)
    made = appeal(staff, case)
    district_only = "只有区级调度员、领导或管理员可以裁决申诉。"
    for actor in (staff.community_handler, staff.street_dispatcher, staff.operator):
        refused(Forbidden, district_only, appeals.uphold_appeal, made, actor=actor)
    # A district dispatcher who is also a dispatcher of the appealing street: refused.
    both = make_member(staff.tree.district, Role.DISPATCHER, username="shuangzhi")
    make_member_of(both, staff.tree.streets[0], Role.DISPATCHER)
    refused(Forbidden, "不能裁决本单位的申诉。", appeals.uphold_appeal, made, actor=both)
    made.refresh_from_db()
    assert made.state == AppealState.SUBMITTED and len(log(made)) == 1


def make_member_of(user: User, unit: Any, role: str) -> None:
    from civicgrid.org.models import Membership

    Membership.objects.create(user=user, unit=unit, role=role)
    user.__dict__.pop("_civicgrid_scope", None)


def test_appeals_close_after_the_configured_day_of_the_next_month(staff: Staff) -> None:
    case = dispatched(staff)
    closed = "该工单所属月份的申诉已于 2025-04-05 截止，不能再申诉。"
    refused(Conflict, closed, appeal, staff, case, at=APRIL_6)
    assert appeal(staff, case, at=local(2025, 4, 5, 23, 59)).state == AppealState.SUBMITTED
    assert appeals.appeal_closes_at(local(2025, 12, 31, 23)) == local(2026, 1, 6)
    with override_settings(APPEAL_DAYS_AFTER_MONTH=10):
        assert appeals.appeal_closes_at(MARCH_3) == local(2025, 4, 11)


def test_one_open_appeal_per_case_and_none_on_a_case_that_counts_nowhere(staff: Staff) -> None:
    case = dispatched(staff)
    appeal(staff, case)
    waiting = "该工单已有一件申诉在等待区级裁决。"
    refused(Conflict, waiting, appeal, staff, case, actor=staff.street_dispatcher)
    assert Appeal.objects.count() == 1
    with clock.at(MARCH_3):
        rejected = actions.reject_case(
            submit(staff.tree), actor=staff.district_dispatcher, reason="不属于政府职能"
        )
    # The rejected case is the district's own: nobody may appeal it (403 first) …
    refused(Forbidden, "只有承办该工单的单位（或其上级单位）可以申诉。", appeal, staff, rejected)
    # … and were it a unit's, it counts nowhere anyway (409).
    Case.objects.filter(pk=rejected.pk).update(owner_unit=staff.tree.communities[0])
    refused(Conflict, "该工单不计入任何指标，无需申诉。", appeal, staff, rejected)


def test_input_is_checked(staff: Staff) -> None:
    case = dispatched(staff)
    refused(Invalid, "请选择申诉理由类别。", appeal, staff, case, ground="bored")
    refused(Invalid, "请填写申诉理由。", appeal, staff, case, reason="  ")
    assert not Appeal.objects.exists()


# --- the API -------------------------------------------------------------------------------


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def post_appeal(client: Client, case: Case, **fields: Any):  # type: ignore[no-untyped-def]
    data = {"case": case.tracking_code, "ground": "unreasonable", "reason": "诉求不合理", **fields}
    with clock.at(APRIL_2):
        return client.post("/api/evaluation/appeals", data)


def test_the_api_from_appeal_to_decision(staff: Staff) -> None:
    case = dispatched(staff)
    handler = client_for(staff.community_handler)
    made = post_appeal(handler, case, evidence=[upload(image_bytes("PNG"), "a.png", "image/png")])
    assert made.status_code == 201, made.content
    body = made.json()
    assert body["state"] == "submitted" and body["unit"]["code"] == "D01001"
    assert body["ground_label"] == "群众诉求不合理" and len(body["evidence"]) == 1
    assert body["allowed_actions"] == ["withdraw"]
    assert [e["action"] for e in body["events"]] == ["submit"]
    photo = handler.get(f"/api/cases/{case.tracking_code}/photos/{body['evidence'][0]}")
    assert photo.status_code == 200

    # The district sees it, pending first, with its buttons; another unit does not.
    leader = client_for(staff.leader)
    listed = leader.get("/api/evaluation/appeals", {"state": "submitted"}).json()
    assert [a["id"] for a in listed["appeals"]] == [body["id"]]
    assert listed["appeals"][0]["allowed_actions"] == ["uphold", "reject"]
    other = client_for(staff.other_community_handler)
    assert other.get("/api/evaluation/appeals").json()["appeals"] == []
    assert other.get(f"/api/evaluation/appeals/{body['id']}").status_code == 404

    # A handler deciding: 403; the leader upholds; deciding twice: 409.
    url = f"/api/evaluation/appeals/{body['id']}"
    denied = handler.post(f"{url}/uphold", {"note": ""}, content_type="application/json")
    assert denied.status_code == 403
    assert denied.json()["detail"] == "只有区级调度员、领导或管理员可以裁决申诉。"
    upheld = leader.post(f"{url}/uphold", {"note": "成立"}, content_type="application/json")
    assert upheld.status_code == 200 and upheld.json()["state"] == "upheld"
    again = leader.post(f"{url}/reject", {"note": "不"}, content_type="application/json")
    assert again.status_code == 409 and again.json()["detail"] == "该申诉已裁决。"
    assert [e["action"] for e in leader.get(url).json()["events"]] == ["submit", "uphold"]
    assert response(staff) == ind.Figure(ind.RATE, 0, 0)


def test_the_api_s_refusals(staff: Staff) -> None:
    case = dispatched(staff)
    # Another unit's case: it cannot even see it (404); a visible but not its own: 403.
    other = client_for(staff.other_community_handler)
    hidden = post_appeal(other, case)
    assert hidden.status_code == 404
    grid = client_for(staff.grid_worker)
    assert post_appeal(grid, case).status_code == 403
    # A fake image as evidence: 400, and nothing stored.
    handler = client_for(staff.community_handler)
    fake = post_appeal(handler, case, evidence=[upload(b"GIF89a not really", "x.jpg")])
    assert fake.status_code == 400
    assert fake.json()["detail"] == "x.jpg 不是 JPEG、PNG 或 WebP 图片。"
    assert not Appeal.objects.exists() and not Photo.objects.filter(case=case).exists()
    # After the deadline: 409.
    with clock.at(APRIL_6):
        late = handler.post(
            "/api/evaluation/appeals",
            {"case": case.tracking_code, "ground": "duplicate", "reason": "重复"},
        )
    assert late.status_code == 409 and "截止" in late.json()["detail"]
    # A second open appeal: 409.
    assert post_appeal(handler, case).status_code == 201
    second = post_appeal(client_for(staff.street_dispatcher), case)
    assert second.status_code == 409
    assert second.json()["detail"] == "该工单已有一件申诉在等待区级裁决。"
    assert Appeal.objects.count() == 1 and AppealEvent.objects.count() == 1


# --- the console ---------------------------------------------------------------------------


def case_page_queries(client: Client, case: Case) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        assert client.get(f"/cases/{case.tracking_code}/").status_code == 200
    return len(queries)


def test_the_case_page_offers_the_appeal_to_the_unit_and_costs_the_same(staff: Staff) -> None:
    case = dispatched(staff)
    handler = client_for(staff.community_handler)
    with clock.at(APRIL_2):
        page = handler.get(f"/cases/{case.tracking_code}/").content.decode()
        assert 'id="appeal-form"' in page and "群众诉求不合理" in page
        before = case_page_queries(handler, case)
        for actor in (staff.district_dispatcher, staff.other_street_dispatcher):
            other = client_for(actor).get(f"/cases/{case.tracking_code}/")
            assert 'id="appeal-form"' not in other.content.decode()
        posted = handler.post(
            f"/evaluation/cases/{case.tracking_code}/appeal/",
            {
                "ground": "duplicate",
                "reason": "与上周的工单重复",
                "evidence": [upload(image_bytes())],
            },
        )
        assert posted.status_code == 302
        made = Appeal.objects.get()
        made_two = appeal(staff, dispatched(staff), reason="另一件")
        appeals.reject_appeal(made_two, actor=staff.leader, note="否")
        page = handler.get(f"/cases/{case.tracking_code}/").content.decode()
        assert f'data-appeal="{made.pk}" data-state="submitted"' in page
        assert 'id="appeal-form"' not in page  # one open appeal at a time
        assert case_page_queries(handler, case) == before
    with clock.at(APRIL_6):  # closed: no form
        page = client_for(staff.street_dispatcher).get(f"/cases/{case.tracking_code}/")
        assert 'id="appeal-form"' not in page.content.decode()


def test_the_appeals_page_the_district_decides_units_see_their_own(staff: Staff) -> None:
    first = appeal(staff, dispatched(staff), reason="第一件")
    second = appeal(staff, dispatched(staff), reason="第二件")
    leader = client_for(staff.leader)
    page = leader.get("/evaluation/appeals/")
    assert page.status_code == 200 and page.context["current"] == "pending"
    # The queue: the longest waiting first, each with its buttons.
    assert [a.pk for a, _allowed in page.context["rows"]] == [first.pk, second.pk]
    assert all(allowed == ["uphold", "reject"] for _a, allowed in page.context["rows"])
    html = page.content.decode()
    assert 'data-action="uphold"' in html and "维持" in html and "驳回" in html
    done = leader.post(f"/evaluation/appeals/{first.pk}/uphold/", {"note": "成立"})
    assert done.status_code == 302
    first.refresh_from_db()
    assert first.state == AppealState.UPHELD
    assert [a.pk for a, _ in leader.get("/evaluation/appeals/").context["rows"]] == [second.pk]
    # A handler's page: their unit's appeals, newest first, and only withdraw.
    handler = client_for(staff.community_handler)
    mine = handler.get("/evaluation/appeals/")
    assert mine.context["current"] == "all"
    assert [(a.pk, allowed) for a, allowed in mine.context["rows"]] == [
        (second.pk, ["withdraw"]),
        (first.pk, []),
    ]
    refused_page = handler.post(f"/evaluation/appeals/{second.pk}/uphold/", {"note": ""})
    assert refused_page.status_code == 302
    second.refresh_from_db()
    assert second.state == AppealState.SUBMITTED
    assert (
        client_for(staff.other_community_handler).get("/evaluation/appeals/").context["rows"] == []
    )
    assert (
        client_for(staff.other_community_handler)
        .post(f"/evaluation/appeals/{second.pk}/withdraw/")
        .status_code
        == 404
    )
    # Paged by key.
    paged = leader.get("/evaluation/appeals/", {"tab": "all"}).context["page"]
    assert paged.next is None and len(paged.items) == 2


def test_the_admin_lists_appeals_read_only(staff: Staff) -> None:
    made = appeal(staff, dispatched(staff))
    boss = User.objects.create_superuser("boss", password="x")
    client = client_for(boss)
    listed = client.get("/admin/evaluation/appeal/")
    assert listed.status_code == 200 and made.case.tracking_code in listed.content.decode()
    shown = client.get(f"/admin/evaluation/appeal/{made.pk}/change/")
    assert shown.status_code == 200 and "申诉记录" in shown.content.decode()
    assert client.get("/admin/evaluation/appeal/add/").status_code == 403
    posted = client.post(f"/admin/evaluation/appeal/{made.pk}/delete/", {"post": "yes"})
    assert posted.status_code == 403 and Appeal.objects.filter(pk=made.pk).exists()


def test_the_log_holds_the_appeals_and_the_cases_and_the_database_one_open_appeal(
    staff: Staff,
) -> None:
    from django.db import IntegrityError, transaction

    cases = [dispatched(staff) for _ in range(4)]
    upheld = appeal(staff, cases[0])
    appeals.uphold_appeal(upheld, actor=staff.leader)
    rejected = appeal(staff, cases[1])
    appeals.reject_appeal(rejected, actor=staff.district_dispatcher, note="否")
    withdrawn = appeal(staff, cases[2])
    appeals.withdraw_appeal(withdrawn, actor=staff.community_handler)
    waiting = appeal(staff, cases[3])
    # Each appeal's state and version are its log's last step; a case is left out of the
    # figures exactly when one of its appeals was upheld.
    for item in Appeal.objects.all():
        steps = list(item.events.order_by("seq"))
        assert [e.seq for e in steps] == list(range(1, item.version + 1))
        assert steps[-1].to_state == item.state
        assert all(a.to_state == b.from_state for a, b in pairwise(steps))
    excluded = set(Case.objects.filter(excluded_by_appeal=True).values_list("pk", flat=True))
    assert excluded == {cases[0].pk}
    assert waiting.state == AppealState.SUBMITTED
    # Behind the action's check, the database holds one open appeal per case.
    with pytest.raises(IntegrityError), transaction.atomic():
        Appeal.objects.create(
            case=cases[3],
            unit=cases[3].owner_unit,
            ground=Ground.DUPLICATE,
            reason="重复",
            submitted_by=staff.community_handler,
            submitted_at=APRIL_2,
        )
