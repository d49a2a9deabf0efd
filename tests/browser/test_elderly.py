"""适老化 in a real browser: the resident pages follow the browser's font size, keep a
large-type switch, give 44 px targets, name the chosen place (also from the keyboard),
label every field and fit at 200 % zoom, explain the phone number in Chinese, answer a
lost page with a resident's 404; and the resident items of issue 16 §3 (提交, stars in
line on a phone, the expected date, a too-short reply withheld until verified)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.utils import timezone

from civicgrid.cases import actions
from civicgrid.cases.models import Case, Urgency
from civicgrid.intake.models import Place
from civicgrid.org.models import Role
from tests.browser.conftest import screenshot
from tests.factories import (
    CELL,
    ORIGIN_LAT,
    ORIGIN_LON,
    make_categories,
    make_member,
    make_tree,
    submit,
)

pytestmark = pytest.mark.browser

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
# 200 % zoom of a 1280×860 window: the page lays out in half as many CSS pixels.
ZOOM_200 = {"viewport": {"width": 640, "height": 430}, "device_scale_factor": 2}
TARGET_PX = 44
GOOD_REPLY = "楼道纸箱已由物业全部清走，消防通道已经恢复畅通。"
FIELDS = "form#ask input:not([type=hidden]), form#ask select, form#ask textarea"


def open_page(browser: Any, live_server: Any, path: str, **context: Any) -> Any:
    page = browser.new_context(locale="zh-CN", **(context or PHONE)).new_page()
    page.set_default_timeout(15_000)
    page.goto(f"{live_server.url}{path}")
    return page


def font_px(page: Any, selector: str) -> float:
    return float(
        page.evaluate(
            "s => parseFloat(getComputedStyle(document.querySelector(s)).fontSize)", selector
        )
    )


def smallest_text(page: Any) -> dict[str, Any]:
    """The smallest font size among the hints, times and the tracking code, and the
    page's rem."""
    return page.evaluate(
        """() => {
          const rem = parseFloat(getComputedStyle(document.documentElement).fontSize);
          const sizes = [...document.querySelectorAll('.hint, time, .code, .picked, .reply')]
            .map(e => [e.className || e.tagName, parseFloat(getComputedStyle(e).fontSize)]);
          return {rem, sizes};
        }"""
    )


def short_targets(page: Any) -> list[str]:
    """Links, buttons and checkbox/radio labels shown but under 44 px tall."""
    return page.evaluate(
        """min => [...document.querySelectorAll('a, button, select, input:not([type=hidden])')]
            .map(e => (e.type === 'checkbox' || e.type === 'radio') ? e.closest('label') : e)
            .filter(e => e && e.getClientRects().length && !e.closest('.leaflet-container'))
            .map(e => [e.outerHTML.slice(0, 80), e.getBoundingClientRect().height])
            .filter(([, h]) => h < min).map(([html, h]) => `${html} (${h.toFixed(1)} px)`)""",
        TARGET_PX,
    )


@pytest.fixture
def district(transactional_db: Any) -> Any:
    tree = make_tree()
    categories = make_categories()
    Place.objects.create(
        name="幸福小区",
        kind=Place.Kind.ESTATE,
        lon=ORIGIN_LON + 0.5 * CELL,
        lat=ORIGIN_LAT + 0.5 * CELL,
        community=tree.communities[0],
    )
    return tree, categories


def tracked(browser: Any, live_server: Any, case: Case, **context: Any) -> Any:
    """The case's page, opened as a resident does: code and last four digits."""
    page = open_page(browser, live_server, "/r/track/", **context)
    page.fill("#code", case.tracking_code)
    page.fill("#last4", case.contact.phone[-4:])
    page.click("form.ask button[type=submit]")
    page.wait_for_selector("#steps")
    return page


def to_follow_up(tree: Any, categories: dict[str, Any], reply: str) -> tuple[Case, Any]:
    dispatcher = make_member(tree.district, Role.DISPATCHER)
    handler = make_member(tree.communities[0], Role.HANDLER)
    case = submit(tree, contact_phone="13912345678")
    case = actions.triage_case(
        case, actor=dispatcher, category=categories["minor"], urgency=Urgency.NORMAL
    )
    case = actions.dispatch_case(case, actor=dispatcher)
    case = actions.acknowledge_case(case, actor=handler)
    case = actions.resolve_case(case, actor=handler, reply=reply)
    return case, dispatcher


# --- 2. text size ---------------------------------------------------------------------------


