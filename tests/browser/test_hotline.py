"""The hotline form in a browser: the side panel follows the operator's typing, htmx
parses the form's attributes, and the CSRF token never travels in a URL."""

from __future__ import annotations

import pytest

from civicgrid.intake.models import Place
from civicgrid.org.models import Role
from tests.browser.conftest import screenshot
from tests.browser.test_console import log_in
from tests.factories import make_categories, make_member, make_tree, submit

pytestmark = pytest.mark.browser

# htmx reports what it cannot parse as events, not always on the console: the page
# under test writes every htmx error event to the console, where the test reads it.
REPORT_HTMX_ERRORS = """
for (const name of ["htmx:syntax:error", "htmx:eventFilter:error", "htmx:targetError",
                    "htmx:responseError", "htmx:sendError", "htmx:swapError"]) {
  document.addEventListener(name, (e) => {
    console.error("HTMX " + name + " " + JSON.stringify((e.detail && e.detail.token) || ""));
  }, true);
}
"""


def test_the_side_panel_follows_typing_without_htmx_errors_or_token_in_urls(
    page, live_server
) -> None:  # type: ignore[no-untyped-def]
    tree = make_tree()
    make_categories()
    earlier = submit(tree, text="幸福小区3号楼楼下垃圾桶满了，好几天没人清运，很臭。")
    Place.objects.create(
        name="幸福小区", kind="estate", lon=120.005, lat=30.005, community=tree.communities[0]
    )
    make_member(tree.district, Role.OPERATOR, username="jiexian")
    errors: list[str] = []
    urls: list[str] = []
    page.add_init_script(REPORT_HTMX_ERRORS)
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(f"script error: {e}"))
    page.on("request", lambda r: urls.append(r.url))

    log_in(page, live_server, "jiexian")
    page.wait_for_url(f"{live_server.url}/")
    page.goto(f"{live_server.url}/intake/hotline/")
    page.wait_for_load_state("networkidle")
    assert not errors, errors

    # Typing the number, key by key, brings the caller's earlier request (no change event:
    # the field keeps the focus).
    page.locator("input[name=phone]").press_sequentially("13812345678", delay=20)
    page.wait_for_selector(f"#aside .earlier >> text={earlier.tracking_code}")
    assert page.evaluate("document.activeElement.name") == "phone"

    # Choosing the place, then typing what the caller says, brings the likely duplicate.
    page.select_option("select[name=place]", label="幸福小区")
    page.locator("textarea[name=text]").press_sequentially(
        "幸福小区3号楼下垃圾桶满了没人清运", delay=10
    )
    page.wait_for_selector(f"#aside .duplicates li[data-code='{earlier.tracking_code}']")

    # The identity checkbox speaks of the caller and sits on its label's line.
    label = page.locator("label:has(input[name=hide_identity])")
    assert "来电人" in label.inner_text() and "我的" not in label.inner_text()
    box = page.locator("input[name=hide_identity]").bounding_box()
    text_box = label.bounding_box()
    assert box and text_box and box["height"] >= text_box["height"] / 2, (box, text_box)

    asides = [u for u in urls if "/intake/hotline/aside/" in u]
    assert asides and any("text=" in u for u in asides)
    leaked = [u for u in urls if "csrfmiddlewaretoken" in u]
    assert not leaked, leaked
    assert not errors, errors
    screenshot(page, "hotline-aside")


def test_the_hotline_offers_the_same_categories_as_the_triage_queue(page, live_server) -> None:  # type: ignore[no-untyped-def]
    from civicgrid.cases.categories import choice_groups
    from civicgrid.cases.models import Category

    tree = make_tree()
    cats = make_categories()
    # A third level: its leaves are offered (the classifier suggests leaves).
    deep = Category.objects.create(code="T31", name="夜间施工噪声", parent=cats["minor"])
    make_member(tree.district, Role.OPERATOR, username="jiexian")
    log_in(page, live_server, "jiexian")
    page.wait_for_url(f"{live_server.url}/")
    page.goto(f"{live_server.url}/intake/hotline/")
    offered = page.eval_on_selector_all(
        "select[name=category] option[value]:not([value=''])", "os => os.map(o => o.value)"
    )
    expected = [c.code for _label, leaves in choice_groups() for c in leaves]
    assert offered == expected and deep.code in offered and "T3" not in offered
    groups = page.eval_on_selector_all(
        "select[name=category] optgroup", "gs => gs.map(g => g.label)"
    )
    assert groups == ["测试大类", "测试大类 / 邻里噪声"]
