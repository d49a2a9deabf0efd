"""The work queue's search, filters, sorts and Excel export (/cases/, /cases/export/):
only within the viewer's scope, phone searches only for those who may know residents
and each logged, bad values refused in Chinese, the keyset pager kept in every order."""

from __future__ import annotations

import json
from datetime import timedelta
from io import BytesIO

import pytest
from django.db import connection
from django.db.models import Q
from django.test import Client
from django.utils import timezone
from openpyxl import load_workbook

from civicgrid.cases import export, search
from civicgrid.cases.models import Case, ContactReveal
from tests.cases.conftest import Staff
from tests.cases.test_lifecycle import dispatched
from tests.factories import case_as_it_stands, submit


def _client(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


def _codes(response) -> list[str]:  # type: ignore[no-untyped-def]
    assert response.status_code == 200, response.content.decode()[:2000]
    return [c.tracking_code for c in response.context["page"].items]


def test_search_by_tracking_code_and_by_words(staff: Staff) -> None:
    noise = submit(staff.tree, title="广场舞噪音扰民", text="每天晚上十点以后还在跳。")
    litter = submit(staff.tree, title="楼道杂物", text="纸箱堆满楼道，影响消防通道。")
    client = _client(staff.district_dispatcher)
    assert _codes(client.get("/cases/", {"queue": "all", "code": noise.tracking_code})) == [
        noise.tracking_code
    ]
    lower = noise.tracking_code.lower()
    assert _codes(client.get("/cases/", {"queue": "all", "code": lower})) == [noise.tracking_code]
    assert _codes(client.get("/cases/", {"queue": "all", "words": "噪音"})) == [noise.tracking_code]
    assert _codes(client.get("/cases/", {"queue": "all", "words": "消防"})) == [
        litter.tracking_code
    ]
    empty = client.get("/cases/", {"queue": "all", "words": "没有这样的话"})
    assert _codes(empty) == [] and "没有符合条件的工单" in empty.content.decode()


def test_a_search_finds_nothing_outside_the_viewers_scope(staff: Staff) -> None:
    theirs = dispatched(staff, "minor", grid_index=4)  # community 2, street 1
    client = _client(staff.community_handler)
    assert _codes(client.get("/cases/", {"queue": "all", "code": theirs.tracking_code})) == []
    assert _codes(client.get("/cases/", {"queue": "all", "words": "杂物"})) == []
    refused = client.get("/cases/", {"queue": "all", "unit": staff.tree.communities[2].code})
    assert refused.status_code == 400
    assert "有权查看的单位" in refused.content.decode()
    assert theirs.tracking_code not in refused.content.decode()


def test_phone_search_is_for_those_who_may_know_residents_and_is_logged(staff: Staff) -> None:
    mine = submit(staff.tree, contact_phone="13912345678")
    other = submit(staff.tree, contact_phone="13900000000")
    operator = _client(staff.operator)
    assert _codes(operator.get("/cases/", {"queue": "all", "phone": "5678"})) == [
        mine.tracking_code
    ]
    logged = ContactReveal.objects.filter(user=staff.operator)
    assert [r.contact.case_id for r in logged] == [mine.pk]
    assert "5678" in logged.get().reason
    assert other.tracking_code

    # A community handler may not: 403 in Chinese, no list, nothing logged.
    dispatched(staff, "minor", contact_phone="13712345678")
    handler = _client(staff.community_handler)
    refused = handler.get("/cases/", {"queue": "all", "phone": "5678"})
    assert refused.status_code == 403
    html = refused.content.decode()
    assert "无权按群众电话查找工单" in html and "data-case=" not in html
    assert 'name="phone"' not in handler.get("/cases/").content.decode(), "no phone field"
    assert not ContactReveal.objects.filter(user=staff.community_handler).exists()

    bad = operator.get("/cases/", {"queue": "all", "phone": "12a4"})
    assert bad.status_code == 400 and "请输入电话号码的后4位数字" in bad.content.decode()


def test_the_phone_tail_is_kept_by_the_database(staff: Staff) -> None:
    case = submit(staff.tree, contact_phone="13812349876")
    assert case.contact.__class__.objects.get(case=case).phone_tail == "9876"


def test_filters_by_unit_category_tier_channel_dates_and_overdue(staff: Staff) -> None:
    minor = dispatched(staff, "minor")  # community 0
    moderate = dispatched(staff, "moderate", channel="hotline")  # street 0
    untriaged = submit(staff.tree, grid_index=4)
    client = _client(staff.district_dispatcher)

    def codes(**params: str) -> set[str]:
        return set(_codes(client.get("/cases/", {"queue": "all", **params})))

    assert codes(unit=staff.tree.communities[0].code) == {minor.tracking_code}
    assert codes(unit=staff.tree.streets[0].code) == {minor.tracking_code, moderate.tracking_code}
    assert codes(category=staff.categories["moderate"].code) == {moderate.tracking_code}
    assert codes(category="T") == {minor.tracking_code, moderate.tracking_code}, "subcategories"
    assert codes(tier="moderate") == {moderate.tracking_code}
    assert codes(channel="hotline") == {moderate.tracking_code}
    today = timezone.localdate().isoformat()
    assert codes(since=today, until=today) == {
        minor.tracking_code,
        moderate.tracking_code,
        untriaged.tracking_code,
    }
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    assert codes(since=tomorrow) == set()
    assert codes(overdue="1") == set()
    Case.objects.filter(pk=minor.pk).update(due_at=timezone.now() - timedelta(hours=1))
    assert codes(overdue="1") == {minor.tracking_code}


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"tier": "huge"}, "没有这样的分级"),
        ({"channel": "fax"}, "没有这样的渠道"),
        ({"since": "2026-13-01"}, "日期"),
        ({"since": "２０２６-01-01"}, "日期"),
        ({"since": "2026-03-02", "until": "2026-03-01"}, "开始日期晚于结束日期"),
        ({"overdue": "yes"}, "超期"),
        ({"sort": "title"}, "没有这样的排序"),
        ({"category": "NOPE"}, "没有类别"),
        ({"unit": "NOPE"}, "有权查看的单位"),
        ({"words": "x" * 51}, "过长"),
        ({"before": "garbage"}, "标记无效"),
    ],
)
def test_bad_filter_values_get_a_chinese_400(staff: Staff, params: dict, message: str) -> None:
    response = _client(staff.district_dispatcher).get("/cases/", {"queue": "all", **params})
    assert response.status_code == 400
    assert message in response.content.decode()


