"""Problems raised to a council: members raise and share them, the council handles one
itself with a deadline (flagged when overdue) or whistles it to the district as a case,
shown done when the case is closed; refusals in order with nothing written; another
council's member refused (404) on pages and API, for problems and meetings alike."""

from __future__ import annotations

import io
import json
from datetime import date, datetime, timedelta

import pytest
from django.test import Client
from django.utils import timezone

from civicgrid.cases import clock
from civicgrid.cases.models import Case, Channel
from civicgrid.councils import meetings, problems
from civicgrid.councils.models import ActionItem, CouncilAction, CouncilEvent, Meeting, Problem
from civicgrid.councils.work_models import ItemState, ProblemState
from civicgrid.errors import Conflict, Forbidden, Invalid
from civicgrid.org.models import Role
from tests.councils.loop import make_loop
from tests.factories import CouncilFixture, TreeFixture, make_council, make_member
from tests.images import image_bytes

pytestmark = pytest.mark.django_db


def written() -> tuple[int, ...]:
    return (Problem.objects.count(), CouncilEvent.objects.count(), Case.objects.count())


def raised(council: CouncilFixture) -> Problem:
    return problems.raise_problem(
        council.council,
        actor=council.user(council.members[0]),
        title="夜间货车占道卸货",
        text="每晚十点后有货车在商业街占道卸货，噪声大，影响通行。",
    )


