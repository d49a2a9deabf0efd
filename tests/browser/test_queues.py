"""The console's work queue in a browser: search, filters, sorting, the Excel download."""

from __future__ import annotations

import re

import pytest
from openpyxl import load_workbook

from civicgrid.cases import actions
from civicgrid.cases.models import ContactReveal, Urgency
from civicgrid.org.models import Role
from tests.browser.conftest import screenshot
from tests.browser.test_console import log_in
from tests.factories import make_categories, make_member, make_tree, submit

pytestmark = pytest.mark.browser


def _rows(page) -> list[str]:  # type: ignore[no-untyped-def]
    return [r.get_attribute("data-case") for r in page.locator("tr[data-case]").all()]


def test_an_operator_searches_filters_sorts_and_exports_the_queue(page, live_server) -> None:  # type: ignore[no-untyped-def]
    tree = make_tree()
    cats = make_categories()
    dispatcher = make_member(tree.district, Role.DISPATCHER, username="qu")
    make_member(tree.district, Role.OPERATOR, username="jx")
    noise = submit(
        tree, title="广场舞噪音扰民", text="每晚十点后还有音响声。", contact_phone="13911112222"
    )
    litter = submit(tree, title="楼道杂物堆放", channel="hotline", contact_phone="13833334444")
    for case, kind in ((noise, "minor"), (litter, "moderate")):
        case = actions.triage_case(
            case, actor=dispatcher, category=cats[kind], urgency=Urgency.NORMAL
        )
        actions.dispatch_case(case, actor=dispatcher)

    log_in(page, live_server, "jx")
    page.wait_for_url(f"{live_server.url}/")
    page.goto(f"{live_server.url}/cases/?queue=all")
    assert set(_rows(page)) == {noise.tracking_code, litter.tracking_code}

    page.fill("input[name=words]", "噪音")
    page.click("#queue-filters button[type=submit]")
    page.wait_for_url("**words=**")
    assert _rows(page) == [noise.tracking_code]

    page.goto(f"{live_server.url}/cases/?queue=all")
    page.fill("input[name=phone]", "4444")
    page.click("#queue-filters button[type=submit]")
    page.wait_for_url("**phone=4444**")
    assert _rows(page) == [litter.tracking_code]
    assert ContactReveal.objects.filter(user__username="jx").count() == 1

    page.goto(f"{live_server.url}/cases/?queue=all")
    page.select_option("select[name=channel]", "hotline")
    page.click("#queue-filters button[type=submit]")
    page.wait_for_url("**channel=hotline**")
    assert _rows(page) == [litter.tracking_code]

    page.goto(f"{live_server.url}/cases/?queue=all")
    page.click("th a[data-sort=category]")
    page.wait_for_url("**sort=category**")
    assert _rows(page) == [noise.tracking_code, litter.tracking_code]  # T3 before T4
    assert page.get_attribute("th a[data-sort=category]", "aria-current") == "true"
    screenshot(page, "queue-sorted-by-category")

    page.goto(f"{live_server.url}/cases/?queue=all&tier=huge")
    assert "没有这样的分级" in page.inner_text("#filter-error")

    page.goto(f"{live_server.url}/cases/?queue=all&tier=moderate")
    assert "5000" in page.inner_text("#queue-filters")
    with page.expect_download() as info:
        page.click("a.export")
    download = info.value
    assert download.suggested_filename.endswith(".xlsx")
    with open(download.path(), "rb") as file:
        sheet = load_workbook(file).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "查询码" and [r[0] for r in rows[1:]] == [litter.tracking_code]


def test_a_community_handler_has_no_phone_search(page, live_server) -> None:  # type: ignore[no-untyped-def]
    tree = make_tree()
    make_categories()
    make_member(tree.communities[0], Role.HANDLER, username="sq")
    submit(tree, contact_phone="13911112222")
    log_in(page, live_server, "sq")
    page.wait_for_url(f"{live_server.url}/")
    page.goto(f"{live_server.url}/cases/?queue=all")
    assert page.locator("input[name=phone]").count() == 0
    response = page.goto(f"{live_server.url}/cases/?queue=all&phone=2222")
    assert response.status == 403
    assert "无权按群众电话查找工单" in page.inner_text("#filter-error")
    assert _rows(page) == []


def test_the_case_sheet_prints_on_one_a4_page(page, live_server) -> None:  # type: ignore[no-untyped-def]
    tree = make_tree()
    cats = make_categories()
    dispatcher = make_member(tree.district, Role.DISPATCHER, username="qu")
    make_member(tree.communities[0], Role.HANDLER, username="sq")
    case = submit(tree, contact_phone="13911112222")
    case = actions.triage_case(
        case, actor=dispatcher, category=cats["minor"], urgency=Urgency.NORMAL
    )
    actions.dispatch_case(case, actor=dispatcher)
    log_in(page, live_server, "sq")
    page.wait_for_url(f"{live_server.url}/")
    page.goto(f"{live_server.url}/cases/{case.tracking_code}/")
    page.click("a.sheet-link")
    page.wait_for_selector("#case-sheet")
    sheet = page.inner_text("#case-sheet")
    assert case.tracking_code in sheet and "承办人（签字）" in sheet
    assert page.inner_text("#sheet-phone") == "139****2222"
    assert page.locator("#sheet-history tr[data-action]").count() == 3  # 受理 分类 派单
    screenshot(page, "case-sheet")
    page.emulate_media(media="print")
    assert not page.locator("nav.noprint").is_visible(), "the buttons stay off the paper"
    pdf = page.pdf(format="A4", prefer_css_page_size=True)
    pages = len(re.findall(rb"/Type\s*/Page(?![s\w])", pdf))
    assert pages == 1, f"a short case's sheet takes one A4 page, not {pages}"


