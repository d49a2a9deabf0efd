from __future__ import annotations

from django.test import Client

from civicgrid.cases import actions
from civicgrid.cases.models import Case, ContactReveal, State, Urgency
from civicgrid.org.models import User
from tests.cases.conftest import Staff
from tests.factories import submit


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def dispatched(staff: Staff, kind: str = "minor", **kw) -> Case:  # type: ignore[no-untyped-def]
    case = actions.triage_case(
        submit(staff.tree, **kw),
        actor=staff.district_dispatcher,
        category=staff.categories[kind],
        urgency=Urgency.NORMAL,
    )
    return actions.dispatch_case(case, actor=staff.district_dispatcher)


def test_queues_are_scoped_and_counted(staff: Staff) -> None:
    mine = dispatched(staff)
    dispatched(staff, grid_index=4)  # community 1's grid: not mine
    submit(staff.tree)  # still at the district
    body = client_for(staff.community_handler).get("/api/cases", {"queue": "to_acknowledge"})
    assert body.status_code == 200
    data = body.json()
    assert [c["tracking_code"] for c in data["items"]] == [mine.tracking_code]
    assert data["counts"]["to_acknowledge"] == 1 and data["counts"]["all"] is None, (
        "open work is counted; 'all' is not"
    )
    district = client_for(staff.district_dispatcher).get("/api/cases").json()
    assert district["counts"]["triage"] == 1 and len(district["items"]) == 3
    bad = client_for(staff.community_handler).get("/api/cases", {"queue": "nonsense"})
    assert bad.status_code == 422


def test_transition_through_the_api_and_its_refusals(staff: Staff) -> None:
    case = dispatched(staff)
    handler = client_for(staff.community_handler)
    url = f"/api/cases/{case.tracking_code}"
    stale = handler.post(
        f"{url}/acknowledge", {"version": case.version - 1}, content_type="application/json"
    )
    assert stale.status_code == 409 and "已被其他人更新" in stale.json()["detail"]
    wrong_state = handler.post(
        f"{url}/resolve", {"version": case.version, "reply": "好"}, content_type="application/json"
    )
    assert wrong_state.status_code == 409 and "不能办结" in wrong_state.json()["detail"]
    ok = handler.post(
        f"{url}/acknowledge", {"version": case.version}, content_type="application/json"
    )
    assert ok.status_code == 200
    detail = ok.json()
    assert detail["state"] == State.HANDLING and detail["version"] == case.version + 1
    assert [e["action"] for e in detail["events"]][-1] == "acknowledge"
    assert "resolve" in detail["allowed"] and "acknowledge" not in detail["allowed"]
    other = client_for(staff.other_community_handler).post(
        f"{url}/resolve",
        {"version": detail["version"], "reply": "好"},
        content_type="application/json",
    )
    assert other.status_code == 404  # not even visible to another community
    empty = handler.post(
        f"{url}/resolve",
        {"version": detail["version"], "reply": "  "},
        content_type="application/json",
    )
    assert empty.status_code == 400 and "答复" in empty.json()["detail"]
    case.refresh_from_db()
    assert case.state == State.HANDLING


def test_rating_out_of_range_is_refused(staff: Staff) -> None:
    case = submit(staff.tree)
    response = client_for(staff.operator).post(
        f"/api/cases/{case.tracking_code}/rate",
        {"version": 1, "rating": 9, "solved": True},
        content_type="application/json",
    )
    assert response.status_code == 422


def test_phone_numbers_are_masked_and_reveals_logged(staff: Staff) -> None:
    case = dispatched(staff, hide_identity=True)
    handler_view = client_for(staff.community_handler).get(f"/api/cases/{case.tracking_code}")
    contact = handler_view.json()["contact"]
    assert contact["phone"] == "138****5678" and contact["name"] == "（已隐藏）"
    refused = client_for(staff.community_handler).post(
        f"/api/cases/{case.tracking_code}/contact",
        {"reason": "联系核实"},
        content_type="application/json",
    )
    assert refused.status_code == 403 and not ContactReveal.objects.exists()
    operator = client_for(staff.operator)
    assert operator.get(f"/api/cases/{case.tracking_code}").json()["contact"]["name"] == "张女士"
    shown = operator.post(
        f"/api/cases/{case.tracking_code}/contact",
        {"reason": "回访"},
        content_type="application/json",
    )
    assert shown.status_code == 200 and shown.json()["phone"] == "13812345678"
    reveal = ContactReveal.objects.get()
    assert reveal.user == staff.operator and reveal.reason == "回访"


