"""A community appeals a case from its page with a photo; the district upholds it from
the appeals page; the case's page shows the decision."""

from __future__ import annotations

import pytest

from civicgrid.cases import actions
from civicgrid.cases.models import Urgency
from civicgrid.evaluation.models import Appeal, AppealState
from civicgrid.org.models import Role
from tests.browser.conftest import screenshot
from tests.browser.test_console import log_in
from tests.factories import make_categories, make_member, make_tree, submit
from tests.images import image_bytes

pytestmark = pytest.mark.browser


def test_a_community_appeals_and_the_district_upholds(page, live_server, tmp_path) -> None:  # type: ignore[no-untyped-def]
    tree = make_tree()
    categories = make_categories()
    dispatcher = make_member(tree.district, Role.DISPATCHER, username="qu_diaodu")
    make_member(tree.district, Role.LEADER, username="lingdao")
    make_member(tree.communities[0], Role.HANDLER, username="sq")
    case = submit(tree)
    case = actions.triage_case(
        case, actor=dispatcher, category=categories["minor"], urgency=Urgency.NORMAL
    )
    case = actions.dispatch_case(case, actor=dispatcher)
    photo = tmp_path / "evidence.jpg"
    photo.write_bytes(image_bytes())

    log_in(page, live_server, "sq")
    page.wait_for_url(f"{live_server.url}/")
    page.goto(f"{live_server.url}/cases/{case.tracking_code}/")
    page.click("#appeals summary")
    page.select_option("#appeal-form select[name=ground]", "unreasonable")
    page.fill("#appeal-form textarea[name=reason]", "居民要求拆除邻居合法搭建的雨棚")
    page.set_input_files("#appeal-form input[name=evidence]", str(photo))
    screenshot(page, "appeal-form")
    page.click("#appeal-form button[type=submit]")
    page.wait_for_selector("#appeals li[data-state='submitted']")
    assert page.locator("#appeals li img").count() == 1
    assert page.locator("#appeal-form").count() == 0

    page.context.clear_cookies()
    log_in(page, live_server, "lingdao")
    page.wait_for_url(f"{live_server.url}/")
    page.click("nav >> text=申诉")
    row = page.locator(f"tr[data-appeal='{Appeal.objects.get().pk}']")
    assert "群众诉求不合理" in row.inner_text()
    row.locator("input[name=note]").first.fill("经核实，诉求不合理")
    row.locator("button[data-action='uphold']").click()
    page.wait_for_selector("text=暂无申诉。")
    screenshot(page, "appeals-decided")
    assert Appeal.objects.get().state == AppealState.UPHELD
    page.goto(f"{live_server.url}/cases/{case.tracking_code}/")
    assert page.locator("#appeals li[data-state='upheld']").count() == 1
