"""civicgrid.inputs: what each check takes and refuses (the field named, the sentence
in Chinese), for any text and any number."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from civicgrid import inputs
from civicgrid.errors import Invalid

# --- the checks themselves (no database) ------------------------------------------------


def refusal(call, *args, **kwargs) -> Invalid:  # type: ignore[no-untyped-def]
    with pytest.raises(Invalid) as raised:
        call(*args, **kwargs)
    return raised.value


@pytest.mark.parametrize("value", ["\x00", "a\x00b", "\ud800", "x\udfffy", "\udc00\ud800"])
def test_text_no_database_stores_is_refused_naming_the_field(value: str) -> None:
    refused = refusal(inputs.text, value, "note")
    assert (refused.status, refused.field, refused.kind) == (400, "note", "unstorable")
    assert "字段 note 含有无法保存的字符" in refused.message


@given(st.text(st.characters(codec="utf-8", exclude_characters="\x00")))
def test_text_any_database_stores_passes_unchanged(value: str) -> None:
    assert inputs.text(value, "note") == value


@given(st.text(st.characters(codec=None, exclude_categories=())))
def test_text_is_refused_exactly_when_it_cannot_be_encoded_or_holds_nul(value: str) -> None:
    try:
        value.encode("utf-8")
        storable = "\x00" not in value
    except UnicodeEncodeError:
        storable = False
    try:
        inputs.text(value, "t")
    except Invalid:
        assert not storable
    else:
        assert storable


@pytest.mark.parametrize(
    "value",
    [
        "-1",
        "0",
        "201",
        "²",
        "١٢",
        "1_0",
        "1.0",
        "1e2",
        "NaN",
        "",
        "9" * 40,
        True,
        2.0,
        None,
        10**30,
    ],
)
def test_whole_numbers_out_of_range_or_not_in_ascii_digits_are_refused(value: object) -> None:
    refused = refusal(inputs.whole_number, value, "limit", 1, 200)
    assert refused.field == "limit" and refused.message == "limit 必须是 1 到 200 之间的整数。"


@given(st.integers(1, 200), st.sampled_from(["{}", " {} ", "+{}", "0{}"]))
def test_whole_numbers_in_range_are_taken_as_written(n: int, written: str) -> None:
    assert inputs.whole_number(written.format(n), "limit", 1, 200) == n
    assert inputs.whole_number(n, "limit", 1, 200) == n


@pytest.mark.parametrize(
    "lon,lat,message",
    [
        ("nan", "30", "位置不是一对数字"),
        (math.inf, 30.0, "位置不是一对数字"),
        ("1e309", "30", "位置不是一对数字"),
        ("²", "30", "位置不是一对数字"),
        ("١٢٠", "30", "位置不是一对数字"),
        ("120", "-inf", "位置不是一对数字"),
        ("180.0001", "30", "不在地球上"),
        ("120", "-90.5", "不在地球上"),
        ("120", "", "需要同时给出经度和纬度"),
        (None, 30.0, "需要同时给出经度和纬度"),
    ],
)
def test_coordinates_must_be_finite_ascii_and_on_earth(lon, lat, message) -> None:  # type: ignore[no-untyped-def]
    assert message in refusal(inputs.coordinate, lon, lat).message


@given(st.floats(-180, 180), st.floats(-90, 90))
def test_points_on_earth_pass_as_floats(lon: float, lat: float) -> None:
    assert inputs.coordinate(lon, lat) == (lon, lat)
    assert inputs.coordinate(repr(lon), repr(lat)) == (lon, lat)
    assert inputs.coordinate(None, "") is None


def test_the_first_unstorable_field_is_named_where_it_sits() -> None:
    body = {"note": "ok", "assisting": ["DX01", "D\x00"], "nested": {"deep": "\ud800"}}
    assert inputs.first_unstorable([("", body)]) == "assisting[1]"
    assert inputs.first_unstorable([("", {"a\x00": "ok"})]) == "a?"
    assert inputs.first_unstorable([("", {"emoji": "\U0001f600", "pair": "\ud83d\ude00"})]) in (
        None,
        "pair",  # a pair written as two escapes is one character once JSON is read
    )


@pytest.mark.parametrize(
    "value", ["2026-02-30", "２０２６-01-01", "20260101", "1800-01-01", "2026-1-5", "", "明天"]
)
def test_a_day_from_a_form_is_refused_unless_written_as_a_date_field_sends_it(value: str) -> None:
    from civicgrid.inputs import day

    with pytest.raises(Invalid, match="term_end"):
        day(value, "term_end")


def test_a_day_from_a_form() -> None:
    from datetime import date

    from civicgrid.inputs import day, optional_day

    assert day(" 2026-03-15 ", "on") == date(2026, 3, 15)
    assert optional_day("", "on") is None and optional_day("2026-03-15", "on") == date(2026, 3, 15)