def client_of(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def other(tree: TreeFixture) -> CouncilFixture:
    return make_council(tree.communities[1], name="另一个理事会")


def test_a_member_raises_a_problem_others_share_it(council: CouncilFixture) -> None:
    problem = raised(council)
    assert problem.state == ProblemState.RAISED and problem.raised_by == council.members[0]
    problems.share_problem(problem, actor=council.user(council.members[1]))
    problems.share_problem(problem, actor=council.user(council.chair))
    assert problem.concerns.count() == 3
    event = council.council.events.order_by("seq").last()
    assert event is not None and event.action == CouncilAction.SHARE_PROBLEM
    assert event.data["shared_by"] == 3
    with pytest.raises(Conflict, match="已附议"):
        problems.share_problem(problem, actor=council.user(council.members[1]))


def test_only_members_raise_problems_not_staff_nor_other_councils(
    tree: TreeFixture, council: CouncilFixture, other: CouncilFixture
) -> None:
    before = written()
    for outsider in (make_member(tree.streets[0], Role.HANDLER), other.user(other.members[0])):
        with pytest.raises(Forbidden, match="本理事会成员"):
            problems.raise_problem(council.council, actor=outsider, title="t", text="x")
    with pytest.raises(Invalid, match="标题"):
        problems.raise_problem(
            council.council, actor=council.user(council.members[0]), title=" ", text="x"
        )
    assert written() == before


def test_the_council_handles_it_itself_and_is_flagged_when_late(council: CouncilFixture) -> None:
    problem = raised(council)
    secretary = council.user(council.secretary)
    before = written()
    with pytest.raises(Forbidden):
        problems.take_up_problem(
            problem, actor=council.user(council.members[1]), deadline=date(2099, 1, 1)
        )
    with pytest.raises(Invalid, match="早于今天"):
        problems.take_up_problem(problem, actor=secretary, deadline=date(2000, 1, 1))
    assert written() == before
    deadline = clock.now().date() + timedelta(days=3)
    handling = problems.take_up_problem(problem, actor=secretary, deadline=deadline, note="协商")
    assert handling.state == ProblemState.HANDLING and handling.deadline == deadline
    assert not handling.overdue(clock.now().date())
    assert handling.overdue(deadline + timedelta(days=1))
    solved = problems.solve_problem(problem, actor=secretary, outcome="约定早六点前卸货")
    assert solved.state == ProblemState.SOLVED and solved.shown_label == "已解决"
    with pytest.raises(Conflict, match="已解决"):
        problems.whistle_problem(problem, actor=secretary)


def test_whistled_it_is_a_case_and_done_when_the_case_closes(
    tree: TreeFixture, council: CouncilFixture
) -> None:
    loop = make_loop(tree)
    problem = raised(council)
    problems.share_problem(problem, actor=council.user(council.members[1]))
    before = written()
    with pytest.raises(Forbidden):
        problems.whistle_problem(problem, actor=council.user(council.members[0]))
    assert written() == before
    case = problems.whistle_problem(
        problem,
        actor=council.user(council.chair),
        note="涉及交警、城管",
        photos=[io.BytesIO(image_bytes())],
    )
    assert case.channel == Channel.COUNCIL and case.photos.count() == 1
    assert "2家成员" in case.text and council.council.name in case.text
    problem = Problem.objects.select_related("case").get(pk=problem.pk)
    assert problem.case == case and problem.state == ProblemState.WHISTLED
    assert problem.shown_state == ProblemState.WHISTLED
    assert list(case.council_problems.all()) == [problem]
    with pytest.raises(Conflict, match="已吹哨"):
        problems.whistle_problem(problem, actor=council.user(council.chair))
    loop.close(case)
    problem = Problem.objects.select_related("case").get(pk=problem.pk)
    assert problem.state == ProblemState.WHISTLED
    assert problem.shown_state == ProblemState.DONE and problem.shown_label == "已完成"
    assert not Problem.objects.filter(pk=problem.pk).unfinished().exists()


def test_a_bad_photo_refuses_the_whistle_and_writes_nothing(council: CouncilFixture) -> None:
    problem = raised(council)
    before = written()
    with pytest.raises(Invalid):
        problems.whistle_problem(
            problem, actor=council.user(council.chair), photos=[io.BytesIO(b"not an image")]
        )
    assert written() == before
    assert Problem.objects.get(pk=problem.pk).state == ProblemState.RAISED


# --- pages and API ---------------------------------------------------------------------------


def test_the_problems_page_raises_lists_and_flags_overdue(council: CouncilFixture) -> None:
    member = client_of(council.user(council.members[0]))
    url = f"/councils/{council.council.pk}/problems/"
    response = member.post(f"{url}raise/", {"title": "路灯不亮", "text": "东口三盏路灯坏了"})
    assert response.status_code == 302
    problem = Problem.objects.get(title="路灯不亮")
    with clock.at(timezone.now() - timedelta(days=10)):
        problems.take_up_problem(
            problem,
            actor=council.user(council.chair),
            deadline=(timezone.now() - timedelta(days=5)).date(),
        )
    html = member.get(url).content.decode()
    assert "路灯不亮" in html and "已超期" in html and 'id="overdue-count"' in html
    # a member sees no deciding forms; the chair does
    assert 'data-action="whistle"' not in html
    chair = client_of(council.user(council.chair))
    assert 'data-action="whistle"' in chair.get(url).content.decode()
    refused = member.post(f"{url}{problem.pk}/solve/", {"note": "我说解决了"}, follow=True)
    assert "理事长或秘书长" in refused.content.decode()
    assert Problem.objects.get(pk=problem.pk).state == ProblemState.HANDLING


def test_a_member_of_another_council_gets_404_everywhere(
    council: CouncilFixture, other: CouncilFixture
) -> None:
    problem = raised(council)
    meeting = meetings.plan_meeting(
        council.council,
        actor=council.user(council.chair),
        title="理事会议",
        starts_at=timezone.make_aware(datetime(2026, 11, 20, 9)),
    )
    outsider = client_of(other.user(other.members[0]))
    pk = council.council.pk
    for url in (
        f"/councils/{pk}/meetings/",
        f"/councils/{pk}/meetings/{meeting.pk}/",
        f"/councils/{pk}/problems/",
        f"/api/councils/{pk}/meetings",
        f"/api/councils/{pk}/meetings/{meeting.pk}",
        f"/api/councils/{pk}/items",
        f"/api/councils/{pk}/problems",
        f"/api/councils/{pk}/problems/{problem.pk}",
    ):
        assert outsider.get(url).status_code == 404, url
    before = written()
    for url in (
        f"/councils/{pk}/problems/{problem.pk}/share/",
        f"/councils/{pk}/meetings/{meeting.pk}/attendance/",
        f"/api/councils/{pk}/problems/{problem.pk}/share",
        f"/api/councils/{pk}/meetings/{meeting.pk}/attendance",
    ):
        assert outsider.post(url, "{}", content_type="application/json").status_code == 404, url
    assert written() == before
    # the district sees every council's
    district = client_of(make_member(other.council.unit.parent.parent, Role.LEADER))
    assert district.get(f"/api/councils/{pk}/problems").json()[0]["id"] == problem.pk
    assert district.get(f"/councils/{pk}/meetings/{meeting.pk}/").status_code == 200
    # their own council's meeting through the other council's address: 404 as well
    own = other.council.pk
    assert outsider.get(f"/councils/{own}/meetings/{meeting.pk}/").status_code == 404
    assert outsider.get(f"/api/councils/{own}/problems/{problem.pk}").status_code == 404


def test_the_api_runs_a_meeting_to_a_case(tree: TreeFixture, council: CouncilFixture) -> None:
    secretary = client_of(council.user(council.secretary))
    base = f"/api/councils/{council.council.pk}"

    def post(url: str, body: object, client: Client = secretary):  # type: ignore[no-untyped-def]
        return client.post(url, json.dumps(body), content_type="application/json")

    planned = post(
        f"{base}/meetings",
        {"title": "联席会议", "kind": "joint", "starts_at": "2026-11-20T09:00:00+08:00"},
    )
    assert planned.status_code == 201, planned.content
    mid = planned.json()["id"]
    # Moved by an hour while only planned (PUT: the whole plan again); a member may not.
    plan = {"title": "联席会议", "kind": "joint", "starts_at": "2026-11-20T10:00:00+08:00"}
    member = client_of(council.user(council.members[0]))
    put = secretary.put(f"{base}/meetings/{mid}", json.dumps(plan), "application/json")
    assert put.status_code == 200, put.content
    assert put.json()["starts_at"].startswith("2026-11-20T")
    assert Meeting.objects.get(pk=mid).starts_at.hour == 2  # 10:00 in Beijing, in UTC
    again = member.put(f"{base}/meetings/{mid}", json.dumps(plan), "application/json")
    assert again.status_code == 403 and again.json()["detail"]
    same = secretary.put(f"{base}/meetings/{mid}", json.dumps(plan), "application/json")
    assert same.status_code == 409 and same.json()["detail"]
    assert post(f"{base}/meetings/{mid}/hold", {}).status_code == 200
    late = secretary.put(
        f"{base}/meetings/{mid}", json.dumps({**plan, "place": "社区"}), "application/json"
    )
    assert late.status_code == 409
    mine = post(f"{base}/meetings/{mid}/attendance", {"presence": "present"}, member)
    assert mine.status_code == 200 and mine.json()["how"] == "phone"
    roll = post(
        f"{base}/meetings/{mid}/roll",
        {"attendance": [{"member": council.chair.pk, "presence": "present"}]},
    )
    assert roll.status_code == 200
    assert post(f"{base}/meetings/{mid}/decisions", {"text": "成立停车专班"}).status_code == 201
    item = post(
        f"{base}/meetings/{mid}/items",
        {"text": "协调交警设置停车位", "due_on": "2026-12-15", "owner_member": council.chair.pk},
    )
    assert item.status_code == 201 and item.json()["state"] == ItemState.OPEN
    iid = item.json()["id"]
    # a member may not turn it into a case: 403 with the reason, nothing written
    refused = post(f"{base}/items/{iid}/case", {}, member)
    assert refused.status_code == 403 and "理事长或秘书长" in refused.json()["detail"]
    made = post(f"{base}/items/{iid}/case", {})
    assert made.status_code == 201
    again = post(f"{base}/items/{iid}/case", {})
    assert again.status_code == 409
    make_loop(tree).close(Case.objects.get(tracking_code=made.json()["case"]))
    listed = secretary.get(f"{base}/items").json()
    assert [(i["id"], i["shown_state"]) for i in listed] == [(iid, "done")]
    closed = post(f"{base}/meetings/{mid}/minutes", {"minutes": "会议纪要"})
    assert closed.json()["state"] == "closed" and closed.json()["decisions"][0]["number"] == 1
    assert Meeting.objects.get(pk=mid).attendance.count() == 2


def test_the_api_whistles_a_problem_and_refuses_a_member(council: CouncilFixture) -> None:
    member = client_of(council.user(council.members[0]))
    base = f"/api/councils/{council.council.pk}/problems"
    made = member.post(
        base,
        json.dumps({"title": "停车难", "text": "顾客无处停车"}),
        content_type="application/json",
    )
    assert made.status_code == 201 and made.json()["concerns_me"]
    pid = made.json()["id"]
    assert member.post(f"{base}/{pid}/whistle").status_code == 403
    chair = client_of(council.user(council.chair))
    whistled = chair.post(f"{base}/{pid}/whistle", {"note": "请区里协调"})
    assert whistled.status_code == 201, whistled.content
    shown = member.get(f"{base}/{pid}").json()
    assert shown["case"] == whistled.json()["case"] and shown["state"] == "whistled"


def test_the_member_sees_their_part_on_the_council_page(council: CouncilFixture) -> None:
    chair = council.user(council.chair)
    meeting = meetings.plan_meeting(
        council.council, actor=chair, title="月度例会", starts_at=timezone.now() + timedelta(days=2)
    )
    raised(council)
    member = client_of(council.user(council.members[0]))
    html = member.get(f"/councils/{council.council.pk}/").content.decode()
    assert 'id="my-work"' in html and "月度例会" in html and "夜间货车占道卸货" in html
    response = member.post(
        f"/councils/{council.council.pk}/meetings/{meeting.pk}/attendance/",
        {"presence": "excused", "next": f"/councils/{council.council.pk}/"},
    )
    assert (
        response.status_code == 302 and response["Location"] == f"/councils/{council.council.pk}/"
    )
    assert meeting.attendance.get().presence == "excused"


def test_the_case_page_says_which_council_it_came_from(
    tree: TreeFixture, council: CouncilFixture
) -> None:
    problem = raised(council)
    case = problems.whistle_problem(problem, actor=council.user(council.chair))
    district = client_of(make_member(tree.district, Role.DISPATCHER))
    html = district.get(f"/cases/{case.tracking_code}/").content.decode()
    assert 'id="council-origin"' in html and council.council.name in html
    assert f"/councils/{council.council.pk}/problems/" in html


def test_the_tabs_cost_the_same_queries_for_one_row_or_many(council: CouncilFixture) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    chair = council.user(council.chair)
    meeting = meetings.plan_meeting(
        council.council, actor=chair, title="例会", starts_at=timezone.now() - timedelta(days=1)
    )
    meetings.hold_meeting(meeting, actor=chair)
    client = client_of(chair)
    pk = council.council.pk

    def counted() -> list[int]:
        found = []
        for url in (
            f"/councils/{pk}/",
            f"/councils/{pk}/meetings/",
            f"/councils/{pk}/meetings/{meeting.pk}/",
            f"/councils/{pk}/problems/",
        ):
            with CaptureQueriesContext(connection) as queries:
                assert client.get(url).status_code == 200
            found.append(len(queries))
        return found

    def more() -> None:
        owner = council.members[len(ActionItem.objects.all()) % 3]
        item = meetings.add_item(
            meeting, actor=chair, text="事项", due_on=date(2026, 12, 1), owner_member_id=owner.pk
        )
        if item.pk % 2:
            meetings.item_to_case(item, actor=chair)
        problem = raised(council)
        problems.share_problem(problem, actor=council.user(council.members[1]))

    more()
    one = counted()
    for _ in range(4):
        more()
    assert counted() == one
