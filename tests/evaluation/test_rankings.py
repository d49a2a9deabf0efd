"""Monthly rankings (月度榜单): the composite score, the lists, and publishing a month
(a frozen snapshot, corrections as revisions, the refusals)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import translation

from civicgrid.cases import clock
from civicgrid.cases.models import Case, State
from civicgrid.errors import Conflict, Forbidden, Invalid, Refusal
from civicgrid.evaluation import actions as appeals
from civicgrid.evaluation import publishing
from civicgrid.evaluation import rankings as rk
from civicgrid.evaluation.models import (
    Ground,
    RankingAction,
    RankingEvent,
    RankingPolicy,
    RankingSnapshot,
)
from civicgrid.org.models import Role, Unit
from tests.evaluation.conftest import World, local
from tests.factories import case_as_it_stands, make_member

MARCH = rk.parse_month("2025-03")
FEBRUARY = rk.parse_month("2025-02")
APRIL_2 = local(2025, 4, 2, 10)  # March's appeals are still open (until the end of 5 April)
APRIL_10 = local(2025, 4, 10, 9)  # March's appeals are closed


def cases(
    unit: Unit,
    count: int,
    *,
    on_time: int | None = None,
    solved: int | None = None,
    satisfied: int | None = None,
    month: tuple[int, int] = (2025, 3),
    rated: bool = True,
) -> list[Case]:
    """``count`` closed cases of ``unit`` submitted in ``month``: the first ``on_time``
    acknowledged by the deadline (the rest late), the first ``solved`` solved in the
    resident's words, the first ``satisfied`` rated 5 stars (the rest 2); default all."""
    on_time = count if on_time is None else on_time
    solved = count if solved is None else solved
    satisfied = count if satisfied is None else satisfied
    rows = []
    for i in range(count):
        created = local(*month, 3, 9) + timedelta(hours=i)
        rows.append(
            case_as_it_stands(
                unit,
                created,
                state=State.CLOSED,
                acknowledged_at=created + timedelta(hours=1),
                acknowledge_due=created + timedelta(hours=2 if i < on_time else 0.5),
                resolved_at=created + timedelta(hours=5),
                resolve_due=created + timedelta(hours=40),
                solved=(i < solved) if rated else None,
                rating=(5 if i < satisfied else 2) if rated else None,
            )
        )
    return Case.objects.bulk_create(rows)


def month_of(world: World) -> None:
    """March: community D01001 perfect, D01002 mixed, D02001 poor, D02002 too few cases;
    the department DX01 (and its team DX0101) good, DX02 poor."""
    tree = world.tree
    cases(tree.communities[0], 12)
    cases(tree.communities[1], 12, on_time=6, solved=9, satisfied=6)
    cases(tree.communities[2], 12, on_time=3, solved=3, satisfied=3)
    cases(tree.communities[3], 4)
    cases(world.departments[0], 8, solved=6)
    cases(world.departments[1], 4)
    cases(world.departments[2], 12, on_time=0, solved=6, satisfied=0)


def rows_of(ranking: rk.Ranking | dict[str, Any], name: str) -> dict[str, dict[str, Any]]:
    lists = ranking.lists if isinstance(ranking, rk.Ranking) else ranking
    return {r["unit"]: r for r in lists[name]}


def refused(kind: type[Refusal], message: str, function: Any, *args: Any, **kwargs: Any) -> None:
    with pytest.raises(kind) as caught:
        function(*args, **kwargs)
    assert caught.value.message == message


# --- the score -------------------------------------------------------------------------------


def test_the_score_weighs_the_three_rates_out_of_100() -> None:
    weights = {"response": 20, "solved": 40, "satisfaction": 40}
    rates = {"response": 0.5, "solved": 1.0, "satisfaction": 0.75}
    assert rk.score(rates, weights) == 10 + 40 + 30


