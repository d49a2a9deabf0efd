"""Hot-issue clustering and heat, on invented messages (no database).

The estates, roads and complaints below are made up for these tests.
"""

from __future__ import annotations

import csv
import os
import time
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from civicgrid.triage.hot import Cluster, Item, heat, hot_issues

T0 = datetime(2024, 5, 1, 9, 0)

NOISE_CUIHU = [
    ("翠湖小区旁工地夜间施工噪音扰民", "翠湖小区旁边的工地每天晚上十一点以后还在施工，噪音很大。"),
    ("投诉翠湖小区附近工地深夜施工", "翠湖小区附近工地深夜施工，机器轰鸣，噪音太大无法入睡。"),
    ("翠湖小区边上的工地晚上施工噪音严重", "工地夜间施工不停，翠湖小区居民休息受到严重影响。"),
    ("翠湖小区居民反映工地夜间施工扰民", "翠湖小区对面工地夜里施工，噪音扰民，希望管一管。"),
    (
        "翠湖小区附近工地半夜还在施工",
        "半夜两点工地还在施工，翠湖小区的老人孩子都睡不着，噪音扰民。",
    ),
]
NOISE_JINGUI = [
    ("金桂花园旁工地夜间施工噪音扰民", "金桂花园旁边的工地每天晚上十一点以后还在施工，噪音很大。"),
    ("投诉金桂花园附近工地深夜施工", "金桂花园附近工地深夜施工，机器轰鸣，噪音太大无法入睡。"),
    ("金桂花园边上的工地晚上施工噪音严重", "工地夜间施工不停，金桂花园居民休息受到严重影响。"),
    ("金桂花园居民反映工地夜间施工扰民", "金桂花园对面工地夜里施工，噪音扰民，希望管一管。"),
    (
        "金桂花园附近工地半夜还在施工",
        "半夜两点工地还在施工，金桂花园的老人孩子都睡不着，噪音扰民。",
    ),
]
LIFT_CUIHU = [
    ("翠湖小区3栋电梯经常故障困人", "翠湖小区3栋的电梯这个月坏了三次，有老人被困在电梯里。"),
    ("翠湖小区电梯频繁停运", "翠湖小区电梯频繁停运，老人上下楼非常困难，物业不及时维修。"),
    ("翠湖小区电梯坏了一个月没人修", "翠湖小区5栋电梯故障一个月了，物业一直说等配件，没人维修。"),
    ("翠湖小区电梯老化故障频发", "翠湖小区的电梯用了十五年，老化严重，故障频发，请求更换电梯。"),
]


def make(
    texts: list[tuple[str, str]],
    prefix: str,
    *,
    days: list[float] | None = None,
    residents: list[str | None] | None = None,
    severity: float = 1.0,
    likes: int = 0,
    lon: float | None = None,
    lat: float | None = None,
    place: str | None = None,
) -> list[Item]:
    """Items from (title, text) pairs, a day apart unless ``days`` says otherwise."""
    days = days if days is not None else [float(i) for i in range(len(texts))]
    residents = residents if residents is not None else [f"{prefix}-{i}" for i in range(len(texts))]
    return [
        Item(
            id=f"{prefix}{i}",
            title=title,
            text=text,
            at=T0 + timedelta(days=day),
            lon=lon,
            lat=lat,
            place=place,
            residents=who,
            likes=likes,
            severity=severity,
        )
        for i, ((title, text), day, who) in enumerate(zip(texts, days, residents, strict=True))
    ]


def groups(clusters: list[Cluster]) -> list[set[str]]:
    return sorted(({str(i) for i in c.member_ids} for c in clusters), key=lambda g: sorted(g))


def by_member(clusters: list[Cluster], item_id: str) -> Cluster:
    return next(c for c in clusters if item_id in c.member_ids)


# --- clustering --------------------------------------------------------------------


def test_same_place_and_topic_cluster_other_estates_and_topics_do_not_merge() -> None:
    items = make(NOISE_CUIHU, "cn") + make(NOISE_JINGUI, "jn") + make(LIFT_CUIHU, "cl")
    clusters = hot_issues(items, min_size=3)
    expected = [{it.id for it in part} for part in (items[:5], items[5:10], items[10:])]
    assert groups(clusters) == sorted(expected, key=lambda g: sorted(g))
    noise = by_member(clusters, "cn0")
    assert "翠湖小区" in noise.label
    assert noise.title in {t for t, _ in NOISE_CUIHU}
    assert noise.places and noise.places[0].endswith("小区")
    assert "电梯" in by_member(clusters, "cl0").keywords