def test_text_grows_with_the_browsers_font_size(browser, live_server, district) -> None:  # type: ignore[no-untyped-def]
    page = open_page(browser, live_server, "/r/")
    normal = font_px(page, "body")
    assert normal == pytest.approx(18, abs=0.5), "a base of 18 px at the browser's 16"
    found = smallest_text(page)
    small = [(name, px) for name, px in found["sizes"] if px < found["rem"] - 0.01]
    assert not small, f"text below 1 rem: {small}"

    cdp = page.context.new_cdp_session(page)
    cdp.send("Page.enable")
    cdp.send("Page.setFontSizes", {"fontSizes": {"standard": 32, "fixed": 32}})
    page.reload()
    assert font_px(page, "body") == pytest.approx(36, abs=0.5), "32 px set: 36 px shown"
    assert font_px(page, ".hint") >= 36 - 0.5
    assert font_px(page, "button.primary") >= 36 - 0.5
    page.context.close()


def test_the_large_type_switch_is_remembered_across_pages(browser, live_server, district) -> None:  # type: ignore[no-untyped-def]
    page = open_page(browser, live_server, "/r/")
    switch = page.locator("#text-size")
    assert switch.inner_text() == "大字版"
    page.fill("#text", "楼道灯坏了")
    before = font_px(page, "body")
    switch.click()
    assert page.evaluate("document.documentElement.classList.contains('large')")
    assert font_px(page, "body") > before * 1.2
    assert page.input_value("#text") == "楼道灯坏了", "switched without leaving the form"
    assert switch.inner_text() == "标准字"
    page.click("header >> text=查询我的诉求")
    page.wait_for_url(re.compile(r"/r/track/$"))
    assert page.evaluate("document.documentElement.classList.contains('large')")
    assert font_px(page, "body") > before * 1.2
    assert page.locator("#text-size").inner_text() == "标准字"
    screenshot(page, "resident-large-type")
    page.locator("#text-size").click()
    page.reload()
    assert font_px(page, "body") == pytest.approx(before, abs=0.5)
    page.context.close()

    # Without JavaScript the same link sets the cookie on the server's side.
    page = open_page(browser, live_server, "/r/", java_script_enabled=False, **PHONE)
    page.click("#text-size")
    page.wait_for_url(re.compile(r"/r/$"))
    assert page.evaluate("document.documentElement.classList.contains('large')") is True
    page.context.close()


def test_targets_are_at_least_44_px_tall(browser, live_server, district) -> None:  # type: ignore[no-untyped-def]
    tree, categories = district
    page = open_page(browser, live_server, "/r/")
    page.wait_for_selector("#pick-map[data-ready='1']")
    assert not short_targets(page), short_targets(page)
    check = page.locator("label.check")
    assert check.bounding_box()["height"] >= TARGET_PX  # type: ignore[index]
    # The label's text ticks the checkbox too.
    check.locator("span").click()
    assert page.is_checked("input[name=hide_identity]")
    page.context.close()

    case, dispatcher = to_follow_up(
        tree, categories, "楼道纸箱已由物业全部清走，消防通道已经恢复畅通。"
    )
    actions.verify_case(case, actor=dispatcher, passed=True)
    page = tracked(browser, live_server, case)
    assert not short_targets(page), short_targets(page)
    page.context.close()


# --- 3. labels and the map --------------------------------------------------------------------


def test_the_place_list_comes_first_and_the_choice_is_named(browser, live_server, district) -> None:  # type: ignore[no-untyped-def]
    page = open_page(browser, live_server, "/r/")
    page.wait_for_selector("#pick-map[data-ready='1']")
    first = page.locator("form#ask select, form#ask textarea, form#ask input:visible").first
    assert first.get_attribute("id") == "place", "the place list is the first field"
    assert page.locator("label[for=place]").is_visible()
    assert page.locator("label[for=place]").inner_text() == "小区或道路"
    picked = page.locator("#picked")
    assert picked.get_attribute("aria-live") == "polite"
    page.select_option("#place", label="幸福小区（社区1）")
    assert picked.inner_text() == "已选：幸福小区（社区1）"
    # Every field has a label of its own (not only a placeholder).
    unlabelled = page.evaluate(
        """s => [...document.querySelectorAll(s)]
            .filter(e => !e.labels || !e.labels.length || !e.labels[0].innerText.trim())
            .map(e => e.name)""",
        FIELDS,
    )
    assert unlabelled == []
    assert page.locator("label[for=address]").inner_text() == "楼栋、门牌或地标（选填）"
    page.context.close()