def test_a_missing_rate_is_left_out_and_the_other_weights_scaled_up() -> None:
    weights = {"response": 20, "solved": 40, "satisfaction": 40}
    # no rated case: 20 × 1.0 + 40 × 0.5 over 60 points, out of 100
    assert rk.score({"response": 1.0, "solved": 0.5, "satisfaction": None}, weights) == (
        round(100 * 40 / 60, rk.SCORE_DIGITS)
    )
    assert rk.score({"response": None, "solved": None, "satisfaction": None}, weights) is None
    # a weight of 0 does not count a rate in
    assert (
        rk.score({"response": 0.0, "solved": 1.0, "satisfaction": 1.0}, {**weights, "response": 0})
        == 100
    )


def test_weights_change_the_order(world: World) -> None:
    tree = world.tree
    cases(tree.communities[0], 10, on_time=10, solved=5, satisfied=5)  # fast, half solved
    cases(tree.communities[2], 10, on_time=2, solved=9, satisfied=9)  # slow, solved
    ranking = rk.compute(MARCH, at=APRIL_10)
    assert [r["unit"] for r in ranking.lists[rk.STREETS]] == ["D02", "D01"]
    publishing.change_policy(
        world.leader, weight_response=80, weight_solved=10, weight_satisfaction=10
    )
    ranking = rk.compute(MARCH, at=APRIL_10)
    assert [r["unit"] for r in ranking.lists[rk.STREETS]] == ["D01", "D02"]
    assert rows_of(ranking, rk.STREETS)["D01"]["score"] == 80 * 1 + 10 * 0.5 + 10 * 0.5


# --- the lists -------------------------------------------------------------------------------


def test_a_month_s_three_lists(world: World) -> None:
    month_of(world)
    ranking = rk.compute(MARCH, at=APRIL_10)
    streets = rows_of(ranking, rk.STREETS)
    assert set(streets) == {"D01", "D02"}
    # a street's figures are its communities' (numerators and denominators add up)
    assert streets["D01"]["cases"] == 24
    assert streets["D01"]["figures"]["response"] == [18, 24]
    assert streets["D01"]["figures"]["solved"] == [21, 24]
    assert streets["D01"]["rates"]["satisfaction"] == 0.75
    assert streets["D02"]["figures"]["response"] == [7, 16]
    assert streets["D01"]["rank"] == 1 and streets["D02"]["rank"] == 2
    # two units: one on the red list, one on the black list, never both
    assert streets["D01"]["red"] and not streets["D01"]["black"]
    assert streets["D02"]["black"] and not streets["D02"]["red"]

    communities = rows_of(ranking, rk.COMMUNITIES)
    assert {code: r["group"] for code, r in communities.items()} == {
        "D01001": "D01",
        "D01002": "D01",
        "D02001": "D02",
        "D02002": "D02",
    }
    # ranked within their street; fewer than 10 cases: listed apart, unranked
    assert communities["D01001"]["rank"] == 1 and communities["D01002"]["rank"] == 2
    assert communities["D02001"]["rank"] == 1
    assert communities["D02002"]["apart"] and communities["D02002"]["rank"] is None
    assert communities["D02002"]["apart_reason"] == "volume"
    assert not communities["D02002"]["black"] and not communities["D02002"]["red"]
    # a street with one ranked community: it is on the red list, nobody on the black
    assert communities["D02001"]["red"] and not communities["D02001"]["black"]

    departments = rows_of(ranking, rk.DEPARTMENTS)
    assert departments["DX01"]["cases"] == 12  # its own 8 and its team's 4
    assert departments["DX0101"]["apart"]
    assert departments["DX01"]["rank"] == 1 and departments["DX02"]["rank"] == 2
    assert departments["DX02"]["rates"]["response"] == 0.0
    # ranked rows first, by rank; then those listed apart
    assert [r["unit"] for r in ranking.lists[rk.DEPARTMENTS]] == ["DX01", "DX02", "DX0101"]


def test_the_minimum_volume_is_the_district_s(world: World) -> None:
    month_of(world)
    publishing.change_policy(world.leader, min_volume=13)
    ranking = rk.compute(MARCH, at=APRIL_10)
    communities = rows_of(ranking, rk.COMMUNITIES)
    assert all(r["apart"] for r in communities.values())
    assert rows_of(ranking, rk.STREETS)["D01"]["rank"] == 1  # 24 cases


