"""``bench/rankings.py`` on a tiny data set: every measurement runs, and the indicators'
figures equal the naive SQL aggregate's (the benchmark's check at millions of cases);
a difference is caught and named."""

from __future__ import annotations

import importlib.util
import sys
from io import StringIO
from pathlib import Path
from types import ModuleType

import pytest
from django.core.management import call_command
from django.db import connection

from tests.evaluation import naive
from tests.evaluation.conftest import World

BENCH = Path(__file__).resolve().parents[2] / "bench"


def _module(name: str) -> ModuleType:
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, BENCH / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def loaded(world: World, transactional_db) -> World:  # type: ignore[no-untyped-def]
    """The test district with 600 cases over the last three months."""
    fixture = _module("console_fixture")
    fixture.load(connection, 600, say=lambda _line: None, months=3, history=False)
    return world


def test_every_measurement_runs_and_equals_the_naive_aggregate(loaded: World) -> None:
    rankings = _module("rankings")
    result = rankings.measure(loaded.leader, repeat=1, naive_repeat=1)
    assert result["database"] == connection.vendor
    assert result["cases"] == 600
    assert set(result["measurements"]) == set(rankings.MEASUREMENTS)
    for name, found in result["measurements"].items():
        assert found["identical"], (name, found.get("differences"))
        assert found["rows"] > 0, name
        assert found["ours"]["p50_s"] >= 0 and found["naive"]["p50_s"] >= 0
    assert result["identical"]
    # the month before was published first, so the live ranking reads its scores
    assert result["month_before"].endswith("(published now)"), result["month_before"]
    # and again with the cases' stored working seconds written (the bench's fixture)
    call_command("working_seconds", stdout=StringIO())
    again = rankings.measure(loaded.leader, only=["month_streets", "street_trend"], repeat=1)
    assert again["identical"], again
    # the month's streets are the test district's two, with cases in them
    streets = rankings._Work(
        loaded.leader, rankings._now(), *rankings._months(rankings._now())
    ).month_streets()
    assert set(streets) == {s.code for s in loaded.tree.streets}
    assert sum(row.get("cases", 0) for row in streets.values()) > 0


def test_a_figure_that_differs_is_caught_and_named(
    loaded: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    rankings = _module("rankings")
    honest = naive.sql_tally

    def one_case_short(*args, **kwargs):  # type: ignore[no-untyped-def]
        found = honest(*args, **kwargs)
        for row in found.values():
            row["cases"] = max(row["cases"] - 1, 0)
        return found

    monkeypatch.setattr(naive, "sql_tally", one_case_short)
    result = rankings.measure(loaded.leader, only=["month_streets"], repeat=1, naive_repeat=1)
    found = result["measurements"]["month_streets"]
    assert not result["identical"] and not found["identical"]
    difference = found["differences"][0]
    assert difference["row"] in {s.code for s in loaded.tree.streets}
    assert difference["ours"]["cases"] > difference["naive"].get("cases", 0)


@pytest.mark.django_db
def test_the_console_references_focus_gives_the_timed_units_their_shares() -> None:
    """``bench/console.py``'s 20,000-case reference: the timed people's grid, community and
    department get ``FOCUS_SHARES`` of the picks (a district of 2,000 grids in communities
    of 20, and 85 departments), so their pages are no emptier there than at ten million."""
    fixture = _module("console_fixture")
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMP TABLE bench_grid (idx int, grid int, community int,"
            " street int, district int)"
        )
        cursor.execute("CREATE TEMP TABLE bench_dept (idx int, id int)")
        cursor.executemany(
            "INSERT INTO bench_grid VALUES (%s, %s, %s, 1, 0)",
            [(g + 1, g, 10_000 + g // 20) for g in range(2000)],
        )
        cursor.executemany(
            "INSERT INTO bench_dept VALUES (%s, %s)", [(d + 1, d) for d in range(85)]
        )
        fixture._weigh(cursor, {"grid": 45, "community": 10_002, "department": 7})
        cursor.execute("SELECT grid, community, idx FROM bench_grid")
        picks = cursor.fetchall()
        cursor.execute("SELECT id, idx FROM bench_dept")
        departments = cursor.fetchall()
        cursor.execute("DROP TABLE bench_grid")
        cursor.execute("DROP TABLE bench_dept")
    shares = fixture.FOCUS_SHARES
    assert sorted(idx for *_rest, idx in picks) == list(range(1, len(picks) + 1)), "1…n"
    grid = sum(g == 45 for g, _c, _i in picks) / len(picks)
    community = sum(c == 10_002 for _g, c, _i in picks) / len(picks)
    assert abs(grid - shares["grid"]) < 0.005, grid  # uniform: 0.05 %
    assert abs(community - shares["community"]) < 0.005, community  # uniform: 1 %
    assert {g for g, _c, _i in picks} == set(range(2000)), "every other grid kept, once"
    department = sum(d == 7 for d, _i in departments) / len(departments)
    assert abs(department - shares["department"]) < 0.01, department
    assert sorted(idx for _d, idx in departments) == list(range(1, len(departments) + 1))


def test_the_fixtures_cases_read_like_a_districts(loaded: World) -> None:
    """The bulk-loaded cases take their words from the demo's writer, per category (a
    words search in the console benchmark then matches some cases, not all of them)."""
    from civicgrid.cases.models import Case

    titles = Case.objects.values_list("title", flat=True).distinct().count()
    assert titles > 100, titles
    assert not Case.objects.filter(text="").exists()
    word = Case.objects.values_list("title", flat=True).first()[:2]
    share = Case.objects.filter(title__contains=word).count() / Case.objects.count()
    assert share < 0.5, (word, share)
    # and their words for the search, as the worker writes them, the mark past them all
    from civicgrid.cases import words
    from civicgrid.cases.models import CaseWords

    assert CaseWords.objects.count() == Case.objects.count()
    for case in Case.objects.select_related("words")[:50]:
        assert case.words.pieces == words.pieces(case.title, case.text), case.pk
    assert words.not_written() == 0
    found = Case.objects.filter(words.condition(word, whole_tree=True).q)
    assert found.count() == Case.objects.filter(words.said(word)).count() > 0
