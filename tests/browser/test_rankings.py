"""The rankings page (月度榜单): an upheld appeal changes a unit's rate on it; a leader
publishes a month, recomputes it and finds it the same; the Excel download opens and
lists every street and department."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from civicgrid.cases.models import Case, State
from civicgrid.evaluation import actions as appeals
from civicgrid.evaluation.models import Ground, RankingSnapshot
from civicgrid.org.models import Role, Unit, UnitKind
from tests.browser.conftest import screenshot
from tests.browser.test_console import log_in
from tests.evaluation.conftest import local
from tests.factories import case_as_it_stands, make_member, make_tree, make_unit

pytestmark = pytest.mark.browser


def closed_cases(unit: Unit, count: int, first, late: int = 0) -> list[Case]:  # type: ignore[no-untyped-def]
    """``count`` closed, solved, satisfied cases of ``unit`` from ``first`` on, hourly;
    the last ``late`` of them acknowledged after their deadline."""
    rows = []
    for i in range(count):
        created = first + timedelta(hours=i)
        rows.append(
            case_as_it_stands(
                unit,
                created,
                state=State.CLOSED,
                acknowledged_at=created + timedelta(minutes=30),
                acknowledge_due=created + timedelta(minutes=10 if i >= count - late else 60),
                resolved_at=created + timedelta(hours=2),
                solved=True,
                rating=5,
            )
        )
    return Case.objects.bulk_create(rows)


def rate_cell(page, unit: str, rate: str):  # type: ignore[no-untyped-def]
    return page.locator(
        f"section[data-list='communities'] tr[data-unit='{unit}'] td[data-rate='{rate}']"
    )


def test_an_upheld_appeal_changes_the_unit_s_rate_on_the_rankings_page(page, live_server) -> None:  # type: ignore[no-untyped-def]
    tree = make_tree()
    make_member(tree.district, Role.LEADER, username="lingdao")
    handler = make_member(tree.communities[0], Role.HANDLER, username="sq")
    # recent cases (their month's appeals are open): ten on time, one late
    first = timezone.localtime() - timedelta(days=1, hours=12)
    late = closed_cases(tree.communities[0], 11, first, late=1)[-1]
    month = f"{first:%Y-%m}"

    log_in(page, live_server, "lingdao")
    page.wait_for_url(f"{live_server.url}/")
    page.click("nav >> text=月度榜单")
    page.goto(f"{live_server.url}/evaluation/rankings/?month={month}")
    cell = rate_cell(page, "D01001", "response")
    assert cell.locator(".value").inner_text() == "90.9%"
    assert cell.locator(".parts").inner_text().replace(" ", "") == "10/11"

    appeal = appeals.submit_appeal(
        late, actor=handler, ground=Ground.NOT_OURS, reason="该工单属于相邻社区。"
    )
    page.click("nav >> text=申诉")
    row = page.locator(f"tr[data-appeal='{appeal.pk}']")
    row.locator("input[name=note]").first.fill("经核实属实")
    row.locator("button[data-action='uphold']").click()
    page.wait_for_selector("text=暂无申诉。")

    page.goto(f"{live_server.url}/evaluation/rankings/?month={month}")
    cell = rate_cell(page, "D01001", "response")
    assert cell.locator(".value").inner_text() == "100.0%"
    assert cell.locator(".parts").inner_text().replace(" ", "") == "10/10"
    screenshot(page, "rankings-after-appeal")


def test_publish_a_month_recompute_it_and_download_it(page, live_server, tmp_path) -> None:  # type: ignore[no-untyped-def]
    tree = make_tree()
    make_unit("DX02", "区住房和城乡建设局", UnitKind.DEPARTMENT, tree.district)
    make_member(tree.district, Role.LEADER, username="lingdao")
    start = local(2025, 3, 3, 9)
    closed_cases(tree.communities[0], 12, start)
    closed_cases(tree.communities[2], 12, start, late=6)
    closed_cases(tree.department, 10, start, late=2)

    log_in(page, live_server, "lingdao")
    page.wait_for_url(f"{live_server.url}/")
    page.goto(f"{live_server.url}/evaluation/rankings/?month=2025-03")
    assert page.locator("section[data-status='live']").count() == 1
    assert page.locator("section[data-list='streets'] [data-red='D01']").count() == 1
    assert page.locator("section[data-list='streets'] [data-black='D02']").count() == 1
    page.click("form[data-publish] button[type=submit]")
    page.wait_for_selector("section[data-status='published'] [data-revision='1']")
    assert RankingSnapshot.objects.get().month == "2025-03"
    page.click("a[data-verify]")
    page.wait_for_selector("[data-verification='same']")
    assert "所有数字与发布的一致" in page.locator("[data-verification]").inner_text()
    screenshot(page, "rankings-published")

    with page.expect_download() as download:
        page.click("a[data-export]")
    path = tmp_path / "march.xlsx"
    download.value.save_as(path)
    book = load_workbook(path)
    codes = {
        row[2]
        for sheet in ("街道乡镇", "社区村居", "职能部门", "单列单位")
        for row in book[sheet].iter_rows(min_row=3, values_only=True)
    }
    streets = {u.code for u in Unit.objects.filter(kind=UnitKind.STREET)}
    departments = {u.code for u in Unit.objects.filter(kind=UnitKind.DEPARTMENT)}
    assert streets | departments <= codes
    names = {row[1] for row in book["街道乡镇"].iter_rows(min_row=3, values_only=True)}
    assert names == {"第1街道", "第2街道"}
