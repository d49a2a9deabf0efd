"""Triage in the browser: the queue with the machine's suggestions (accepted or
corrected, corrections kept), the hot-issue board (heat, the map, one-click
escalation), the classifier pages (scores, confusion matrix, who may activate), and
the refusal of the pages to people without the role."""

from __future__ import annotations

import random

import pytest
from django.core.cache import cache

from civicgrid.cases import actions
from civicgrid.cases.models import TIER_LEVEL, Case, Category, State, Tier, Urgency
from civicgrid.org.models import Role
from civicgrid.triage import actions as triage_actions
from civicgrid.triage import boards
from civicgrid.triage.actions import decide, suggest, train
from civicgrid.triage.models import Correction, ModelVersion, Suggestion
from tests.browser.conftest import screenshot
from tests.browser.test_console import log_in
from tests.factories import make_categories, make_member, make_tree, submit

pytestmark = pytest.mark.browser

# Invented requests for three leaves of make_categories() (楼道杂物, 邻里噪声, 危房险房)
# and one leaf a level deeper (占道经营), as districts' trees have two levels or three.
PHRASES = {
    "T1": [
        "楼道里堆满了纸箱杂物",
        "消防通道被杂物堵住",
        "楼梯间堆放旧家具",
        "走廊堆着废品没人清理",
        "单元门口堆了很多建筑垃圾",
        "地下室通道被自行车和杂物堵死",
    ],
    "T3": [
        "楼上邻居半夜跺脚噪音",
        "隔壁装修电钻声太吵",
        "楼下每天深夜唱歌扰民",
        "邻居家狗整夜叫",
        "对门邻居半夜打麻将声音很大",
        "楼上孩子跑跳噪音影响休息",
    ],
    "T5": [
        "老房子墙体开裂很危险",
        "阳台出现裂缝有倒塌风险",
        "危房屋顶漏水墙皮脱落",
        "房屋地基下沉墙面开裂",
        "楼房外墙砖松动随时会掉落",
        "老旧平房房梁变形有坍塌隐患",
    ],
    "U101": [
        "路边摊贩占道经营堵住人行道",
        "早餐摊把桌椅摆到马路上",
        "水果店把货架摆满了人行道",
        "夜市小摊占用消防通道外的街面",
        "流动商贩在路口占道卖菜",
        "烧烤摊占道经营到深夜",
    ],
}
ENDINGS = ["希望尽快处理。", "请相关部门管一管。", "已经反映多次了。", "麻烦派人来看看。"]


def history(seed: int) -> tuple[list[str], list[str]]:
    """A few dozen labelled requests, as a district's closed cases would give them."""
    rng = random.Random(seed)
    texts, labels = [], []
    for code, phrases in PHRASES.items():
        for i in range(12):
            texts.append(f"{rng.choice(phrases)}，第{i + 1}次反映，{rng.choice(ENDINGS)}")
            labels.append(code)
    return texts, labels


def trained(*, seed: int = 1, activate: bool = True, source: str = "测试历史") -> ModelVersion:
    texts, labels = history(seed)
    return train(texts, labels, source=source, activate=activate)