def test_the_map_works_from_the_keyboard(browser, live_server, district) -> None:  # type: ignore[no-untyped-def]
    page = open_page(browser, live_server, "/r/")
    page.wait_for_selector("#pick-map[data-ready='1']")
    page.focus("#place")
    page.keyboard.press("Tab")  # from the list to the map
    assert page.evaluate("document.activeElement.id") == "pick-map"
    for _ in range(3):
        page.keyboard.press("ArrowLeft")
    page.keyboard.press("Enter")
    page.wait_for_selector("#pick-map[data-named='1']")
    said = page.inner_text("#picked")
    assert said.startswith("已选：第") and "社区" in said, said
    assert not re.search(r"\d+\.\d{4}", said), "no raw coordinates"
    lon = float(page.input_value("#lon"))
    assert ORIGIN_LON < lon < ORIGIN_LON + 8 * CELL
    # The button does the same, reached with Tab.
    for _ in range(4):  # past the map's zoom buttons
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "choose-centre":
            break
    assert page.evaluate("document.activeElement.id") == "choose-centre"
    page.keyboard.press("ArrowDown")  # a button ignores arrows; the map stays
    page.keyboard.press("Enter")
    page.wait_for_selector("#pick-map[data-named='1']")
    assert page.inner_text("#picked").startswith("已选：")
    page.context.close()


def test_where_names_a_point_without_javascript(browser, live_server, district) -> None:  # type: ignore[no-untyped-def]
    lon, lat = ORIGIN_LON + 0.4 * CELL, ORIGIN_LAT + 0.6 * CELL
    page = open_page(
        browser, live_server, f"/r/where/?lon={lon}&lat={lat}", java_script_enabled=False
    )
    assert page.inner_text("#where-name") == "第1街道 社区1，幸福小区附近"
    page.click("text=就这个位置反映问题")
    assert page.inner_text("#picked") == "已选：第1街道 社区1，幸福小区附近"
    assert page.input_value("#lon") == f"{lon:.6f}"
    page.goto(f"{live_server.url}/r/where/?lon=abc&lat=30")
    assert "经纬度" in page.inner_text(".msg.error") or page.locator(".msg.error").count() == 1
    page.context.close()


def test_nothing_is_cut_off_at_200_percent_zoom(browser, live_server, district) -> None:  # type: ignore[no-untyped-def]
    page = open_page(browser, live_server, "/r/", **ZOOM_200)
    page.wait_for_selector("#pick-map[data-ready='1']")
    width = page.evaluate("document.documentElement.clientWidth")
    assert page.evaluate("document.documentElement.scrollWidth") <= width, "no sideways scroll"
    overflowing = page.evaluate(
        """w => [...document.querySelectorAll('label, input, select, textarea, button, .hint')]
            .filter(e => e.getClientRects().length)
            .filter(e => { const r = e.getBoundingClientRect();
                           return r.left < 0 || r.right > w + 0.5
                             || e.scrollWidth > e.clientWidth + 1 && e.tagName === 'LABEL'; })
            .map(e => e.outerHTML.slice(0, 80))""",
        width,
    )
    assert overflowing == []
    screenshot(page, "resident-zoom-200")
    page.context.close()


# --- 4. the phone field -------------------------------------------------------------------------


def test_the_phone_field_explains_itself_in_chinese(browser, live_server, district) -> None:  # type: ignore[no-untyped-def]
    page = open_page(browser, live_server, "/r/")
    hint = page.locator("#phone-hint")
    assert hint.is_visible() and "11 位手机号码" in hint.inner_text()
    assert page.get_attribute("#phone", "aria-describedby") == "phone-hint"
    message = "请填写以 1 开头的 11 位手机号码，例如 13812345678。"
    page.fill("#phone", "12345")
    assert page.evaluate("document.querySelector('#phone').validationMessage") == message
    page.fill("#phone", "+86 139-1234-5678")  # as the server takes it
    assert page.evaluate("document.querySelector('#phone').validity.valid")
    page.fill("#phone", "")
    assert "手机号" in page.evaluate("document.querySelector('#phone').validationMessage")
    # The server's rule stands without the script: its refusal, in Chinese.
    page.evaluate("document.querySelector('form#ask').noValidate = true")
    page.fill("#text", "小区北门的下水道堵了")
    page.fill("#phone", "12345678901")
    page.click("form#ask button[type=submit]")
    assert "不是有效的中国大陆手机号" in page.inner_text(".msg.error")
    assert not Case.objects.exists()
    page.context.close()


# --- 5. the resident's 404 ---------------------------------------------------------------------


