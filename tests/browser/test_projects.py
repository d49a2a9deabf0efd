"""Project monitoring in a browser: a resident monitor files, from their phone, an
observation of a problem with a photo; it becomes a case that the district's dispatcher
finds in the project and opens, the case telling where it came from, then retires the
monitor, their observation staying. And the public
progress page, reached from the resident site, shows the milestones and the percentage
done with the monitors' names shortened and nobody's phone or account."""

from __future__ import annotations

import re

import pytest

from civicgrid.cases.models import Channel
from civicgrid.org.models import Role
from civicgrid.projects import actions
from civicgrid.projects.models import MonitorRole, Observation
from tests.browser.conftest import screenshot
from tests.browser.test_accessibility import check
from tests.browser.test_console import log_in
from tests.factories import UserFactory, make_member, make_tree
from tests.images import image_bytes
from tests.projects.conftest import MONITOR_NAME, MONITOR_PHONE, make_project

pytestmark = pytest.mark.browser

MOBILE = re.compile(r"1[3-9]\d{9}")


def test_a_monitors_observation_becomes_a_case(page, live_server) -> None:  # type: ignore[no-untyped-def]
    tree = make_tree()
    make_member(tree.district, Role.DISPATCHER, username="quzhongxin")
    project = make_project(tree)
    actions.recruit_monitor(
        project,
        actor=None,
        name=MONITOR_NAME,
        phone=MONITOR_PHONE,
        role=MonitorRole.QUALITY,
        user=UserFactory(username="jiandu"),
    )

    page.set_viewport_size({"width": 390, "height": 844})
    log_in(page, live_server, "jiandu")
    page.wait_for_url(f"{live_server.url}/projects/me/")
    form = page.locator("form[data-observe]")
    form.locator("textarea[name=text]").fill("电梯井道外墙出现裂缝，施工方未处理。")
    form.locator("input[name=photos]").set_input_files(
        {"name": "crack.jpg", "mimeType": "image/jpeg", "buffer": image_bytes()}
    )
    form.locator("input[name=problem]").check()
    form.locator("button[type=submit]").click()
    page.wait_for_selector("text=谢谢：报告已提交，并已作为工单报给区里。")
    observation = Observation.objects.get()
    assert observation.case is not None and observation.case.channel == Channel.PROJECT
    assert observation.photos.count() == 1 and observation.case.photos.count() == 1
    code = observation.case.tracking_code
    assert page.locator(".recent .tracking-code").inner_text() == code
    problems: list[str] = []
    check(page, "/projects/me/", live_server, problems)
    screenshot(page, "projects-monitor-phone")

    # The district's dispatcher finds it in the project and opens the case.
    page.set_viewport_size({"width": 1280, "height": 900})
    page.context.clear_cookies()
    log_in(page, live_server, "quzhongxin")
    page.wait_for_url(f"{live_server.url}/")
    page.click("nav >> text=项目监督")
    page.click(f"#projects >> text={project.name}")
    page.wait_for_selector(f"li[data-observation='{observation.pk}'][data-problem='1']")
    assert page.locator("#monitors").inner_text().count("139****5678") == 1
    page.click(f".case-link >> text={code}")
    page.wait_for_url(f"{live_server.url}/cases/{code}/")
    assert project.name in page.locator("#project-origin").inner_text()
    check(page, f"/projects/{project.pk}/", live_server, problems)
    assert not problems, problems

    # The monitor moves away: the dispatcher retires them; what they filed stays.
    page.goto(f"{live_server.url}/projects/{project.pk}/")
    seat = observation.monitor
    page.click(f"li[data-monitor='{seat.pk}'] .retire-monitor button")
    page.wait_for_selector("text=监督员已卸任。")
    assert "卸任于" in page.locator(f"li[data-monitor='{seat.pk}'] .retired").inner_text()
    assert page.locator(f"li[data-observation='{observation.pk}']").is_visible()
    assert not page.locator(f"li[data-monitor='{seat.pk}'] .retire-monitor").count()


def test_the_public_project_page_shows_no_personal_data(page, live_server) -> None:  # type: ignore[no-untyped-def]
    tree = make_tree()
    project = make_project(tree)
    account = UserFactory(username="jiandu")
    monitor = actions.recruit_monitor(
        project,
        actor=None,
        name=MONITOR_NAME,
        phone=MONITOR_PHONE,
        role=MonitorRole.QUALITY,
        user=account,
    )
    done = actions.add_milestone(
        project, actor=None, name="方案公示", planned_on=actions.today(), weight=1
    )
    actions.add_milestone(project, actor=None, name="竣工验收", planned_on=actions.today())
    actions.complete_milestone(done, actor=None)
    actions.file_observation(monitor, actor=account, text="井道施工规范，围挡完好。")

    page.goto(f"{live_server.url}/r/")
    page.click("header >> text=全区项目")
    page.click(f"#public-projects >> text={project.name}")
    page.wait_for_url(f"{live_server.url}/public/projects/{project.pk}/")
    assert page.locator("#percent").inner_text() == "50%"
    assert page.locator("#public-milestones li").count() == 2
    observations = page.locator("#public-observations").inner_text()
    assert "张*" in observations and "井道施工规范" in observations
    body = page.locator("body").inner_text()
    html = page.content()
    for personal in (MONITOR_NAME, MONITOR_PHONE, "139****5678", account.username):
        assert personal not in body and personal not in html
    assert not MOBILE.search(body)
    problems: list[str] = []
    check(page, "", live_server, problems)
    assert not problems, problems
    screenshot(page, "projects-public")