def post(page, live_server, path: str, form: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    """A POST from the logged-in browser with its CSRF token, so a refusal is the
    view's own and not the CSRF check's."""
    token = next(c["value"] for c in page.context.cookies() if c["name"] == "csrftoken")
    return page.request.post(
        f"{live_server.url}{path}", form=form or {}, headers={"X-CSRFToken": token}
    )


@pytest.fixture
def world(transactional_db, monkeypatch):  # type: ignore[no-untyped-def]
    # Ids repeat across tests (rolled back or flushed): the hot-issue board's cache is
    # per user id, and the process keeps the active classifier by version id, so an
    # earlier test's model would answer for this one's.
    cache.clear()
    monkeypatch.setattr(triage_actions, "_loaded", triage_actions._Loaded())
    categories = make_categories()
    top = Category.objects.create(code="U", name="城市管理")
    middle = Category.objects.create(code="U1", name="市容秩序", parent=top)
    categories["street"] = Category.objects.create(
        code="U101", name="占道经营", parent=middle, default_tier=Tier.MINOR
    )
    return make_tree(), categories


def test_a_dispatcher_accepts_one_suggestion_and_corrects_another(
    page, live_server, world, settings
) -> None:  # type: ignore[no-untyped-def]
    tree, categories = world
    trained()
    settings.TRIAGE_AUTO_CONFIDENCE = 1.01  # every reading waits for a person
    dispatcher = make_member(tree.district, Role.DISPATCHER, username="diaodu")
    noise = submit(tree, title="楼上噪音", text="楼上邻居每天半夜跺脚，噪音太大睡不着。")
    clutter = submit(
        tree,
        title="楼道堆物",
        text="三单元楼道里堆满了纸箱杂物，消防通道被堵住了。",
        grid_index=5,
        contact_phone="13911112222",
    )
    # Half one thing, half another: the machine is unsure and says what else it may be.
    mixed = submit(
        tree,
        title="楼道和噪音",
        text="楼道里堆着杂物，楼上邻居半夜还很吵。",
        grid_index=9,
        contact_phone="13933334444",
    )
    stall = submit(
        tree,
        title="占道经营",
        text="路口有流动摊贩占道经营，行人只能走到马路上。",
        grid_index=12,
        contact_phone="13955556666",
    )
    for case in (noise, clutter, mixed, stall):
        suggest(case)
    # Already triaged (as the classifier does when sure): it waits for dispatch, not here.
    decided = submit(tree, title="危房", text="老房子墙体开裂很危险。", grid_index=2)
    actions.triage_case(decided, actor=None, category=categories["major"], urgency="normal")
    readings = {s.case_id: s for s in Suggestion.objects.all()}
    s_noise, s_clutter, s_mixed, s_stall = (readings[c.pk] for c in (noise, clutter, mixed, stall))
    assert [s.category.code for s in (s_noise, s_clutter, s_stall)] == ["T3", "T1", "U101"]
    assert s_mixed.confidence < min(s_noise.confidence, s_clutter.confidence)

    log_in(page, live_server, dispatcher.username)
    page.wait_for_url(f"{live_server.url}/")
    page.click('nav.mainnav >> text="分类"')
    page.wait_for_url(f"{live_server.url}/triage/")
    order = page.locator("ul.triage > li").evaluate_all("els => els.map(e => e.dataset.code)")
    least_sure_first = sorted(
        (mixed, clutter, noise, stall), key=lambda c: readings[c.pk].confidence
    )
    assert order == [c.tracking_code for c in least_sure_first]
    card = page.locator(f"li[data-code='{noise.tracking_code}']")
    suggestion = card.locator(".suggestion").inner_text()
    assert "邻里噪声" in suggestion and f"{s_noise.confidence:.2f}" in suggestion
    meter = float(card.locator(".suggestion meter").get_attribute("value") or "nan")
    assert meter == pytest.approx(s_noise.confidence, abs=1e-3)
    # The unsure one names its runner-up, with its probability.
    runner_up, p = s_mixed.ranked[1]
    assert runner_up == "T1"
    alternatives = page.locator(f"li[data-code='{mixed.tracking_code}'] .alternatives")
    assert f"楼道杂物 {p:.2f}" in alternatives.inner_text()
    # The machine's choice is preselected: accepting it is one click. Leaves of a
    # deeper tree are choices too, under their parents' path.
    assert card.locator("select[name=category]").input_value() == "T3"
    stall_card = page.locator(f"li[data-code='{stall.tracking_code}']")
    assert stall_card.locator("select[name=category]").input_value() == "U101"
    labels = stall_card.locator("optgroup").evaluate_all("els => els.map(e => e.label)")
    assert labels == ["测试大类", "城市管理 / 市容秩序"]
    screenshot(page, "triage-queue")

    stall_card.locator("button.decide").click()
    page.wait_for_selector(f".messages li.success >> text={stall.tracking_code}")
    stall.refresh_from_db()
    assert stall.category == categories["street"]

    card.locator("button.decide").click()
    page.wait_for_selector(f".messages li.success >> text={noise.tracking_code}")
    assert page.locator(f"li[data-code='{noise.tracking_code}']").count() == 0
    noise.refresh_from_db()
    assert noise.category == categories["minor"] and noise.state == State.SUBMITTED
    assert noise.events.get(action="triage").actor == dispatcher
    assert not Correction.objects.exists(), "an accepted suggestion is no correction"

    card = page.locator(f"li[data-code='{clutter.tracking_code}']")
    card.locator("select[name=category]").select_option("T2")
    card.locator("select[name=urgency]").select_option(Urgency.URGENT)
    card.locator("button.decide").click()
    page.wait_for_selector(f".messages li.success >> text={clutter.tracking_code}")
    assert page.locator(f"li[data-code='{clutter.tracking_code}']").count() == 0
    clutter.refresh_from_db()
    assert (clutter.category, clutter.urgency) == (categories["micro_not_grid"], Urgency.URGENT)
    correction = Correction.objects.get()
    assert (correction.case, correction.suggested, correction.chosen, correction.by) == (
        clutter,
        categories["micro"],
        categories["micro_not_grid"],
        dispatcher,
    )

    # A colleague triages the last one while this page is open: the stale form is
    # refused, and the colleague's choice stands.
    colleague = make_member(tree.district, Role.DISPATCHER)
    decide(mixed, actor=colleague, category=categories["micro"], urgency=Urgency.NORMAL)
    page.locator(f"li[data-code='{mixed.tracking_code}'] button.decide").click()
    page.wait_for_selector(".messages li.error")
    assert "已被其他人更新" in page.inner_text(".messages li.error")
    mixed.refresh_from_db()
    assert (
        mixed.category == categories["micro"] and mixed.events.filter(action="triage").count() == 1
    )
    assert "没有待分类的工单" in page.inner_text("main")
    screenshot(page, "triage-queue-done")


def test_an_operator_reads_the_queue_but_only_a_dispatcher_triages(
    page, live_server, world, settings
) -> None:  # type: ignore[no-untyped-def]
    tree, _categories = world
    trained()
    settings.TRIAGE_AUTO_CONFIDENCE = 1.01
    make_member(tree.district, Role.OPERATOR, username="jiexian")
    case = submit(tree, title="楼上噪音", text="楼上邻居每天半夜跺脚，噪音太大睡不着。")
    suggest(case)
    log_in(page, live_server, "jiexian")
    page.wait_for_url(f"{live_server.url}/")
    page.click('nav.mainnav >> text="分类"')
    card = page.locator(f"li[data-code='{case.tracking_code}']")
    assert "邻里噪声" in card.locator(".suggestion").inner_text()
    assert card.locator("button.decide, select").count() == 0, "no form that would fail"
    response = post(page, live_server, f"/triage/cases/{case.tracking_code}/", {"category": "T3"})
    assert "只有本单位的调度员才能分类" in response.text()
    case.refresh_from_db()
    assert case.category is None


NOISE = [
    "幸福小区北门外工地夜间施工噪音扰民，凌晨还在打桩。",
    "幸福小区旁边工地晚上打桩，噪音太大，居民无法休息。",
    "幸福小区附近工地夜里施工打桩扰民，请管一管。",
    "幸福小区北边工地半夜打桩噪音，孩子睡不着。",
    "幸福小区外面的工地每晚打桩到两点，噪音扰民严重。",
]
CRACKS = [
    "和平村老街十二号房屋外墙开裂，砖块往下掉。",
    "和平村老街十二号的老房子墙体裂缝越来越大。",
    "和平村老街十二号危房外墙开裂，路过的人很危险。",
]
# A resident's title is text on the board, never markup (Leaflet's tooltips take HTML).
MARKUP = '<img src=x onerror="window.pwned=1">'


def test_the_hot_issue_board_maps_clusters_and_escalates_one(
    page, live_server, world, settings
) -> None:  # type: ignore[no-untyped-def]
    tree, categories = world
    dispatcher = make_member(tree.district, Role.DISPATCHER, username="diaodu")
    settings.HOT_ESCALATE_HEAT = 5.0
    hot, mild = [], []
    # Five residents about one building site (community 1), one resident three times
    # about one cracked house (community 4): the first is hotter.
    for i, text in enumerate(NOISE):
        case = submit(
            tree, title=f"工地夜间施工噪音{MARKUP}", text=text, contact_phone=f"1390000000{i}"
        )
        case = actions.triage_case(
            case, actor=dispatcher, category=categories["minor"], urgency=Urgency.NORMAL
        )
        hot.append(actions.dispatch_case(case, actor=dispatcher))
    for text in CRACKS:
        case = submit(tree, title="老街危房", text=text, grid_index=13, contact_phone="13700000000")
        case = actions.triage_case(
            case, actor=dispatcher, category=categories["minor"], urgency=Urgency.NORMAL
        )
        mild.append(actions.dispatch_case(case, actor=dispatcher))
    waiting = submit(tree, title="工地夜间施工噪音", text=NOISE[0], contact_phone="13900000009")
    boards.refresh([boards.board_for(tree.district, 30)])  # what the worker does

    log_in(page, live_server, dispatcher.username)
    page.wait_for_url(f"{live_server.url}/")
    page.click("nav.mainnav >> text=热点问题")
    page.wait_for_selector("#hot-map[data-loaded='2'][data-grids='16'][data-outlines='4']")
    # The communities' names are written over the grids. (Waited for, not read once: the
    # last fitBounds still animates, and midway a loaded machine read every label's text
    # as empty; a timeout here means no label ever read 社区1.)
    page.wait_for_function(
        """() => [...document.querySelectorAll('#hot-map .outline-label-community')]
            .some(label => label.innerText.trim() === '社区1')"""
    )
    cards = page.locator("#hot-list > li")
    assert cards.count() == 2
    heats = [float(h) for h in cards.evaluate_all("els => els.map(e => e.dataset.heat)")]
    assert heats == sorted(heats, reverse=True) and heats[0] > 5.0 > heats[1], heats
    first, second = cards.nth(0), cards.nth(1)
    assert all(c.tracking_code in first.inner_text() for c in [*hot, waiting])
    assert all(c.tracking_code in second.inner_text() for c in mild)
    assert "热度" in first.inner_text() and MARKUP in first.inner_text()
    # Leaflet (served from this server) drew one circle per cluster, over the grids.
    circles = page.locator("#hot-map path.leaflet-interactive")
    assert circles.count() == 2
    assert page.locator("#hot-map .hot-number").all_inner_texts() == ["1", "2"]
    circles.first.hover()
    page.wait_for_selector(".leaflet-tooltip")
    assert MARKUP in page.inner_text(".leaflet-tooltip")
    assert page.evaluate("window.pwned") is None
    # Above the threshold one button; the case still waiting for triage is not moved.
    button = first.locator("form[action$='/escalate/'] button[type=submit]")
    assert button.count() == 1 and "5" in button.inner_text()
    assert second.locator("form[action$='/escalate/'] button[type=submit]").count() == 0, (
        "below the threshold"
    )
    screenshot(page, "triage-hot")

    tiers = {c.pk: TIER_LEVEL[c.tier] for c in hot}
    button.click()
    page.wait_for_selector(".messages li.success")
    assert "已提级 5 件" in page.inner_text(".messages li.success")
    for case in Case.objects.filter(pk__in=[c.pk for c in hot]):
        assert case.escalations == 1 and case.state == State.DISPATCHED
        assert TIER_LEVEL[case.tier] < tiers[case.pk], "one tier up"
        assert case.events.filter(action="escalate", actor=dispatcher).exists()
    assert all(
        c.escalations == 0 for c in Case.objects.filter(pk__in=[c.pk for c in [*mild, waiting]])
    )
    # Escalated once: the board says so and offers no second click.
    first = page.locator("#hot-list > li").first
    first.locator(".tag.escalated").wait_for()
    assert "5" in first.locator(".tag.escalated").inner_text()
    assert first.locator("form[action$='/escalate/'] button[type=submit]").count() == 0
    assert first.locator(".nothing-to-escalate").count() == 1
    screenshot(page, "triage-hot-escalated")


def test_model_pages_show_scores_and_only_an_admin_activates(page, live_server, world) -> None:  # type: ignore[no-untyped-def]
    tree, _categories = world
    older = trained(seed=2, activate=False, source="历史工单 2024")
    newer = trained(seed=1, activate=True, source="历史工单 2025")
    admin = make_member(tree.district, Role.ADMIN, username="guanli")
    make_member(tree.district, Role.LEADER, username="lingdao")

    log_in(page, live_server, "lingdao")
    page.wait_for_url(f"{live_server.url}/")
    page.click("nav.mainnav >> text=分类模型")
    page.wait_for_selector("table.versions")
    rows = page.locator("table.versions tbody tr")
    assert rows.count() == 2
    assert page.locator("table.versions tr.active").inner_text().startswith(f"v{newer.pk}")
    assert page.locator("table.versions button").count() == 0, "a leader may not activate"
    page.click(f"table.versions >> text=v{older.pk}")
    page.wait_for_selector("#per-class")
    per_class = page.locator("#per-class tbody tr")
    assert per_class.count() == 4
    assert per_class.nth(0).locator("td").all_inner_texts()[0] == "楼道杂物"
    for code, name in (
        ("T1", "楼道杂物"),
        ("T3", "邻里噪声"),
        ("T5", "危房险房"),
        ("U101", "占道经营"),
    ):
        scores = older.evaluation["per_class"][code]
        row = page.locator(f"#per-class tbody tr:has(td:text-is('{name}'))")
        cells = row.locator("td").all_inner_texts()
        assert cells[1:4] == [
            f"{scores['precision']:.3f}",
            f"{scores['recall']:.3f}",
            f"{scores['f1']:.3f}",
        ]
    labels = older.evaluation["confusion_labels"]
    matrix = older.evaluation["confusion"]
    assert page.locator("#confusion thead th").count() == len(labels) + 1
    shown = [
        [int(n) for n in page.locator("#confusion tbody tr").nth(i).locator("td").all_inner_texts()]
        for i in range(len(labels))
    ]
    assert shown == matrix
    # Right answers on the diagonal and mistakes off it are told apart.
    n = len(labels)
    wrong = sum(1 for i in range(n) for j in range(n) if i != j and matrix[i][j])
    assert wrong > 0, "this history should give the first version a mistake to show"
    assert page.locator("#confusion td.hit.wrong").count() == wrong
    names = dict(Category.objects.values_list("code", "name"))
    off = [(matrix[i][j], i, j) for i in range(n) for j in range(n) if i != j]
    most, i, j = next(m for m in off if m[0] == max(off)[0])  # ties: the first in the matrix
    top_mistake = page.locator("#mistakes li").first.inner_text()
    assert top_mistake == f"{names[labels[i]]} → {names[labels[j]]} {most}"
    assert page.locator("#confusion td.hit.right").count() == sum(
        1 for i in range(n) if matrix[i][i]
    )
    assert page.locator("form[action$='/activate/']").count() == 0
    screenshot(page, "triage-model")
    # Refused by the server too, not only hidden.
    response = post(page, live_server, f"/triage/models/{older.pk}/activate/")
    assert response.status == 403 and "CSRF" not in response.text()
    assert ModelVersion.objects.get(active=True) == newer

    page.context.clear_cookies()
    log_in(page, live_server, admin.username)
    page.wait_for_url(f"{live_server.url}/")
    page.goto(f"{live_server.url}/triage/models/{older.pk}/")
    page.click("form[action$='/activate/'] button")
    page.wait_for_selector(".messages li.success")
    assert page.locator("table.versions tr.active").inner_text().startswith(f"v{older.pk}")
    assert ModelVersion.objects.get(active=True) == older
    screenshot(page, "triage-models")


def test_a_handler_is_refused_the_triage_pages(page, live_server, world) -> None:  # type: ignore[no-untyped-def]
    tree, _categories = world
    make_member(tree.communities[0], Role.HANDLER, username="shequ")
    log_in(page, live_server, "shequ")
    page.wait_for_url(f"{live_server.url}/")
    nav = page.inner_text("nav.mainnav")
    assert "分类" not in nav and "热点问题" not in nav
    for path in ("/triage/", "/triage/hot/", "/triage/models/"):
        response = page.goto(f"{live_server.url}{path}")
        assert response is not None and response.status == 403, path
    response = post(page, live_server, "/triage/hot/escalate/", {"codes": "X"})
    assert response.status == 403 and "CSRF" not in response.text()

    page.context.clear_cookies()
    response = page.goto(f"{live_server.url}/triage/")
    assert page.url.startswith(f"{live_server.url}/login/"), "anonymous: to the login page"
