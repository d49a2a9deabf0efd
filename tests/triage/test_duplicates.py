"""Likely duplicates: the rule on one pair, its figures on the labelled set in
``data/duplicates.jsonl`` (invented requests, see ``data/README.md``), and the query
over cases that the hotline and the triage pipeline call."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from civicgrid.cases.models import Case, State
from civicgrid.triage.duplicates import (
    DAYS,
    MIN_SIMILARITY,
    RADIUS_M,
    is_duplicate,
    is_near,
    likely_duplicates,
    metres_between,
    similarity,
)
from tests.factories import CELL, ORIGIN_LAT, ORIGIN_LON, submit

DATA = Path(__file__).parent / "data" / "duplicates.jsonl"

NOISE = "锦绣家园东侧工地每天晚上十一点以后还在打桩，噪音很大，严重影响居民休息，请相关部门查处。"
CALL = "我住锦绣家园5栋，东边的工地半夜还在打桩，噪音太大，根本睡不着。"
LIFT = "锦绣家园5栋电梯坏了一个礼拜，物业说等配件，楼上的老人下不了楼。"


def noise(tree, text: str = NOISE, **fields):  # type: ignore[no-untyped-def]
    """A case about the site's night-time noise (the factory's default title is litter)."""
    return submit(tree, title="工地夜间施工扰民", text=text, **fields)


def near_recent(score: float) -> bool:
    return is_duplicate(score, metres=50.0, same_grid=True, days=1.0)


# --- one pair --------------------------------------------------------------------------


def test_the_same_problem_retold_nearby_this_week_is_a_duplicate() -> None:
    score = similarity(CALL, NOISE)
    assert score >= MIN_SIMILARITY
    assert is_duplicate(score, metres=60.0, same_grid=False, days=1.0)
    assert is_duplicate(score, metres=None, same_grid=True, days=0.2), "same grid, no points"


def test_far_old_or_placeless_requests_are_not_duplicates_however_alike() -> None:
    assert similarity(NOISE, NOISE) == pytest.approx(1.0)
    assert not is_duplicate(1.0, metres=RADIUS_M + 1, same_grid=False, days=1.0), "far"
    assert not is_duplicate(1.0, metres=30.0, same_grid=True, days=DAYS + 0.01), "old"
    assert not is_duplicate(1.0, metres=None, same_grid=False, days=0.0), "no place to compare"
    # the edges are inside, and one grid is near however large it is
    assert is_duplicate(1.0, metres=RADIUS_M, same_grid=False, days=DAYS)
    assert is_duplicate(1.0, metres=5_000.0, same_grid=True, days=3.0)
    assert is_near(None, same_grid=True) and not is_near(None, same_grid=False)


def test_another_problem_at_the_same_place_is_not_a_duplicate() -> None:
    """Both texts name 锦绣家园 (and 5栋): the place alone must not make them alike."""
    assert not near_recent(similarity(LIFT, NOISE))
    assert not near_recent(similarity(LIFT, CALL))
    assert not near_recent(similarity("学校门口早上堵车严重，希望增派交警。", NOISE))


def test_the_same_problem_at_another_building_gate_or_estate_is_not_a_duplicate() -> None:
    fire_lane = "阳光花园3号楼消防通道被私家车堵了，请物业清理。"
    assert near_recent(similarity("阳光花园三号楼的消防通道被私家车堵住了", fire_lane)), (
        "三号楼 is 3号楼"
    )
    assert not near_recent(similarity("阳光花园9号楼消防通道被私家车堵了，请物业清理。", fire_lane))
    assert not near_recent(similarity("锦绣家园南门的路灯不亮。", "锦绣家园北门的路灯不亮。"))
    assert not near_recent(similarity("金桥小区监控大部分损坏。", "翠湖苑小区监控大部分损坏。"))
    assert not near_recent(similarity("新华街地铁站D口有人摆摊。", "新华街地铁站A口有人摆摊。"))


def test_boilerplate_typos_and_short_notes() -> None:
    wrapped = (
        "您好，我是市民，我要反映一个问题：金桥小区12号楼暖气不热。希望相关部门尽快处理，谢谢！"
    )
    assert similarity(wrapped, "金桥小区12号楼暖气不热") > 0.8, "greetings and asks say nothing"
    assert not near_recent(
        similarity(
            "您好，我要反映翠湖苑的问题：小区路灯不亮，希望尽快处理，谢谢！",
            "您好，我要反映翠湖苑的问题：垃圾好几天没人清运，希望尽快处理，谢谢！",
        )
    )
    assert near_recent(similarity("锦秀家园垃圾桶满了好几天没人收。", "锦绣家园垃圾桶没人收"))
    long = "光明村村委会旁边修路工程，每天夜里挖掘机作业到凌晨一两点，村民反映强烈。"
    assert near_recent(similarity("光明村修路夜间施工扰民", long))
    assert similarity("", long) == 0.0


def test_metres_between() -> None:
    assert metres_between(120.0, 30.0, 120.0, 30.001) == pytest.approx(111.3, abs=0.1)
    assert metres_between(120.0, 30.0, 120.001, 30.0) == pytest.approx(96.4, abs=0.1)


# --- the labelled set ------------------------------------------------------------------

#: Floors under today's figures (bench/duplicates.py): dev P 0.93 R 0.93, test P 0.90
#: R 0.84. A change that loses two or three pairs more than it gains fails here.
FLOORS = {"dev": (0.90, 0.88), "test": (0.85, 0.80)}
#: Pairs judged wrongly today (six are duplicates beyond the place and time rule:
#: p009 p035 p133 p167 p188 p189). When a floor fails, the others are named.
KNOWN_WRONG = frozenset(
    {"p006", "p009", "p079", "p091", "p131", "p133", "p169", "p188"}  # dev
    | {"p035", "p060", "p061", "p083", "p103", "p126", "p151", "p153", "p155", "p167"}  # test
    | {"p189", "p207", "p211"}  # test
)


def load_pairs() -> list[dict]:
    with DATA.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def test_the_labelled_set_is_sound() -> None:
    pairs = load_pairs()
    assert len(pairs) == len({p["id"] for p in pairs}) >= 200
    for split in ("dev", "test"):
        part = [p for p in pairs if p["split"] == split]
        kinds = {p["kind"] for p in part}
        assert {"typo", "same_topic_other_spot", "same_place_other_issue", "far", "old"} <= kinds
        assert 0.3 < sum(p["duplicate"] for p in part) / len(part) < 0.6
    texts = [(p["earlier"], p["new"]) for p in pairs]
    assert len(texts) == len(set(texts)), "no pair twice"


@pytest.mark.parametrize("split", ["dev", "test"])
def test_precision_and_recall_stay_above_their_floors(split: str) -> None:
    pairs = [p for p in load_pairs() if p["split"] == split]
    said = {}
    for p in pairs:
        score = similarity(p["new"], p["earlier"])
        said[p["id"]] = (
            is_duplicate(score, metres=p["metres"], same_grid=p["same_grid"], days=p["days"]),
            score,
        )
    tp = sum(p["duplicate"] and said[p["id"]][0] for p in pairs)
    fp = sum(not p["duplicate"] and said[p["id"]][0] for p in pairs)
    fn = sum(p["duplicate"] and not said[p["id"]][0] for p in pairs)
    precision, recall = tp / (tp + fp), tp / (tp + fn)
    flipped = [
        f"{p['id']} ({p['kind']}) label={p['duplicate']} score={said[p['id']][1]:.3f}: "
        f"{p['earlier']} | {p['new']}"
        for p in pairs
        if said[p["id"]][0] != p["duplicate"] and p["id"] not in KNOWN_WRONG
    ]
    floor_p, floor_r = FLOORS[split]
    assert precision >= floor_p and recall >= floor_r, (
        f"{split}: precision {precision:.3f} (floor {floor_p}), recall {recall:.3f} "
        f"(floor {floor_r}); newly wrong:\n" + "\n".join(flipped)
    )


# --- over cases ------------------------------------------------------------------------

NEAR_EAST_EDGE = (ORIGIN_LON + CELL - 0.0002, ORIGIN_LAT + CELL / 2)  # grid 0, ~20 m from grid 1


def test_likely_duplicates_finds_the_same_problem_nearby_and_nothing_else(tree) -> None:  # type: ignore[no-untyped-def]
    same = noise(tree)
    submit(tree, title="电梯故障", text=LIFT)  # same grid, same estate, another problem
    noise(tree, text="星河湾小区南面的楼盘工地晚上加班施工，噪音太大。")  # another estate
    far = noise(tree, grid_index=12)
    old = noise(tree)
    merged = noise(tree)
    rejected = noise(tree)
    Case.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=DAYS + 1))
    Case.objects.filter(pk=merged.pk).update(state=State.MERGED)
    Case.objects.filter(pk=rejected.pk).update(state=State.REJECTED)
    lon, lat = same.lon, same.lat

    found = likely_duplicates(CALL, lon=lon, lat=lat, grid_id=same.grid_id)
    assert [d.case for d in found] == [same]
    assert found[0].metres == pytest.approx(0.0) and found[0].similarity >= MIN_SIMILARITY
    assert far.pk not in {d.case.pk for d in found}
    assert likely_duplicates(CALL, lon=lon, lat=lat, exclude=same.pk) == []
    assert likely_duplicates(CALL) == [], "no place, nothing to compare with"
    two_days_ago = timezone.now() - timedelta(days=2)
    then = likely_duplicates(CALL, lon=lon, lat=lat, now=two_days_ago)
    assert old in {d.case for d in then}, "six days before then"
    later = timezone.now() + timedelta(days=DAYS + 1)
    assert likely_duplicates(CALL, lon=lon, lat=lat, now=later) == []


def test_same_grid_without_points_and_near_across_a_grid_edge(tree) -> None:  # type: ignore[no-untyped-def]
    pointless = noise(tree)
    Case.objects.filter(pk=pointless.pk).update(lon=None, lat=None)
    across = noise(tree, grid_index=1)
    Case.objects.filter(pk=across.pk).update(lon=NEAR_EAST_EDGE[0] + 0.0004, lat=NEAR_EAST_EDGE[1])

    by_grid = likely_duplicates(CALL, grid_id=pointless.grid_id)
    assert [d.case for d in by_grid] == [pointless] and by_grid[0].metres is None

    found = {
        d.case: d.metres
        for d in likely_duplicates(
            CALL, lon=NEAR_EAST_EDGE[0], lat=NEAR_EAST_EDGE[1], grid_id=pointless.grid_id
        )
    }
    assert found.keys() == {pointless, across}
    assert found[pointless] is None and found[across] == pytest.approx(38.6, abs=1)
    west = NEAR_EAST_EDGE[0] - 0.003  # ~330 m from ``across``; no grid given
    assert likely_duplicates(CALL, lon=west, lat=NEAR_EAST_EDGE[1]) == []


def test_the_most_similar_come_first_up_to_the_limit(tree) -> None:  # type: ignore[no-untyped-def]
    called = noise(tree, text=CALL)
    same = noise(tree)
    found = likely_duplicates(NOISE, lon=same.lon, lat=same.lat)
    assert [d.case for d in found] == [same, called]
    assert found[0].similarity > found[1].similarity
    assert [d.case for d in likely_duplicates(NOISE, lon=same.lon, lat=same.lat, limit=1)] == [same]
