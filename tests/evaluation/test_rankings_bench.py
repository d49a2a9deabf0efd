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