def test_item_naming_no_place_joins_a_cluster_without_bridging_estates() -> None:
    loose = Item(
        id="loose",
        title="投诉附近工地夜间施工噪音扰民",
        text="附近工地每天晚上施工，噪音很大，无法入睡，希望管一管。",
        at=T0 + timedelta(days=2, hours=3),
    )
    items = [*make(NOISE_CUIHU, "cn"), *make(NOISE_JINGUI, "jn"), loose]
    clusters = hot_issues(items, min_size=3)
    assert len(clusters) == 2
    cuihu, jingui = by_member(clusters, "cn0"), by_member(clusters, "jn0")
    assert cuihu is not jingui
    assert "loose" in cuihu.member_ids or "loose" in jingui.member_ids


def test_items_outside_the_window_do_not_join() -> None:
    late = make(NOISE_CUIHU[:1], "late", days=[100.0])
    items = make(NOISE_CUIHU, "cn") + late
    clusters = hot_issues(items, min_size=3, window_days=30)
    assert len(clusters) == 1
    assert "late0" not in clusters[0].member_ids
    # The window is what keeps it out: a longer one lets it in.
    wide = hot_issues(items, min_size=3, window_days=120)
    assert "late0" in wide[0].member_ids


def test_members_chain_across_a_period_longer_than_the_window() -> None:
    items = make(NOISE_CUIHU, "cn", days=[0, 20, 40, 60, 80])
    (cluster,) = hot_issues(items, min_size=3, window_days=30)
    assert cluster.size == 5
    assert cluster.last_at - cluster.first_at == timedelta(days=80)


def test_coordinates_far_apart_split_and_close_together_join() -> None:
    here = make(NOISE_CUIHU, "a", lon=112.9800, lat=28.2000)
    near = make(NOISE_CUIHU, "b", lon=112.9830, lat=28.2010)  # ~300 m away
    far = make(NOISE_CUIHU, "c", lon=113.0800, lat=28.2000)  # ~10 km away
    clusters = hot_issues(here + near + far, min_size=3)
    assert by_member(clusters, "a0") is by_member(clusters, "b0")
    assert by_member(clusters, "a0") is not by_member(clusters, "c0")
    joined = by_member(clusters, "a0")
    assert joined.lon == pytest.approx(112.9815)
    assert joined.lat == pytest.approx(28.2005)


def test_same_place_code_lowers_the_bar_for_looser_wording() -> None:
    # One complaint worded loosely: similar enough for one place, not for anywhere.
    texts = [
        ("晚上工地太吵", "工地晚上施工太吵了。"),
        ("工地噪音影响睡眠", "工地的噪音影响睡眠。"),
        ("工地夜间施工噪音", "附近工地夜间施工，噪音很大。"),
    ]
    placed = hot_issues(make(texts, "p", place="GRID-0101"), min_size=3)
    assert len(placed) == 1 and placed[0].size == 3
    assert hot_issues(make(texts, "p"), min_size=2) == []
    assert hot_issues(make(texts, "p", lon=112.98, lat=28.2), min_size=3)[0].size == 3


def test_empty_input_and_min_size_and_top() -> None:
    assert hot_issues([]) == []
    items = make(NOISE_CUIHU, "cn") + make(NOISE_JINGUI[:2], "jn")
    assert [c.size for c in hot_issues(items, min_size=3)] == [5]
    assert len(hot_issues(items, min_size=2)) == 2
    assert len(hot_issues(items, min_size=1, top=1)) == 1


def test_now_ignores_later_items_and_drops_clusters_with_no_recent_activity() -> None:
    items = make(NOISE_CUIHU, "cn") + make(NOISE_JINGUI, "jn", days=[60, 61, 62, 63, 64])
    now = T0 + timedelta(days=62, hours=12)
    clusters = hot_issues(items, now=now, min_size=3, window_days=30)
    # 翠湖 ended 58 days before now: history. 金桂's last two are after now.
    assert [sorted(map(str, c.member_ids)) for c in clusters] == [["jn0", "jn1", "jn2"]]
    assert clusters[0].parts.recent == 3 and clusters[0].parts.before == 0
    assert clusters[0].recent_until == now