@pytest.mark.parametrize("sort", list(search.SORTS))
def test_every_sort_pages_by_key_without_losing_or_repeating_a_case(
    staff: Staff, sort: str
) -> None:
    now = timezone.now()
    units = [staff.tree.communities[0], staff.tree.communities[1], staff.tree.streets[0]]
    cats = [None, staff.categories["minor"], staff.categories["moderate"]]
    rows = [
        case_as_it_stands(
            units[i % 3],
            now - timedelta(minutes=i),
            state="handling",
            category=cats[i % 3],
            due_at=None if i % 4 == 0 else now + timedelta(hours=i % 5),
        )
        for i in range(70)
    ]
    Case.objects.bulk_create(rows)
    client = _client(staff.district_dispatcher)
    seen: list[str] = []
    response = client.get("/cases/", {"queue": "all", "sort": sort})
    pages = [response.context["page"]]
    while pages[-1].next:
        response = client.get("/cases/", {"queue": "all", "sort": sort, "before": pages[-1].next})
        pages.append(response.context["page"])
    for page in pages:
        seen.extend(c.tracking_code for c in page.items)
    listed = search.SORTS[sort].only or Q()
    expected = list(
        Case.objects.filter(listed)
        .order_by(*_order_expressions(search.SORTS[sort]))
        .values_list("tracking_code", flat=True)
    )
    assert len(expected) == (52 if sort == "deadline" else 70), "the deadline: cases with one"
    assert len(pages) == -(-len(expected) // 30) and len(set(seen)) == len(seen)
    assert seen == expected
    back = client.get("/cases/", {"queue": "all", "sort": sort, "after": pages[1].previous})
    assert [c.pk for c in back.context["page"].items] == [c.pk for c in pages[0].items]
    html = response.content.decode()
    assert f"sort={sort}" in html and 'rel="prev"' in html, "the pager keeps the order"


def _order_expressions(sort: search.Sort) -> list:  # type: ignore[type-arg]
    from django.db.models import F

    first, second = sort.order
    name = first.lstrip("-")
    if not sort.nullable:
        return [first, second]
    if first.startswith("-"):
        return [F(name).desc(nulls_last=True), second]
    return [F(name).asc(nulls_last=True), second]


def _workbook(response):  # type: ignore[no-untyped-def]
    assert response.status_code == 200, response.content[:500]
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert ".xlsx" in response["Content-Disposition"]
    return load_workbook(BytesIO(response.content)).active


def test_export_holds_exactly_the_filtered_cases_of_the_scope(staff: Staff) -> None:
    minor = dispatched(staff, "minor", contact_phone="13812345678")
    dispatched(staff, "moderate")
    dispatched(staff, "minor", grid_index=4)  # another street's community
    sheet = _workbook(
        _client(staff.community_handler).get("/cases/export/", {"queue": "all", "tier": "minor"})
    )
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:4] == ("查询码", "标题", "描述", "事项类别")
    assert [r[0] for r in rows[1:]] == [minor.tracking_code]
    assert rows[1][15] == "138****5678", "masked for a handler"
    assert not ContactReveal.objects.exists()


