"""Who sees which project (pages and API alike), masked phones and the logged reveal,
the monitor's phone page with a photo, the case page's link to its observation, and the
public progress page that shows no personal data."""

from __future__ import annotations

import io
import json
from datetime import date

import pytest
from django.test import Client
from openpyxl import load_workbook

from civicgrid.cases.models import Case, Channel
from civicgrid.projects import actions
from civicgrid.projects.models import (
    MonitorRole,
    Observation,
    Project,
    ProjectAction,
    ProjectEvent,
)
from tests.images import image_bytes, upload
from tests.projects.conftest import MONITOR_NAME, MONITOR_PHONE, ProjectsFixture

pytestmark = pytest.mark.django_db


def client_of(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


def post_json(client: Client, url: str, body: object):  # type: ignore[no-untyped-def]
    return client.post(url, json.dumps(body), content_type="application/json")


def test_who_sees_which_project(projects: ProjectsFixture) -> None:
    both = {projects.project, projects.other}
    assert set(Project.objects.visible_to(projects.district)) == both
    assert set(Project.objects.visible_to(projects.department)) == both
    assert set(Project.objects.visible_to(projects.community)) == {projects.project}
    assert set(Project.objects.visible_to(projects.far_community)) == {projects.other}
    assert set(Project.objects.visible_to(projects.monitor_user)) == {projects.project}
    client = client_of(projects.far_community)
    assert client.get(f"/projects/{projects.project.pk}/").status_code == 404
    assert client.get(f"/api/projects/{projects.project.pk}").status_code == 404
    assert client.get(f"/projects/{projects.other.pk}/").status_code == 200
    page = client.get("/projects/").content.decode()
    assert projects.other.name in page and projects.project.name not in page
    assert [p["name"] for p in client.get("/api/projects").json()] == [projects.other.name]


def test_the_project_page_masks_monitors_and_reveals_with_a_reason(
    projects: ProjectsFixture,
) -> None:
    client = client_of(projects.community)
    page = client.get(f"/projects/{projects.project.pk}/").content.decode()
    assert "139****5678" in page and MONITOR_PHONE not in page
    assert client.get(f"/api/projects/{projects.project.pk}").json()["monitors"][0]["phone"] == (
        "139****5678"
    )
    url = f"/projects/{projects.project.pk}/monitors/{projects.monitor.pk}/phone/"
    assert MONITOR_PHONE in client.post(url, {"reason": "核实情况"}).content.decode()
    answer = post_json(
        client,
        f"/api/projects/{projects.project.pk}/monitors/{projects.monitor.pk}/phone",
        {"reason": "再次核实"},
    )
    assert answer.json() == {"phone": MONITOR_PHONE}
    assert ProjectEvent.objects.filter(action=ProjectAction.REVEAL_PHONE).count() == 2


def test_staff_retire_a_monitor_from_the_page_and_the_api(projects: ProjectsFixture) -> None:
    seat, project = projects.monitor, projects.project
    page_url = f"/projects/{project.pk}/monitors/{seat.pk}/retire/"
    api_url = f"/api/projects/{project.pk}/monitors/{seat.pk}/retire"
    community, monitor = client_of(projects.community), client_of(projects.monitor_user)
    assert page_url in community.get(f"/projects/{project.pk}/").content.decode()
    # Refused: the monitor themself (403, the button not offered), someone who cannot see
    # the project (404), a monitor of another project (404).
    assert page_url not in monitor.get(f"/projects/{project.pk}/").content.decode()
    assert monitor.post(api_url).status_code == 403
    assert client_of(projects.far_community).post(api_url).status_code == 404
    elsewhere = f"/api/projects/{projects.other.pk}/monitors/{seat.pk}/retire"
    assert client_of(projects.district).post(elsewhere).status_code == 404
    seat.refresh_from_db()
    assert seat.active
    community.post(page_url)
    seat.refresh_from_db()
    assert not seat.active and seat.retired_on is not None
    page = community.get(f"/projects/{project.pk}/").content.decode()
    assert page_url not in page and 'class="retired"' in page
    again = community.post(api_url)
    assert again.status_code == 409 and again.json()["detail"]
    assert client_of(projects.monitor_user).get("/api/projects/mine").json() == []
    assert project.name not in monitor.get("/projects/me/").content.decode()
    # Through the API, a second seat.
    other = actions.recruit_monitor(
        project, actor=None, name="王五", phone="13800002222", role=MonitorRole.PROGRESS
    )
    answer = community.post(f"/api/projects/{project.pk}/monitors/{other.pk}/retire")
    assert answer.status_code == 200, answer.content
    assert (answer.json()["active"], answer.json()["retired_on"]) == (
        False,
        actions.today().isoformat(),
    )
    assert ProjectEvent.objects.filter(action=ProjectAction.RETIRE_MONITOR).count() == 2


def test_the_department_keeps_milestones_and_budget_on_the_page(
    projects: ProjectsFixture,
) -> None:
    client = client_of(projects.department)
    base = f"/projects/{projects.project.pk}"
    client.post(f"{base}/milestones/", {"name": "方案公示", "planned_on": "2026-01-10"})
    client.post(f"{base}/milestones/", {"name": "竣工", "planned_on": "2026-06-10", "weight": "3"})
    client.post(f"{base}/budget/", {"item": "电梯设备", "amount": "800000"})
    first = projects.project.milestones.get(name="方案公示")
    client.post(f"{base}/milestones/{first.pk}/done/")
    page = client.get(f"{base}/").content.decode()
    assert 'data-percent="25"' in page and "800000.00" in page
    # The community sees it but may not change its milestones.
    refused = client_of(projects.community).post(
        f"{base}/milestones/", {"name": "x", "planned_on": "2026-01-10"}, follow=True
    )
    assert "只有责任部门或区里可以这样做。" in refused.content.decode()
    assert projects.project.milestones.count() == 2


def test_the_monitor_files_from_the_phone_page_and_the_problem_becomes_a_case(
    projects: ProjectsFixture,
) -> None:
    client = client_of(projects.monitor_user)
    assert client.get("/").url == "/projects/me/"
    page = client.get("/projects/me/").content.decode()
    assert projects.project.name in page and projects.other.name not in page
    answer = client.post(
        f"/projects/monitors/{projects.monitor.pk}/observations/",
        {
            "kind": "quality",
            "text": "三号楼外墙脚手架松动，有安全隐患。",
            "problem": "on",
            "photos": [upload(image_bytes())],
        },
    )
    assert answer.status_code == 302
    observation = Observation.objects.get()
    assert observation.case is not None and observation.photos.count() == 1
    assert observation.case.channel == Channel.PROJECT
    # The case page (the district's queue) links back to the project.
    staff = client_of(projects.district)
    case_page = staff.get(f"/cases/{observation.case.tracking_code}/").content.decode()
    assert 'id="project-origin"' in case_page and projects.project.name in case_page
    # Another project's seat is not the monitor's own: 404, nothing filed.
    stranger = actions.recruit_monitor(
        projects.other, actor=None, name="李四", phone="13800001111", role="progress"
    )
    refused = client.post(f"/projects/monitors/{stranger.pk}/observations/", {"text": "看到了"})
    assert refused.status_code == 404 and Observation.objects.count() == 1


def test_the_api_files_an_observation_with_a_photo(projects: ProjectsFixture) -> None:
    client = client_of(projects.monitor_user)
    mine = client.get("/api/projects/mine").json()
    assert mine == [
        {
            "monitor": projects.monitor.pk,
            "role": "quality",
            "project": projects.project.pk,
            "name": projects.project.name,
            "percent_done": 0,
        }
    ]
    answer = client.post(
        f"/api/projects/monitors/{projects.monitor.pk}/observations",
        {"text": "混凝土养护到位。", "photos": [upload(image_bytes())]},
    )
    assert answer.status_code == 201, answer.content
    body = answer.json()
    assert body["kind"] == "quality" and body["case"] is None and len(body["photos"]) == 1
    # Staff make a case of it through the API.
    made = post_json(
        client_of(projects.community),
        f"/api/projects/{projects.project.pk}/observations/{body['id']}/case",
        {"note": "请核查"},
    )
    assert made.status_code == 201
    assert Case.objects.get(tracking_code=made.json()["case"]).channel == Channel.PROJECT
    # Anonymous: 401, nothing written.
    anonymous = Client().post(
        f"/api/projects/monitors/{projects.monitor.pk}/observations", {"text": "x"}
    )
    assert anonymous.status_code == 401
    assert Observation.objects.count() == 1


def test_the_api_creates_a_project_for_the_department_only(projects: ProjectsFixture) -> None:
    body = {
        "name": "口袋公园",
        "kind": "construction",
        "department": projects.tree.department.code,  # type: ignore[union-attr]
        "unit": projects.tree.streets[0].code,
    }
    refused = post_json(client_of(projects.community), "/api/projects", body)
    assert refused.status_code == 403
    made = post_json(client_of(projects.department), "/api/projects", body)
    assert made.status_code == 201 and made.json()["state"] == "planned"
    line = post_json(
        client_of(projects.department),
        f"/api/projects/{made.json()['id']}/budget-lines",
        {"item": "绿化", "amount": "12.345"},
    )
    assert line.status_code == 400


def test_the_public_page_shows_no_personal_data(projects: ProjectsFixture) -> None:
    actions.add_milestone(
        projects.project, actor=None, name="开工", planned_on=actions.today(), weight=1
    )
    second = actions.add_milestone(
        projects.project, actor=None, name="主体完工", planned_on=actions.today(), weight=1
    )
    actions.complete_milestone(second, actor=None)
    actions.file_observation(
        projects.monitor, actor=None, text="电梯井道墙面出现裂缝。", problem=True
    )
    actions.file_observation(  # what a monitor typed is masked too
        projects.monitor,
        actor=None,
        text=f"我是{MONITOR_NAME}，有事打{MONITOR_PHONE}，施工方电话13600001111。",
    )
    anonymous = Client()
    for url in (f"/public/projects/{projects.project.pk}/", "/public/projects/"):
        answer = anonymous.get(url)
        assert answer.status_code == 200
        page = answer.content.decode()
        assert projects.project.name in page and "50%" in page
        for personal in (
            MONITOR_NAME,
            MONITOR_NAME[1:],
            MONITOR_PHONE,
            "139****5678",
            projects.monitor_user.username,
        ):
            assert personal not in page
    page = anonymous.get(f"/public/projects/{projects.project.pk}/").content.decode()
    assert "张*" in page and "裂缝" in page and "13600001111" not in page
    assert Observation.objects.get(problem=True).case.tracking_code not in page  # type: ignore[union-attr]
    api = anonymous.get(f"/api/projects/public/{projects.project.pk}")
    assert api.status_code == 200
    text = api.content.decode()
    assert api.json()["percent_done"] == 50 and api.json()["observations"][0]["monitor"] == "张*"
    for personal in (MONITOR_NAME, MONITOR_PHONE, projects.monitor_user.username):
        assert personal not in text and json.dumps(personal)[1:-1] not in text
    assert anonymous.get("/public/projects/999999/").status_code == 404
    # Nothing of the staff pages without a login.
    assert anonymous.get(f"/projects/{projects.project.pk}/").status_code == 302
    assert anonymous.get("/api/projects").status_code == 401


def test_the_lists_cost_the_same_queries_whatever_the_number_of_projects(
    projects: ProjectsFixture,
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.projects.conftest import make_project

    client = client_of(projects.district)

    def counted(url: str) -> int:
        client.get(url)  # warm the session and the scope
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    urls = ("/projects/", "/api/projects", "/public/projects/")
    before = [counted(url) for url in urls]
    for n in range(4):
        project = make_project(projects.tree, n % 4, f"项目{n}")
        actions.add_milestone(project, actor=None, name="开工", planned_on=actions.today())
    assert [counted(url) for url in urls] == before


def test_the_project_ledger_exports_what_the_reader_sees(projects: ProjectsFixture) -> None:
    project = projects.project
    actions.add_budget_line(project, actor=None, item="电梯设备", amount="480000")
    actions.add_budget_line(project, actor=None, item="土建", amount="120000.50")
    step = actions.add_milestone(project, actor=None, name="设备进场", planned_on=date(2026, 9, 1))
    actions.add_milestone(
        project, actor=None, name="竣工验收", planned_on=date(2026, 12, 1), weight=3
    )
    actions.complete_milestone(step, actor=None)
    actions.file_observation(projects.monitor, actor=None, text="井道外墙有裂缝", problem=True)
    actions.file_observation(projects.monitor, actor=None, text="材料堆放整齐")

    answer = client_of(projects.community).get("/projects/export/")
    assert answer.status_code == 200
    assert answer["Content-Type"].startswith("application/vnd.openxmlformats")
    book = load_workbook(io.BytesIO(answer.content))
    rows = list(book.worksheets[0].iter_rows(min_row=2, values_only=True))
    assert rows[0][:3] == ("名称", "类型", "状态")
    assert [r[0] for r in rows[1:]] == [project.name]  # not the other street's project
    line = dict(zip(rows[0], rows[1], strict=True))
    assert line["预算（元）"] == 600000.5
    assert (line["已完成节点"], line["节点"], line["完成百分比"]) == (1, 2, 25)
    assert (line["在任监督员"], line["观察报告"], line["报告的问题"], line["转为工单"]) == (
        1,
        2,
        1,
        1,
    )
    text = "".join(str(v) for r in book.worksheets[0].iter_rows(values_only=True) for v in r)
    assert MONITOR_NAME not in text and MONITOR_PHONE not in text
    steps = list(book.worksheets[1].iter_rows(min_row=3, values_only=True))
    assert [(s[0], s[1]) for s in steps] == [(project.name, "设备进场"), (project.name, "竣工验收")]

    far = load_workbook(
        io.BytesIO(client_of(projects.far_community).get("/projects/export/").content)
    )
    assert [r[0] for r in far.worksheets[0].iter_rows(min_row=3, values_only=True)] == [
        projects.other.name
    ]
    # Not for a resident monitor, whose page is /projects/me/.
    assert client_of(projects.monitor_user).get("/projects/export/").status_code in (403, 404)