def test_a_done_page_from_another_browser_gets_a_residents_404(
    browser, live_server, district
) -> None:  # type: ignore[no-untyped-def]
    tree, _categories = district
    case = submit(tree)
    page = browser.new_context(locale="zh-CN", **PHONE).new_page()
    response = page.goto(f"{live_server.url}/r/done/{case.tracking_code}/")
    assert response is not None and response.status == 404
    assert page.inner_text("h1") == "无法显示此页面"
    assert "查询码" in page.inner_text("main")
    link = page.locator("#to-track")
    assert link.get_attribute("href") == f"/r/track/?code={case.tracking_code}"
    assert page.locator("link[href*='resident.css']").count() == 1, "the resident site's page"
    assert "Back to" not in page.content() and "回到首页" not in page.content()
    link.click()
    assert page.input_value("#code") == case.tracking_code
    response = page.goto(f"{live_server.url}/r/no-such-page/")
    assert response is not None and response.status == 404
    assert page.locator("#to-track").get_attribute("href") == "/r/track/"
    page.context.close()


# --- 6. §3: the resident pages ------------------------------------------------------------------


def test_the_submit_button_says_submit(browser, live_server, district) -> None:  # type: ignore[no-untyped-def]
    page = open_page(browser, live_server, "/r/")
    assert page.inner_text("form#ask button[type=submit]") == "提交"
    page.context.close()


def test_the_stars_line_up_with_their_labels_on_a_phone(browser, live_server, district) -> None:  # type: ignore[no-untyped-def]
    tree, categories = district
    case, dispatcher = to_follow_up(
        tree, categories, "楼道纸箱已由物业全部清走，消防通道已经恢复畅通。"
    )
    actions.verify_case(case, actor=dispatcher, passed=True)
    page = tracked(browser, live_server, case)
    rows = page.evaluate(
        """() => [...document.querySelectorAll('#rate .stars label, #rate .choice label')]
           .map(l => {
             const r = l.querySelector('input').getBoundingClientRect();
             const t = l.querySelector('span').getBoundingClientRect();
             return {text: l.innerText.trim(), radio: [r.left, r.right, r.top + r.height / 2],
                     label: [t.left, t.top + t.height / 2]};
           })"""
    )
    assert [r["text"] for r in rows[:5]] == [f"{'★' * n} {n} 星" for n in range(1, 6)]
    for row in rows:
        assert row["radio"][1] <= row["label"][0], f"{row['text']}: the button before its label"
        assert abs(row["radio"][2] - row["label"][1]) <= 4, f"{row['text']}: on one line"
    lefts = {round(r["radio"][0]) for r in rows}
    assert len(lefts) == 1, f"the buttons in one column: {lefts}"
    screenshot(page, "resident-rate-phone")
    page.check("#rate input[name=rating][value='4']")
    page.click("#rate button[type=submit]")
    page.wait_for_selector(".msg.success")
    case.refresh_from_db()
    assert case.rating == 4
    page.context.close()


def test_the_tracking_page_shows_the_expected_date(browser, live_server, district) -> None:  # type: ignore[no-untyped-def]
    tree, categories = district
    dispatcher = make_member(tree.district, Role.DISPATCHER)
    case = submit(tree, contact_phone="13912345678")
    page = tracked(browser, live_server, case)
    assert "分派后即可看到预计办结日期" in page.inner_text("#expected")
    page.context.close()
    case = actions.triage_case(
        case, actor=dispatcher, category=categories["minor"], urgency=Urgency.NORMAL
    )
    case = actions.dispatch_case(case, actor=dispatcher)
    due = timezone.localtime(case.resolve_due).date()
    weekday = "一二三四五六日"[due.weekday()]
    page = tracked(browser, live_server, case)
    expected = f"预计办结日期：{due.year}年{due.month}月{due.day}日（星期{weekday}）前。"
    assert page.inner_text("#expected") == expected
    page.context.close()


def test_a_too_short_reply_waits_for_the_verifier(browser, live_server, district) -> None:  # type: ignore[no-untyped-def]
    tree, categories = district
    case, dispatcher = to_follow_up(tree, categories, "已处理。")
    check = case.events.get(action="resolve").data["reply_check"]
    assert "too_short" in check["flags"]
    page = tracked(browser, live_server, case)
    resolved = page.locator("#steps li[data-step='resolved']")
    assert "已处理。" not in resolved.inner_text()
    assert "答复正在核实" in resolved.locator(".reply.pending").inner_text()
    page.context.close()

    actions.verify_case(case, actor=dispatcher, passed=True)
    page = tracked(browser, live_server, case)
    resolved = page.locator("#steps li[data-step='resolved']")
    assert resolved.locator(".reply").inner_text() == "已处理。"
    assert resolved.locator(".pending").count() == 0
    page.context.close()
