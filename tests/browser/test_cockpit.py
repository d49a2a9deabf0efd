from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from civicgrid.cases.models import Case, Channel, State, Tier
from civicgrid.evaluation import publishing
from civicgrid.evaluation.selection import Period
from civicgrid.org.models import Role, User
from tests.browser.conftest import screenshot
from tests.browser.test_console import log_in
from tests.factories import case_as_it_stands, make_categories, make_member, make_tree

pytestmark = pytest.mark.browser

HOUR = timedelta(hours=1)
SCREEN = {"width": 1920, "height": 1080}

# How many pixels of a chart's canvas are drawn (not transparent), read in the page.
DRAWN_PIXELS = """(name) => {
  const canvas = document.querySelector('[data-chart="' + name + '"] canvas');
  if (!canvas) return 0;
  const data = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
  let n = 0;
  for (let i = 3; i < data.length; i += 4) if (data[i] > 0) n++;
  return n;
}"""

# The centre of a bar of a chart (series, item), in page coordinates.
BAR_CENTRE = """([name, series, index]) => {
  const box = document.querySelector('[data-chart="' + name + '"]');
  const chart = echarts.getInstanceByDom(box);
  const layout = chart.getModel().getSeriesByIndex(series).getData().getItemLayout(index);
  const frame = box.getBoundingClientRect();
  return [frame.left + layout.x + layout.width / 2, frame.top + layout.y + layout.height / 2];
}"""


def district(now):  # type: ignore[no-untyped-def]
    tree = make_tree()
    categories = make_categories()
    make_member(tree.district, Role.LEADER, username="lingdao")
    rows = []
    for i in range(6):
        grid = tree.grids[i % 3]
        rows.append(
            case_as_it_stands(
                grid,
                now - (i + 1) * HOUR,
                grid=grid,
                tier=Tier.MICRO if i % 2 else Tier.MINOR,
                category=categories["micro"] if i % 2 else categories["minor"],
                channel=Channel.HOTLINE if i % 3 else Channel.WEB,
                state=State.HANDLING,
                due_at=now - HOUR if i < 2 else now + 10 * HOUR,
                title=f"楼道杂物{i}",
            )
        )
    rows.append(
        case_as_it_stands(
            tree.grids[4],
            now - timedelta(days=40),
            grid=tree.grids[4],
            state=State.CLOSED,
            acknowledge_due=now - timedelta(days=40) + 2 * HOUR,
            acknowledged_at=now - timedelta(days=40) + HOUR,
            resolved_at=now - timedelta(days=39),
            closed_at=now - timedelta(days=38),
            rating=5,
            solved=True,
        )
    )
    Case.objects.bulk_create(rows)
    return tree, categories


def test_the_cockpit_draws_its_charts_and_a_bar_opens_its_cases(  # type: ignore[no-untyped-def]
    page, live_server, violations
) -> None:
    now = timezone.now()
    district(now)
    page.set_viewport_size(SCREEN)
    log_in(page, live_server, "lingdao")
    page.wait_for_url(f"{live_server.url}/")
    page.click("nav.mainnav >> text=驾驶舱")
    page.wait_for_selector("#cockpit[data-drawn='1']")
    assert page.locator("[data-number='open'] strong").inner_text() == "6"
    assert page.locator("[data-number='overdue'] strong").inner_text() == "2"
    for name in ("tier", "category", "channel", "trend", "tasks"):
        assert page.evaluate(DRAWN_PIXELS, name) > 500, f"the {name} chart is empty"
    page.wait_for_selector("#cockpit-map[data-grids='16']")
    assert page.locator("#cockpit-map path.leaflet-interactive").count() == 16
    assert page.locator("table[data-ranking='streets'] tr[data-row='D01']").count() == 1
    screenshot(page, "cockpit-1920")
    # A bar of the tier chart: the open micro matters (the second tier bar, series 0).
    x, y = page.evaluate(BAR_CENTRE, ["tier", 0, 0])
    page.mouse.click(x, y)
    page.wait_for_url("**/evaluation/cockpit/cases/**")
    assert "figure=open" in page.url and "tier=" in page.url
    count = int(page.locator("[data-count]").get_attribute("data-count") or "-1")
    tier = "micro" if "tier=micro" in page.url else "minor"
    assert count == 3, tier
    assert page.locator("table.list tbody tr").count() == 3
    # Back, and a number: the overdue cases, exactly those.
    page.go_back()
    page.wait_for_selector("#cockpit[data-drawn='1']")
    page.click("[data-number='overdue']")
    page.wait_for_selector("[data-count='2']")
    titles = sorted(t.split("\t")[1] for t in page.locator("table.list tbody tr").all_inner_texts())
    assert titles == ["楼道杂物0", "楼道杂物1"]
    assert not violations, violations


def test_the_big_screen_refreshes_without_reloading(page, live_server, violations) -> None:  # type: ignore[no-untyped-def]
    now = timezone.now()
    tree, _categories = district(now)
    page.set_viewport_size(SCREEN)
    log_in(page, live_server, "lingdao")
    page.wait_for_url(f"{live_server.url}/")
    page.clock.install()
    page.goto(f"{live_server.url}/evaluation/cockpit/screen/")
    page.wait_for_selector("#cockpit[data-drawn='1']")
    assert page.locator("[data-number='open'] strong").inner_text() == "6"
    assert page.evaluate(DRAWN_PIXELS, "trend") > 500
    page.evaluate("window.loadedOnce = true")  # gone if the page reloads
    screenshot(page, "cockpit-screen")
    Case.objects.bulk_create(
        [
            case_as_it_stands(
                tree.grids[0], now, grid=tree.grids[0], state=State.DISPATCHED, title="新来的"
            )
        ]
    )
    page.clock.run_for(61_000)
    page.wait_for_selector("#cockpit[data-refreshed='1']")
    assert page.locator("[data-number='open'] strong").inner_text() == "7"
    assert page.evaluate("window.loadedOnce") is True
    assert not violations, violations


def test_the_big_screen_shows_the_published_ranking_and_says_so(  # type: ignore[no-untyped-def]
    page, live_server, violations
) -> None:
    now = timezone.now()
    district(now)
    leader = User.objects.get(username="lingdao")
    before = Period.current_month().start - timedelta(days=1)
    month = Period.month(before.year, before.month)
    publishing.publish_month(leader, month, early=True)
    page.set_viewport_size(SCREEN)
    log_in(page, live_server, "lingdao")
    page.wait_for_url(f"{live_server.url}/")
    page.goto(f"{live_server.url}/evaluation/cockpit/screen/")
    page.wait_for_selector("#cockpit[data-drawn='1']")
    assert page.locator("#cockpit-rankings").get_attribute("data-status") == "published"
    status = page.locator("#cockpit-ranking-status").inner_text()
    assert f"已发布的 {month.key} 月度榜单（第 1 版）" in status
    streets = page.locator("table[data-ranking='streets']")
    assert "名次" in streets.locator("tr").first.inner_text()
    assert streets.locator("tr[data-row='D01']").count() == 1
    assert page.locator("#cockpit-ranking-page").get_attribute("href") == (
        f"/evaluation/rankings/?month={month.key}"
    )
    screenshot(page, "cockpit-screen-published")
    assert not violations, violations