# How many lines each label of the page takes: its text's boxes, those that overlap
# vertically counted as one line (a tag's smaller text sits on the same line).
LINES_OF = """(selector) => Array.from(document.querySelectorAll(selector)).map((el) => {
  const range = document.createRange();
  range.selectNodeContents(el);
  const rects = Array.from(range.getClientRects()).filter((r) => r.height > 0);
  rects.sort((a, b) => a.top - b.top);
  let lines = 0, bottom = -Infinity;
  for (const r of rects) {
    if (r.top >= bottom - 1) { lines += 1; bottom = r.bottom; }
    else { bottom = Math.max(bottom, r.bottom); }
  }
  return [el.textContent.trim(), lines];
})"""


def test_the_task_list_labels_stay_on_one_line_and_dates_carry_the_year(
    browser, live_server
) -> None:  # type: ignore[no-untyped-def]
    tree = make_tree()
    cats = make_categories()
    district = make_member(tree.district, Role.DISPATCHER, username="qu")
    street = make_member(tree.streets[0], Role.DISPATCHER, username="jd")
    handler = make_member(tree.department, Role.HANDLER, username="bm")

    def whistled():  # type: ignore[no-untyped-def]
        case = actions.triage_case(
            submit(tree), actor=district, category=cats["moderate"], urgency=Urgency.NORMAL
        )
        case = actions.dispatch_case(case, actor=district)
        return actions.whistle_case(case, actor=street, lead=tree.department).tasks.get()

    done = whistled()
    done = actions.check_in_task(done, actor=handler)
    done = actions.start_task(done, actor=handler)
    actions.finish_task(done, actor=handler, note="已整改完毕")
    for _i in range(2):
        whistled()
    year = str(done.check_in_due.year)
    for width in (1280, 1024, 800):
        context = browser.new_context(locale="zh-CN", viewport={"width": width, "height": 900})
        page = context.new_page()
        page.set_default_timeout(15_000)
        log_in(page, live_server, "bm")
        page.wait_for_url(f"{live_server.url}/")
        page.goto(f"{live_server.url}/tasks/")
        assert page.locator("tr[data-task]").count() == 2, "open tasks first"
        labels = page.evaluate(
            LINES_OF,
            "table.tasks th, table.tasks td.nowrap, table.tasks td.date, "
            "table.tasks .rowactions button, table.tasks .tag, nav.tabs a",
        )
        wrapped = [text for text, lines in labels if lines > 1]
        assert not wrapped, f"wrapped at {width}px: {wrapped}"
        assert all(year in d for d in page.locator("table.tasks td.date").all_inner_texts()), (
            "dates with the year"
        )
        page.click("nav.tabs a[data-tab=finished]")
        page.wait_for_selector("td.done-at")
        assert year in page.inner_text("td.done-at")
        labels = page.evaluate(LINES_OF, "table.tasks th, table.tasks td.date")
        assert not [text for text, lines in labels if lines > 1], f"finished tab at {width}px"
        if width == 800:
            screenshot(page, "tasks-finished-800")
        context.close()


def test_a_community_verifies_its_grid_workers_fix_where_the_district_allows(
    browser, live_server
) -> None:  # type: ignore[no-untyped-def]
    from civicgrid.cases.models import State, VerificationPolicy

    tree = make_tree()
    cats = make_categories()
    worker = make_member(tree.grids[0], Role.GRID_WORKER, username="wgy")
    make_member(tree.communities[0], Role.HANDLER, username="sq")
    case = actions.fix_on_the_spot(
        submit(tree, category=cats["micro"]), actor=worker, reply="已清理楼道杂物"
    )
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    log_in(page, live_server, "sq")
    page.wait_for_url(f"{live_server.url}/")
    page.goto(f"{live_server.url}/cases/{case.tracking_code}/")
    assert page.locator("details.action[data-action='verify']").count() == 0, "not by default"

    VerificationPolicy.objects.create(community_verifies_micro=True)
    page.goto(f"{live_server.url}/cases/{case.tracking_code}/")
    box = page.locator("details.action[data-action='verify']")
    box.locator("summary").click()
    box.locator("button[type=submit]").click()
    page.wait_for_selector(".messages li")
    assert "待回访" in page.inner_text("#case-state")
    case.refresh_from_db()
    assert case.state == State.FOLLOW_UP
    context.close()