def test_export_writes_whole_numbers_for_those_who_may_know_and_logs_them(staff: Staff) -> None:
    case = dispatched(staff, "minor", contact_phone="13812345678")
    rows = list(
        _workbook(_client(staff.operator).get("/cases/export/", {"queue": "all"})).iter_rows(
            values_only=True
        )
    )
    assert rows[1][0] == case.tracking_code and rows[1][15] == "13812345678"
    reveal = ContactReveal.objects.get()
    assert reveal.user == staff.operator and reveal.contact.case_id == case.pk


def test_export_refuses_a_list_longer_than_its_limit(staff: Staff, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(export, "ROW_LIMIT", 2)
    for _i in range(3):
        submit(staff.tree)
    client = _client(staff.district_dispatcher)
    refused = client.get("/cases/export/", {"queue": "all"})
    assert refused.status_code == 400 and "超过2件" in refused.content.decode()
    assert client.get("/cases/export/", {"queue": "all", "tier": "huge"}).status_code == 400
    assert client.get("/cases/").status_code == 200


@pytest.mark.skipif("connection.vendor != 'postgresql'")
def test_a_words_search_that_reads_too_long_is_cut_off_with_a_message(staff: Staff) -> None:
    filters = search.Filters(words="噪音")
    with (
        pytest.raises(search.SearchTimedOut) as cut,
        search.time_limited(filters, ms=50),
        connection.cursor() as cursor,
    ):
        cursor.execute("SELECT pg_sleep(1)")
    assert cut.value.status == 503 and "用时过长" in cut.value.message
    with connection.cursor() as cursor:
        cursor.execute("SHOW statement_timeout")
        assert cursor.fetchone()[0] == "0", "the timeout does not outlive the search"


WORDS_TEXTS = [
    ("路灯不亮", "门口路灯坏了好几天。"),
    ("ABC小区停水", "整栋楼没有水。"),
    ("噪音", "楼上abc公司装修。"),
    ("打五折", "预付卡50%折扣不兑现。"),
    ("a_b", "路 灯"),
    ("灯", ""),
]


@pytest.mark.parametrize(
    "words",
    ["路灯", "灯", "abc", "ABC", "Abc小区", "50%", "_", "a_b", "路 灯", "5", "没有这样的话"],
)
def test_a_words_search_finds_exactly_the_cases_whose_title_or_text_holds_them(
    staff: Staff, words: str
) -> None:
    """The same cases as reading every title and text would find, whatever the letters'
    case, with the characters LIKE gives a meaning to taken as themselves."""
    owner = staff.tree.communities[0]
    now = timezone.now()
    Case.objects.bulk_create(
        [case_as_it_stands(owner, now, title=t, text=x) for t, x in WORDS_TEXTS]
    )
    found = search.narrowed(Case.objects.all(), search.Filters(words=words), staff.operator)
    expected = {
        title
        for title, text in WORDS_TEXTS
        if words.upper() in title.upper() or words.upper() in text.upper()
    }
    assert set(found.values_list("title", flat=True)) == expected


@pytest.mark.skipif("connection.vendor != 'postgresql'")
def test_the_planner_knows_how_common_a_searched_word_is(staff: Staff) -> None:
    """Migration cases/0025 keeps statistics of the two expressions a words search reads
    (``UPPER(title)``, ``UPPER(text)``): the planner's guess of the cases a common word
    matches is of their number, not "almost none", so it reads a small scope newest first
    until a page is full instead of reading the whole scope and sorting it."""
    now = timezone.now()
    owner = staff.tree.communities[0]
    lamps = [
        case_as_it_stands(owner, now, title="路灯不亮", text="门口路灯坏了好几天。")
        for _ in range(400)
    ]
    others = [
        case_as_it_stands(owner, now, title=f"楼道杂物{i}", text="纸箱堆满楼道。")
        for i in range(400)
    ]
    Case.objects.bulk_create(lamps + others)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE cases_case")
    words = search.narrowed(Case.objects.all(), search.Filters(words="路灯"), staff.operator)
    assert words.count() == 400
    plan = json.loads(words.explain(format="json"))[0]["Plan"]
    assert 200 <= plan["Plan Rows"] <= 800, plan["Plan Rows"]


@pytest.mark.skipif("connection.vendor != 'postgresql'")
@pytest.mark.django_db
def test_the_planner_samples_enough_cases_to_know_every_unit() -> None:
    """Migration cases/0028: the statistics of ``owner_unit_id`` and ``grid_id`` keep up
    to 1,000 units (the default, 100, of a district's thousands: a grid's cases guessed
    at twice or three times their number, and its "handling" tab read every case being
    handled at ten million cases)."""
    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT attname, attstattarget FROM pg_attribute WHERE attrelid =
               'cases_case'::regclass AND attname IN ('owner_unit_id', 'grid_id')"""
        )
        assert dict(cursor.fetchall()) == {"owner_unit_id": 1000, "grid_id": 1000}


def test_the_api_list_takes_the_same_search_filters_and_sorts(staff: Staff) -> None:
    minor = dispatched(staff, "minor", contact_phone="13812345678")
    moderate = dispatched(staff, "moderate", contact_phone="13900000000")
    operator = _client(staff.operator)
    found = operator.get("/api/cases", {"tier": "moderate"}).json()
    assert [c["tracking_code"] for c in found["items"]] == [moderate.tracking_code]
    found = operator.get("/api/cases", {"phone": "5678"}).json()
    assert [c["tracking_code"] for c in found["items"]] == [minor.tracking_code]
    assert ContactReveal.objects.filter(user=staff.operator).count() == 1
    by_category = operator.get("/api/cases", {"sort": "category"}).json()["items"]
    assert [c["tracking_code"] for c in by_category] == [
        minor.tracking_code,
        moderate.tracking_code,
    ]
    bad = operator.get("/api/cases", {"since": "yesterday"})
    assert bad.status_code == 400 and bad.json()["errors"][0]["field"] == "since"
    refused = _client(staff.community_handler).get("/api/cases", {"phone": "5678"})
    assert refused.status_code == 403 and "无权" in refused.json()["detail"]


def test_a_filtered_sorted_page_costs_the_same_whatever_its_length(staff: Staff) -> None:
    from django.test.utils import CaptureQueriesContext

    client = _client(staff.operator)
    params = {"queue": "all", "tier": "minor", "sort": "category", "phone": "5678"}

    def cost() -> int:
        client.get("/cases/", params)
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/cases/", params).status_code == 200
        return len(queries)

    dispatched(staff, "minor", contact_phone="13812345678")
    few = cost()
    for _i in range(6):
        dispatched(staff, "minor", contact_phone="13812345678")
    assert cost() == few, "a query per row"