def test_a_unit_without_any_rate_is_listed_apart(world: World) -> None:
    cases(world.tree.communities[0], 12, rated=False)
    Case.objects.update(state=State.DISPATCHED, acknowledged_at=None, acknowledge_due=None)
    row = rows_of(rk.compute(MARCH, at=APRIL_10), rk.STREETS)["D01"]
    assert row["score"] is None and row["apart"] and row["apart_reason"] == "no_rate"


def _row(code: str, score: float | None, apart: bool = False) -> dict[str, Any]:
    return {
        "unit": code,
        "score": score,
        "apart": apart,
        "rank": None,
        "change": None,
        "red": False,
        "black": False,
        "improved": False,
    }


@pytest.mark.parametrize(
    ("scores", "red", "black"),
    [
        ([90, 80, 70, 60, 50, 40, 30], ["a", "b", "c"], ["e", "f", "g"]),
        ([90, 80, 70, 60], ["a", "b"], ["c", "d"]),
        ([90, 80, 70], ["a", "b"], ["c"]),
        ([90], ["a"], []),
        # equal scores: nobody on the black list scores as well as the red list's last
        ([90, 90, 90], ["a", "b"], []),
    ],
)
def test_red_and_black_lists(scores: list[float], red: list[str], black: list[str]) -> None:
    rows = [_row(chr(ord("a") + i), s) for i, s in enumerate(scores)]
    rows.append(_row("z", 10, apart=True))  # the lowest score, but listed apart
    terms = rk.Terms({"response": 20, "solved": 40, "satisfaction": 40}, 10, 3, 3, 3)
    rk.rank_group(rows, terms, {})
    assert [r["unit"] for r in rows if r["red"]] == red
    assert [r["unit"] for r in rows if r["black"]] == black
    assert not any(r["red"] and r["black"] for r in rows)
    assert rows[-1]["rank"] is None


def test_equal_scores_share_a_rank() -> None:
    rows = [_row("a", 90), _row("b", 80), _row("c", 80), _row("d", 70)]
    rk.rank_group(
        rows, rk.Terms({"response": 20, "solved": 40, "satisfaction": 40}, 10, 1, 1, 1), {}
    )
    assert [r["rank"] for r in rows] == [1, 2, 2, 4]


def test_most_improved_against_the_month_before(world: World) -> None:
    tree = world.tree
    cases(tree.communities[0], 12, month=(2025, 2))
    cases(tree.communities[2], 12, on_time=0, solved=0, satisfied=0, month=(2025, 2))
    cases(tree.communities[0], 12, solved=10)
    cases(tree.communities[2], 12, on_time=6, solved=6, satisfied=6)
    ranking = rk.compute(MARCH, at=APRIL_10)
    streets = rows_of(ranking, rk.STREETS)
    assert streets["D02"]["previous_score"] == 0 and streets["D02"]["change"] == 50
    assert streets["D02"]["improved"] and not streets["D01"]["improved"]  # D01 fell
    assert ranking.previous == {"month": "2025-02", "revision": None}
    assert [r["unit"] for r in rk.most_improved(ranking.lists[rk.STREETS])] == ["D02"]


@pytest.mark.parametrize(
    "text", ["２０２５-０３", "2025-3", "2025-13", "25-03", "2025-03 ", "", "1999-12"]
)
def test_a_month_is_ascii_digits_yyyy_mm(text: str) -> None:
    with pytest.raises(Invalid) as caught:
        rk.parse_month(text)
    assert caught.value.field == "month"


def test_a_full_width_month_is_refused_in_chinese() -> None:
    with translation.override("zh-hans"), pytest.raises(Invalid) as caught:
        rk.parse_month("２０２５-０３")
    assert "月份" in caught.value.message


# --- publishing ----------------------------------------------------------------------------------