# --- heat ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("low", "high"),
    [
        ({"count": 5}, {"count": 6}),
        ({"count": 6, "residents": 3}, {"count": 7, "residents": 3}),
        ({"count": 6, "residents": 3}, {"count": 6, "residents": 4}),
        ({"count": 5, "growth": 0.0}, {"count": 5, "growth": 0.5}),
        ({"count": 5, "growth": -1.0}, {"count": 5, "growth": -0.5}),
        ({"count": 5, "severity": 1.0}, {"count": 5, "severity": 1.5}),
        ({"count": 5, "likes": 0}, {"count": 5, "likes": 1}),
        ({"count": 5, "likes": 100}, {"count": 5, "likes": 1000}),
    ],
)
def test_heat_grows_with_each_part(low: dict[str, float], high: dict[str, float]) -> None:
    assert heat(**high) > heat(**low) > 0  # type: ignore[arg-type]


def test_heat_formula() -> None:
    # (R + 0.25·(N − R)) · (1 + 0.5·g) · s · (1 + 0.2·ln(1 + L))
    import math

    assert heat(10, growth=0.5, residents=6, severity=2.0, likes=20) == pytest.approx(
        (6 + 0.25 * 4) * 1.25 * 2.0 * (1 + 0.2 * math.log(21))
    )
    assert heat(4) == pytest.approx(4.0)
    assert heat(0) == 0.0


def _heats(a: list[Item], b: list[Item], **kwargs: object) -> tuple[float, float]:
    clusters = hot_issues(a + b, min_size=3, **kwargs)  # type: ignore[arg-type]
    return by_member(clusters, a[0].id).heat, by_member(clusters, b[0].id).heat


def test_bigger_cluster_is_hotter() -> None:
    a, b = _heats(make(NOISE_CUIHU, "cn"), make(NOISE_JINGUI[:4], "jn"))
    assert a > b


def test_more_distinct_residents_is_hotter() -> None:
    many = make(NOISE_CUIHU, "cn")
    few = make(NOISE_JINGUI, "jn", residents=["x", "x", "x", "y", "y"])
    a, b = _heats(many, few)
    assert a > b


def test_unknown_residents_count_as_distinct() -> None:
    (cluster,) = hot_issues(make(NOISE_CUIHU, "cn", residents=[None] * 5), min_size=3)
    assert cluster.parts.residents == 5


def test_more_severe_is_hotter() -> None:
    a, b = _heats(make(NOISE_CUIHU, "cn", severity=2.0), make(NOISE_JINGUI, "jn"))
    assert a > b


def test_growing_is_hotter() -> None:
    now = T0 + timedelta(days=70)
    burst = make(NOISE_CUIHU, "cn", days=[62, 64, 66, 68, 69])  # all in the last 30 days
    steady = make(NOISE_JINGUI, "jn", days=[25, 35, 45, 55, 65])  # 3 recent, 2 before
    clusters = hot_issues(burst + steady, now=now, min_size=3)
    hot, slow = by_member(clusters, "cn0"), by_member(clusters, "jn0")
    assert (hot.parts.recent, hot.parts.before, hot.parts.growth) == (5, 0, 1.0)
    assert (slow.parts.recent, slow.parts.before, slow.parts.growth) == (3, 2, 0.2)
    assert hot.heat > slow.heat
    assert clusters[0] is hot


def test_growth_over_a_shorter_window_than_the_links() -> None:
    """A 30-day board: members linked over 30 days, growth this week against last week
    (over the whole 30 days nothing came before, and every cluster read 1.0)."""
    now = T0 + timedelta(days=30)
    rising = make(NOISE_CUIHU, "cn", days=[10, 20, 24, 27, 29])  # 3 this week, 1 the week before
    fading = make(NOISE_JINGUI, "jn", days=[2, 5, 8, 12, 21])  # none this week
    clusters = hot_issues(rising + fading, now=now, window_days=30, growth_days=7, min_size=3)
    up, down = by_member(clusters, "cn0"), by_member(clusters, "jn0")
    assert (up.parts.recent, up.parts.before, up.parts.growth) == (3, 1, 0.5)
    assert (down.parts.recent, down.parts.before, down.parts.growth) == (0, 1, -1.0)
    # Still on the board: it had members within the 30 days, though none this week.
    old = make(NOISE_JINGUI, "jn", days=[2, 5, 8, 12, 21])
    (kept,) = hot_issues(old, now=now + timedelta(days=8), window_days=30, growth_days=7)
    assert kept.parts.recent == 0
    assert hot_issues(old, now=now + timedelta(days=40), window_days=30, growth_days=7) == []


