"""A department's task list (/tasks/): open tasks first, finished ones on their own tab,
a page at a time, and only the department's own."""

from __future__ import annotations

from datetime import timedelta

from django.test import Client
from django.utils import timezone

from civicgrid.cases import actions
from civicgrid.cases.models import TaskState, WhistleTask
from civicgrid.org.models import Role, UnitKind
from tests.cases.conftest import Staff
from tests.cases.test_lifecycle import dispatched
from tests.factories import make_member, make_unit


def _client(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


def _codes(response) -> list[str]:  # type: ignore[no-untyped-def]
    assert response.status_code == 200
    return [t.case.tracking_code for t in response.context["page"].items]


def test_open_tasks_come_first_and_finished_ones_wait_on_their_own_tab(staff: Staff) -> None:
    finished_case = dispatched(staff, "moderate")
    finished_case = actions.whistle_case(
        finished_case, actor=staff.street_dispatcher, lead=staff.tree.department
    )
    task = finished_case.tasks.get()
    task = actions.check_in_task(task, actor=staff.department_handler)
    task = actions.start_task(task, actor=staff.department_handler)
    actions.finish_task(task, actor=staff.department_handler, note="已整改")
    open_case = actions.whistle_case(
        dispatched(staff, "moderate"), actor=staff.street_dispatcher, lead=staff.tree.department
    )
    client = _client(staff.department_handler)

    assert _codes(client.get("/tasks/")) == [open_case.tracking_code]
    assert _codes(client.get("/tasks/?tab=finished")) == [finished_case.tracking_code]
    page = client.get("/tasks/").content.decode()
    year = timezone.localtime(open_case.tasks.get().check_in_due).strftime("%Y-")
    assert year in page, "the check-in deadline is shown with its year"
    assert _codes(client.get("/tasks/?tab=nonsense")) == [open_case.tracking_code]


def test_the_list_pages_by_key_in_deadline_order(staff: Staff) -> None:
    case = dispatched(staff, "moderate")
    soon = timezone.now() + timedelta(hours=1)
    # Fixture rows: many open tasks of one case would break the one-open-task rule, so
    # each row has a department of its own, all within the handler's department.
    for i in range(35):
        dept = make_unit(f"DX01{i:03d}", f"科室{i}", UnitKind.DEPARTMENT, staff.tree.department)
        WhistleTask.objects.create(
            case=case,
            case_created_at=case.created_at,
            department=dept,
            check_in_due=soon + timedelta(minutes=i),
        )
    client = _client(staff.department_handler)
    first = client.get("/tasks/")
    page = first.context["page"]
    dues = [t.check_in_due for t in page.items]
    assert len(dues) == 30 and dues == sorted(dues)
    assert page.next and not page.previous
    html = first.content.decode()
    assert 'href="?tab=open&amp;before=' in html and 'rel="next"' in html, "the pager's link"
    second = client.get("/tasks/", {"before": page.next}).context["page"]
    assert len(second.items) == 5 and second.items[0].check_in_due > dues[-1]
    back = client.get("/tasks/", {"after": second.previous}).context["page"]
    assert [t.pk for t in back.items] == [t.pk for t in page.items]
    assert client.get("/tasks/", {"before": "not-a-date"}).status_code == 400


def test_a_department_sees_only_its_own_tasks(staff: Staff) -> None:
    case = actions.whistle_case(
        dispatched(staff, "moderate"), actor=staff.street_dispatcher, lead=staff.tree.department
    )
    other_dept = make_unit("DX02", "区市场监管局", UnitKind.DEPARTMENT, staff.tree.district)
    other = make_member(other_dept, Role.HANDLER, username="bm2")
    assert _codes(_client(other).get("/tasks/")) == []
    assert _codes(_client(other).get("/tasks/?tab=finished")) == []
    assert _codes(_client(staff.department_handler).get("/tasks/")) == [case.tracking_code]
    task = case.tasks.get()
    refused = _client(other).post(f"/tasks/{task.pk}/check_in/", {"note": ""})
    assert refused.status_code == 404
    assert WhistleTask.objects.get(pk=task.pk).state == TaskState.NOTIFIED


def test_finished_tasks_show_when_they_were_done(staff: Staff) -> None:
    case = actions.whistle_case(
        dispatched(staff, "moderate"), actor=staff.street_dispatcher, lead=staff.tree.department
    )
    task = actions.check_in_task(case.tasks.get(), actor=staff.department_handler)
    task = actions.start_task(task, actor=staff.department_handler)
    task = actions.finish_task(task, actor=staff.department_handler, note="已整改")
    client = _client(staff.department_handler)
    finished = client.get("/tasks/?tab=finished").content.decode()
    done_at = timezone.localtime(task.done_at).strftime("%Y-%m-%d %H:%M")
    assert "完成时间" in finished and f'class="date done-at">{done_at}<' in finished
    assert "done-at" not in client.get("/tasks/").content.decode()