def test_publishing_freezes_the_month_and_recomputing_gives_the_same(world: World) -> None:
    month_of(world)
    with clock.at(APRIL_10):
        snapshot = publishing.publish_month(world.leader, MARCH)
    assert (snapshot.month, snapshot.revision, snapshot.published_by) == (
        "2025-03",
        1,
        world.leader,
    )
    assert snapshot.policy["weights"] == {"response": 20, "solved": 40, "satisfaction": 40}
    assert publishing.verify("2025-03").same
    stored = RankingSnapshot.objects.get(pk=snapshot.pk)
    assert stored.lists == rk.compute(MARCH, at=APRIL_10).as_json()
    # a policy changed later changes nothing published, nor its recomputation
    publishing.change_policy(
        world.leader, weight_response=100, weight_solved=0, weight_satisfaction=0
    )
    assert publishing.verify("2025-03").same
    # a late rating changes the cases, not the snapshot: verify says what moved
    late = Case.objects.filter(owner_unit=world.tree.communities[1], rating=2).first()
    Case.objects.filter(pk=late.pk).update(rating=5)
    checked = publishing.verify("2025-03")
    assert not checked.same
    assert "streets D01: figures, rates, score" in checked.differences
    assert publishing.published("2025-03").lists == stored.lists
    assert list(RankingEvent.objects.values_list("action", "month", "revision")) == [
        (RankingAction.POLICY, "", None),
        (RankingAction.PUBLISH, "2025-03", 1),
    ]


def test_a_correction_is_a_new_revision_with_its_reason(world: World) -> None:
    month_of(world)
    with clock.at(APRIL_10):
        first = publishing.publish_month(world.leader, MARCH)
    Case.objects.filter(owner_unit=world.tree.communities[2]).update(rating=5)
    with clock.at(APRIL_10 + timedelta(days=1)):
        refused(
            Invalid,
            "更正须说明理由。",
            publishing.correct_month,
            world.leader,
            MARCH,
            "  ",
        )
        second = publishing.correct_month(world.leader, MARCH, "D02001 的评价录入有误，已更正。")
    assert second.revision == 2 and second.reason == "D02001 的评价录入有误，已更正。"
    assert [s.revision for s in publishing.revisions("2025-03")] == [1, 2]
    assert publishing.published("2025-03") == second
    assert publishing.published("2025-03", revision=1) == first
    before = rows_of(first.lists, rk.COMMUNITIES)["D02001"]["rates"]["satisfaction"]
    after = rows_of(second.lists, rk.COMMUNITIES)["D02001"]["rates"]["satisfaction"]
    assert (before, after) == (0.25, 1.0)
    assert publishing.published_months() == ["2025-03"]
    assert publishing.verify("2025-03").same
    assert not publishing.verify("2025-03", revision=1).same
    event = RankingEvent.objects.get(action=RankingAction.CORRECT)
    assert (event.revision, event.note) == (2, second.reason)


def test_the_month_before_s_published_scores_are_the_ones_improvement_is_against(
    world: World,
) -> None:
    cases(world.tree.communities[0], 12, month=(2025, 2))
    cases(world.tree.communities[0], 12, solved=6)
    with clock.at(local(2025, 3, 10)):
        february = publishing.publish_month(world.leader, FEBRUARY)
    Case.objects.filter(created_at__lt=local(2025, 3, 1)).update(rating=1)  # after publishing
    with clock.at(APRIL_10):
        march = publishing.publish_month(world.leader, MARCH)
    assert march.policy["previous"] == {"month": "2025-02", "revision": february.revision}
    assert rows_of(march.lists, rk.STREETS)["D01"]["previous_score"] == 100
    assert publishing.verify("2025-03").same


def test_an_upheld_appeal_changes_the_unit_s_rate(world: World) -> None:
    late = cases(world.tree.communities[0], 11, on_time=10)[-1]
    before = rows_of(rk.compute(MARCH, at=APRIL_10), rk.COMMUNITIES)["D01001"]
    assert before["figures"]["response"] == [10, 11]
    with clock.at(APRIL_2):
        appeal = appeals.submit_appeal(
            late,
            actor=world.community_handler,
            ground=Ground.NOT_OURS,
            reason="该地块属于邻区管辖。",
        )
        appeals.uphold_appeal(appeal, actor=world.leader)
    after = rows_of(rk.compute(MARCH, at=APRIL_10), rk.COMMUNITIES)["D01001"]
    assert after["figures"]["response"] == [10, 10]
    assert after["rates"]["response"] == 1.0
    assert after["excluded"]["appeal_upheld"] == 1
    assert after["cases"] == 10 and not after["apart"]