def test_department_task_endpoints(staff: Staff) -> None:
    case = dispatched(staff, "moderate")
    response = client_for(staff.street_dispatcher).post(
        f"/api/cases/{case.tracking_code}/whistle",
        {"version": case.version, "lead": staff.tree.department.code, "assisting": []},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    dept = client_for(staff.department_handler)
    tasks = dept.get("/api/tasks").json()
    assert len(tasks) == 1 and tasks[0]["state"] == "notified" and tasks[0]["lead"]
    task_id = tasks[0]["id"]
    assert (
        client_for(staff.community_handler)
        .post(f"/api/tasks/{task_id}/check-in", {}, content_type="application/json")
        .status_code
        == 404
    )
    checked = dept.post(f"/api/tasks/{task_id}/check-in", {}, content_type="application/json")
    assert checked.status_code == 200 and checked.json()["state"] == "checked_in"
    again = dept.post(f"/api/tasks/{task_id}/check-in", {}, content_type="application/json")
    assert again.status_code == 409
    assert client_for(staff.community_handler).get("/api/tasks").json() == []


def test_openapi_documents_every_transition(staff: Staff) -> None:
    paths = client_for(staff.leader).get("/api/openapi.json").json()["paths"]
    for action in [
        "triage",
        "dispatch",
        "acknowledge",
        "return",
        "handle",
        "resolve",
        "verify",
        "follow-up",
        "rate",
        "close",
        "reopen",
        "escalate",
        "supervise",
        "remind",
        "merge",
        "reject",
        "whistle",
    ]:
        assert f"/api/cases/{{code}}/{action}" in paths, action
    assert "/api/tasks/{task_id}/check-in" in paths


def test_a_queue_is_paged_by_key_both_ways(staff: Staff) -> None:
    """Following next then previous visits every case once, in order; a case added
    meanwhile does not shift the pages; a cursor a person edited is refused (400)."""
    from datetime import timedelta

    from django.utils import timezone

    made = [submit(staff.tree) for _ in range(7)]
    base = timezone.now() - timedelta(days=3)
    for i, case in enumerate(made):  # two share a time: the id breaks the tie
        Case.objects.filter(pk=case.pk).update(created_at=base + timedelta(hours=i // 2 * 2))
    expected = list(
        Case.objects.order_by("-created_at", "-id").values_list("tracking_code", flat=True)
    )
    client = client_for(staff.district_dispatcher)
    seen, pages, cursor = [], [], None
    while True:
        params = {"limit": 3, **({"before": cursor} if cursor else {})}
        page = client.get("/api/cases", params).json()
        pages.append(page)
        seen += [c["tracking_code"] for c in page["items"]]
        if cursor is None:
            submit(staff.tree)  # newer than all: must not shift the pages that follow
        cursor = page["next"]
        if cursor is None:
            break
    assert seen == expected and [len(p["items"]) for p in pages] == [3, 3, 1]
    back = client.get("/api/cases", {"limit": 3, "after": pages[2]["previous"]}).json()
    assert [c["tracking_code"] for c in back["items"]] == expected[3:6]
    deep = client.get("/api/cases", {"before": (base + timedelta(hours=3)).isoformat()})
    assert [c["tracking_code"] for c in deep.json()["items"]] == expected[-4:]
    for bad in ("yesterday", "2026-01-01T00:00:00~x", "2026-01-01T00:00:00~-5"):
        refused = client.get("/api/cases", {"before": bad})
        assert refused.status_code == 400 and "页码标记无效" in refused.json()["detail"]


def test_counts_stop_at_the_cap(staff: Staff, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from civicgrid.cases import queues

    monkeypatch.setattr(queues, "COUNT_CAP", 2)
    for _ in range(3):
        submit(staff.tree)
    counts = client_for(staff.district_dispatcher).get("/api/cases").json()["counts"]
    assert counts["triage"] == 2 and counts["handling"] == 0
    page = client_for(staff.district_dispatcher).get("/cases/", {"queue": "triage"})
    assert "1+" in page.content.decode(), "shown as 'at least'"