def test_without_now_each_cluster_is_scored_at_its_peak() -> None:
    items = make(NOISE_CUIHU, "cn", days=[0, 25, 40, 41, 42])
    (cluster,) = hot_issues(items, min_size=3, window_days=30)
    # Peak: the 30 days ending on day 42 hold 4; the 30 before hold the first one.
    assert (cluster.parts.recent, cluster.parts.before) == (4, 1)
    assert cluster.parts.growth == pytest.approx(0.6)
    assert cluster.recent_until == T0 + timedelta(days=42)


def test_likes_add_heat() -> None:
    a, b = _heats(make(NOISE_CUIHU, "cn", likes=10), make(NOISE_JINGUI, "jn"))
    assert a > b


def test_places_named_equally_often_are_listed_in_the_order_residents_name_them() -> None:
    """Not in an order that changes from one process to the next (four places: a
    random order passes by chance once in 24 runs)."""
    places = "翠湖小区、金桂花园、幸福路和东风广场"
    texts = [
        (f"{places}的工地夜间施工噪音扰民", "每天晚上还在施工，噪音很大。"),
        (f"{places}工地深夜施工", "机器轰鸣，噪音太大。"),
        (f"{places}的工地晚上施工噪音严重", "夜间施工不停，居民休息受到影响。"),
        (f"{places}的工地夜间施工扰民", "夜里施工，噪音扰民。"),
    ]
    [cluster] = hot_issues(make(texts, "p"), min_size=3)
    assert cluster.places == ["翠湖小区", "金桂花园", "幸福路"]
    assert cluster.label.startswith("翠湖小区 · 金桂花园 · ")


# --- the shared challenge data --------------------------------------------------------

DATA = (
    Path(
        os.environ.get("CIVICGRID_SHARED_DATA")
        or Path(__file__).resolve().parents[2].parent / "shared" / "data"
    )
    / "messages"
)


@pytest.mark.skipif(
    not (DATA / "public_messages.csv").is_file(), reason="shared challenge data absent"
)
def test_known_hot_issues_are_in_the_top_five_of_the_public_messages() -> None:
    with (DATA / "public_messages.csv").open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    items = [
        Item(
            id=r["id"],
            title=r["title"],
            text=r["detail"],
            at=datetime.strptime(r["time"].strip().replace("-", "/"), "%Y/%m/%d %H:%M:%S"),
            residents=r["user"] or None,
            likes=int(r["likes"] or 0),
        )
        for r in rows
    ]
    by_id = {it.id: it for it in items}
    started = time.perf_counter()
    top = hot_issues(items, top=5)
    elapsed = time.perf_counter() - started

    def share(c: Cluster, *words: str) -> float:
        texts = [by_id[i].title + by_id[i].text for i in c.member_ids]
        return sum(any(w in t for w in words) for t in texts) / len(texts)

    mixing = [c for c in top if share(c, "搅拌") >= 0.5]
    parking = [c for c in top if share(c, "车位") >= 0.5 and share(c, "捆绑", "销售", "买") >= 0.5]
    assert mixing and parking
    assert mixing[0] is not parking[0]
    assert min(mixing[0].size, parking[0].size) >= 20
    assert elapsed < 30


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("投诉朗发新城小区附近搅拌站噪音", "朗发新城小区"),  # 朗|发|新城|小区
        ("投诉卓景园滨江苑捆绑销售车位", "卓景园滨江苑"),  # 卓|景园|滨江|苑
        ("在和平村路口垃圾堆放", "和平村"),
    ],
)
def test_a_place_keeps_the_whole_of_its_name(text: str, name: str) -> None:
    """jieba cuts an unknown estate name into pieces; the place phrase (and so the
    cluster's label) still holds the whole name, not its last characters."""
    from civicgrid.triage.hot import _analyse

    assert name in _analyse(text, "").phrases
