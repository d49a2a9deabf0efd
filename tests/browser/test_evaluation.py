from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from civicgrid.cases.models import Case, State
from civicgrid.org.models import Role
from tests.browser.conftest import screenshot
from tests.browser.test_console import log_in
from tests.factories import case_as_it_stands, make_member, make_tree

pytestmark = pytest.mark.browser


def test_a_leader_reads_the_month_and_opens_a_figure_s_cases(page, live_server) -> None:  # type: ignore[no-untyped-def]
    tree = make_tree()
    make_member(tree.district, Role.LEADER, username="lingdao")
    start = timezone.localtime().replace(day=1, hour=9, minute=0, second=0, microsecond=0)
    hour = timedelta(hours=1)
    cases = [
        case_as_it_stands(
            tree.grids[i % 4],
            start + i * hour,
            title=f"楼道杂物{i}",
            state=State.HANDLING,
            acknowledge_due=start + (i + 2) * hour,
            acknowledged_at=start + (i + (1 if i < 3 else 3)) * hour,
        )
        for i in range(5)
    ]
    Case.objects.bulk_create(cases)
    log_in(page, live_server, "lingdao")
    page.wait_for_url(f"{live_server.url}/")
    # The workbench shows the district's streets with this month's figures.
    response = page.locator("tr[data-row='D01'] td[data-indicator='response']")
    assert "60.0%" in response.inner_text()
    assert page.locator("tr[data-row='D02']").count() == 1
    screenshot(page, "evaluation-home")
    # The numerator: the three cases acknowledged in time, and nothing else.
    response.locator("a[data-part='numerator']").click()
    page.wait_for_selector("[data-count='3']")
    listed = page.locator("table.list tbody tr").all_inner_texts()
    assert sorted(text.split("\t")[1] for text in listed) == ["楼道杂物0", "楼道杂物1", "楼道杂物2"]
    # Back to the figures, by channel, and another month picked: nothing then.
    page.click("text=返回指标")
    page.click("nav.tabs >> text=按渠道")
    page.wait_for_selector("table.figures[data-by='channel']")
    earlier = (start - timedelta(days=1)).strftime("%Y-%m")
    page.select_option("form[data-picker='month'] select[name=period]", earlier)
    page.click("form[data-picker='month'] button")
    page.wait_for_url(f"**period={earlier}**")
    assert page.locator("tfoot td[data-indicator='response'] .value").inner_text() == "—"
    screenshot(page, "evaluation-by-channel")
