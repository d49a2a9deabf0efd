"""``bench/console.py``'s verdict: a page passes when N's p50 is at most twice the
reference's, its p95 at most 300 ms and its queries no more than the reference's, one
more only where the reference's page is empty (the read of its rows, which an empty page
skips)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.evaluation.test_rankings_bench import _module


def _page(queries: int, rows: int, p50: float = 20.0) -> dict[str, Any]:
    return {"path": "/cases/", "p50_ms": p50, "p95_ms": p50 * 1.5, "queries": queries, "rows": rows}


def _verdict(small: dict[str, Any], big: dict[str, Any]) -> dict[str, Any]:
    console = _module("console")
    runs = {
        "small": {"cases": 20_000, "fixture": {}, "pages": {"page": small}},
        "big": {"cases": 10_000_000, "fixture": {}, "pages": {"page": big}},
    }
    return console.report(runs, {}, postgres=True)["pages"][0]


@pytest.mark.parametrize(
    ("small", "big", "ok"),
    [
        (_page(5, 20), _page(5, 20), True),
        (_page(5, 20), _page(6, 20), False),  # a query more with rows at both: growth
        (_page(5, 0), _page(6, 20), True),  # the reference's empty page skips the read
        (_page(5, 0), _page(7, 20), False),  # …of its rows only: two more is growth
        (_page(5, 0), _page(6, 0), False),  # empty at both: no read to account for
        (_page(5, 20, p50=20), _page(5, 20, p50=41), False),  # over twice as slow
    ],
)
def test_a_page_passes_when_neither_its_time_nor_its_queries_grow(
    small: dict[str, Any], big: dict[str, Any], ok: bool
) -> None:
    row = _verdict(small, big)
    assert row["ok"] is ok, row
    assert row.get("reference_empty", False) is (small["rows"] == 0 and big["rows"] > 0), row


def test_a_pages_rows_are_its_cases_not_the_line_that_says_there_are_none() -> None:
    from django.http import HttpResponse, JsonResponse

    console = _module("console")
    head = "<table><thead><tr><th>code</th></tr></thead><tbody>"
    empty = head + '<tr><td colspan="8" class="muted">No cases in this queue.</td></tr></tbody>'
    full = head + '<tr data-case="A"><td>A</td></tr><tr data-case="B"><td>B</td></tr></tbody>'
    assert console._rows(HttpResponse(empty)) == 0
    assert console._rows(HttpResponse(full)) == 2
    assert console._rows(JsonResponse({"items": [1, 2, 3], "next": None})) == 3


def test_the_words_searched_are_the_same_at_both_sizes() -> None:
    """Each role's words come from its case at N (``choose_words``) and are searched at
    both sizes: chosen at each size, the reference searched another word (a street's
    "邻里" at 20,000, "清门" at ten million), a page compared with another page."""
    from types import SimpleNamespace

    console = _module("console")
    with_category = SimpleNamespace(title="清门路灯不亮", category=SimpleNamespace(name="劳动保障"))
    assert console.choose_words_of(with_category) == {"rare": "清门", "topic": "劳动"}
    assert console.choose_words_of(SimpleNamespace(title="紫林小区", category=None)) == {
        "rare": "紫林"
    }
    runs = {
        size: {"cases": n, "fixture": {}, "pages": {"page": _page(5, 20)}}
        for size, n in (("small", 20_000), ("big", 10_000_000))
    }
    words = {"street_dispatcher": {"rare": "清门", "topic": "劳动"}}
    assert console.report(runs, words, postgres=True)["words_searched"] == words