# --- refusals ------------------------------------------------------------------------------


def test_who_may_publish(world: World) -> None:
    month_of(world)
    dispatcher = make_member(world.tree.district, Role.DISPATCHER, username="qu_diaodu")
    admin = make_member(world.tree.district, Role.ADMIN, username="guanli")
    message = "只有区级领导或管理员可以发布榜单、修改排名规则。"
    with clock.at(APRIL_10):
        for nobody in (world.street_leader, world.community_handler, dispatcher, world.operator):
            refused(Forbidden, message, publishing.publish_month, nobody, MARCH)
            refused(Forbidden, message, publishing.change_policy, nobody, min_volume=5)
        assert not RankingSnapshot.objects.exists() and not RankingEvent.objects.exists()
        publishing.publish_month(admin, MARCH)
        publishing.correct_month(world.boss, MARCH, "复核")
        refused(Forbidden, message, publishing.correct_month, world.street_leader, MARCH, "复核")
    assert RankingSnapshot.objects.count() == 2


def test_what_cannot_be_published(world: World) -> None:
    month_of(world)
    leader = world.leader
    with clock.at(local(2025, 3, 31, 23)):
        refused(
            Conflict,
            "2025-03 尚未结束，只能发布已经结束的月份。",
            publishing.publish_month,
            leader,
            MARCH,
        )
        refused(
            Conflict,
            "2025-04 尚未结束，只能发布已经结束的月份。",
            publishing.publish_month,
            leader,
            rk.parse_month("2025-04"),
        )
    with clock.at(APRIL_2):
        refused(
            Conflict,
            "2025-03 工单的申诉期至 2025-04-05 结束；请在此后发布，或选择提前发布。",
            publishing.publish_month,
            leader,
            MARCH,
        )
        case = Case.objects.filter(owner_unit=world.tree.communities[0]).first()
        appeal = appeals.submit_appeal(
            case, actor=world.community_handler, ground=Ground.DUPLICATE, reason="与另一工单重复。"
        )
        refused(
            Conflict,
            "2025-03 的工单还有 1 件申诉等待区级裁决，请先裁决。",
            publishing.publish_month,
            leader,
            MARCH,
            early=True,
        )
        appeals.reject_appeal(appeal, actor=leader, note="不是重复工单。")
        publishing.publish_month(leader, MARCH, early=True)
    with clock.at(APRIL_10):
        refused(
            Conflict,
            "2025-03 已经发布；如需修改，请发布更正。",
            publishing.publish_month,
            leader,
            MARCH,
        )
        refused(
            Conflict,
            "2025-02 尚未发布，无可更正。",
            publishing.correct_month,
            leader,
            FEBRUARY,
            "复核",
        )
    snapshot = publishing.published("2025-03")
    assert snapshot.early and RankingSnapshot.objects.count() == 1


def test_the_policy_s_checks(world: World) -> None:
    refused(
        Invalid,
        "三项权重之和须为 100（现为 110）。",
        publishing.change_policy,
        world.leader,
        weight_response=30,
    )
    refused(
        Invalid,
        "min_volume 必须是 0 到 100000 之间的整数。",
        publishing.change_policy,
        world.leader,
        min_volume=-1,
    )
    refused(
        Invalid,
        "red_size 必须是 0 到 20 之间的整数。",
        publishing.change_policy,
        world.leader,
        red_size="３",
    )
    refused(Invalid, "未知的设置项：colour", publishing.change_policy, world.leader, colour=1)
    assert not RankingPolicy.objects.filter(weight_response=30).exists()
    assert not RankingEvent.objects.exists()
    policy = publishing.change_policy(
        world.leader, weight_response=30, weight_solved=30, red_size="5"
    )
    assert (policy.weight_response, policy.weight_solved, policy.red_size) == (30, 30, 5)
    event = RankingEvent.objects.get()
    assert event.data["before"]["weight_response"] == 20 and event.data["after"]["red_size"] == 5
