"""The public transparency page and the monthly bulletin in a browser: a resident
reaches /public/ from the resident site's header and reads the published month with
nobody's phone number, ID number or name, though the cases' own texts carry them; a
leader opens the bulletin from the console's navigation and it prints on A4 without
the console around it; a street's leader is offered no key-problem form."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from civicgrid.cases import clock
from civicgrid.cases.models import Category
from civicgrid.evaluation import publishing, topics
from civicgrid.org.models import Role
from tests.browser.conftest import screenshot
from tests.browser.test_console import log_in
from tests.evaluation.test_public import ID_NUMBER, PHONE, RESIDENT, cluster_of, story_cases
from tests.evaluation.test_rankings import APRIL_10, MARCH, cases
from tests.factories import make_member, make_tree

pytestmark = pytest.mark.browser

MOBILE = re.compile(r"1[3-9]\d{9}")
ID_LIKE = re.compile(r"\d{17}[\dXx]")


def test_the_public_page_tells_the_month_and_names_nobody(page, live_server) -> None:  # type: ignore[no-untyped-def]
    tree = make_tree()
    leader = make_member(tree.district, Role.LEADER, username="lingdao", first_name="李明")
    top = Category.objects.create(code="U", name="市容环境")
    leaf = Category.objects.create(code="U1", name="路灯照明", parent=top)
    told = story_cases(tree.communities[0], leaf, 4)
    cases(tree.communities[1], 12, on_time=6, solved=9, satisfied=6)
    with clock.at(APRIL_10):
        publishing.publish_month(leader, MARCH)
    topics.choose_topic(leader, "2025-03", cluster_of(told), reason="群众反映集中")

    page.goto(f"{live_server.url}/r/")
    page.click("header >> text=办理情况公开")
    page.wait_for_url(f"{live_server.url}/public/")
    page.wait_for_selector("#public-streets")
    text = page.inner_text("main")
    assert tree.streets[0].name in text and "2025-03" in text
    assert "市容环境" in page.inner_text("#public-categories")
    stories = page.inner_text("#public-stories")
    assert "路灯已修复" in stories and "［电话］" in stories and "［姓名］" in stories
    html = page.content()
    for personal in (RESIDENT, PHONE, ID_NUMBER, "李明", "lingdao"):
        assert personal not in html, personal
    assert not MOBILE.search(text) and not ID_LIKE.search(text), text
    screenshot(page, "public-page")

    # The bulletin: from the console's navigation, with the month's key problem.
    log_in(page, live_server, "lingdao")
    page.wait_for_url(f"{live_server.url}/")
    page.click("nav.mainnav >> text=月度通报")
    page.wait_for_selector("#bulletin-topic")
    assert "2025-03" in page.inner_text("h1")
    topic = page.inner_text("#bulletin-topic")
    assert "北门路灯不亮" in topic and "4 件工单：已结案 4 件" in topic
    assert page.locator("#bulletin-streets tbody tr").count() >= 1
    page.emulate_media(media="print")
    # (waits for the print style to apply: read at once, the bar was once still shown)
    expect(page.locator("header.topbar")).to_be_hidden()
    assert page.locator("#bulletin").is_visible()
    screenshot(page, "bulletin-print")


def test_a_streets_leader_gets_no_key_problem_form(page, live_server) -> None:  # type: ignore[no-untyped-def]
    tree = make_tree()
    make_member(tree.streets[0], Role.LEADER, username="jiedao")
    log_in(page, live_server, "jiedao")
    page.wait_for_url(f"{live_server.url}/")
    page.goto(f"{live_server.url}/triage/hot/")
    page.wait_for_selector("#month-topic")
    assert page.locator("form.topic-form").count() == 0
    # (The form's view refuses them too: tests/evaluation/test_public.py.)
