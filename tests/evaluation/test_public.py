"""每月一题 (the month's key problem), the public transparency page (/public/) and the
monthly bulletin (/evaluation/bulletin/): who may choose, what the public reads (the
published snapshot only, nobody's data), what the bulletin shows and to whom."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client

from civicgrid.cases import clock
from civicgrid.cases.models import Case, ResidentContact, State
from civicgrid.errors import Forbidden, Invalid
from civicgrid.evaluation import public, publishing, topics
from civicgrid.evaluation import rankings as rk
from civicgrid.evaluation.models import MonthlyTopic
from civicgrid.org.models import Role, Unit
from tests.evaluation.conftest import World, local
from tests.evaluation.test_rankings import APRIL_10, MARCH, month_of
from tests.factories import case_as_it_stands, make_member

RESIDENT = "王建国"
PHONE = "13912345678"
ID_NUMBER = "110101199003071233"
ASKED = f"我是{RESIDENT}，电话{PHONE}，身份证{ID_NUMBER}，小区北门的路灯坏了一个星期。"
REPLY = f"已联系{RESIDENT}（{PHONE}），路灯已修复。"


def story_cases(unit: Unit, category, count: int = 3, hidden: bool = False) -> list[Case]:  # type: ignore[no-untyped-def]
    """Closed, solved March cases written with the resident's name, phone and ID number."""
    rows = []
    for i in range(count):
        created = local(2025, 3, 10, 9) + timedelta(hours=i)
        rows.append(
            case_as_it_stands(
                unit,
                created,
                title=f"路灯不亮{i}",
                text=ASKED,
                reply=REPLY,
                category=category,
                state=State.CLOSED,
                acknowledged_at=created + timedelta(hours=1),
                acknowledge_due=created + timedelta(hours=2),
                resolved_at=created + timedelta(hours=5),
                closed_at=created + timedelta(hours=30),
                solved=True,
                rating=5,
            )
        )
    made = Case.objects.bulk_create(rows)
    for case in made:
        ResidentContact.objects.create(case=case, name=RESIDENT, phone=PHONE, hide_identity=hidden)
    return made


def published_march(world: World) -> list[Case]:
    month_of(world)
    told = story_cases(world.tree.communities[0], world.categories["other_leaf"])
    with clock.at(APRIL_10):
        publishing.publish_month(world.leader, MARCH)
    return told


def cluster_of(cases: list[Case]) -> dict[str, object]:
    return {
        "title": "北门路灯不亮",
        "label": "路灯 · 北门",
        "codes": [c.tracking_code for c in cases],
    }


# --- 每月一题 ------------------------------------------------------------------------------


def test_the_districts_command_side_chooses_the_months_key_problem(world: World) -> None:
    told = story_cases(world.tree.communities[0], world.categories["other_leaf"])
    topic = topics.choose_topic(world.leader, "2025-03", cluster_of(told), reason="反映集中")
    assert (topic.month, topic.title, topic.chosen_by, topic.reason) == (
        "2025-03",
        "北门路灯不亮",
        world.leader,
        "反映集中",
    )
    assert topics.topic_of("2025-03") == topic
    progress = topics.progress(topic)
    assert (progress.total, progress.closed, progress.open) == (3, 3, 0)
    assert [(s, n) for s, _label, n in progress.by_state] == [("closed", 3)]
    # Choosing again: the latest is the month's; the first stays as the record.
    again = topics.choose_topic(world.boss, "2025-03", {**cluster_of(told[:1]), "title": "另一"})
    assert topics.topic_of("2025-03") == again and MonthlyTopic.objects.count() == 2


@pytest.mark.parametrize("who", ["street_leader", "community_handler", "operator"])
def test_choosing_the_key_problem_is_refused_below_the_district(world: World, who: str) -> None:
    told = story_cases(world.tree.communities[0], world.categories["other_leaf"])
    with pytest.raises(Forbidden) as caught:
        topics.choose_topic(getattr(world, who), "2025-03", cluster_of(told))
    assert caught.value.message == "只有区级的调度员、领导或管理员可以选定每月一题。"
    assert not MonthlyTopic.objects.exists()


def test_a_bad_month_or_an_empty_cluster_is_refused(world: World) -> None:
    told = story_cases(world.tree.communities[0], world.categories["other_leaf"])
    with pytest.raises(Invalid) as caught:
        topics.choose_topic(world.leader, "2025-13", cluster_of(told))
    assert caught.value.field == "month"
    with pytest.raises(Invalid) as caught:
        topics.choose_topic(world.leader, "2025-03", {**cluster_of(told), "codes": ["NOPE"]})
    assert caught.value.message == "该热点问题中没有您可查看的工单。"
    with pytest.raises(Invalid):
        topics.choose_topic(world.leader, "2025-03", {**cluster_of(told), "title": " "})
    assert not MonthlyTopic.objects.exists()


def test_the_hot_board_form_chooses_and_refuses_a_street(world: World) -> None:
    told = story_cases(world.tree.communities[0], world.categories["other_leaf"])
    form = {"month": "2025-03", "reason": "集中", **cluster_of(told)}
    street = Client()
    street.force_login(world.street_leader)
    refused = street.post("/triage/hot/topic/", form)
    assert refused.status_code == 403
    assert "只有区级的调度员、领导或管理员可以选定每月一题。" in refused.content.decode()
    assert not MonthlyTopic.objects.exists()
    leader = Client()
    leader.force_login(world.leader)
    board = leader.get("/triage/hot/").content.decode()
    assert 'id="month-topic"' in board
    assert leader.post("/triage/hot/topic/", form).status_code == 302
    assert MonthlyTopic.objects.get().codes == [c.tracking_code for c in told]
    assert "北门路灯不亮" in leader.get("/triage/hot/").content.decode()
    assert "topic-form" not in street.get("/triage/hot/").content.decode()


# --- the public page --------------------------------------------------------------------------


def test_the_public_page_shows_the_published_month_and_nobodys_data(world: World) -> None:
    anyone = Client()
    nothing = anyone.get("/public/")
    assert nothing.status_code == 200 and 'id="public-nothing"' in nothing.content.decode()
    published_march(world)
    page = anyone.get("/public/")
    assert page.status_code == 200
    text = page.content.decode()
    snapshot = publishing.published("2025-03")
    assert snapshot is not None
    for row in snapshot.lists[rk.STREETS] + snapshot.lists[rk.DEPARTMENTS]:
        assert row["name"] in text
    assert 'id="public-stories"' in text and "路灯已修复" in text
    assert "市容环境" in text
    for personal in (RESIDENT, PHONE, ID_NUMBER, world.leader.username):
        assert personal not in text, personal
    # A later change to the month's cases changes no published figure.
    Case.objects.filter(owner_unit=world.tree.communities[0]).update(solved=False)
    assert publishing.published("2025-03").lists == snapshot.lists
    assert anyone.get("/public/?month=2025-02").status_code == 404
    bad = anyone.get("/public/?month=2025年3月")
    assert bad.status_code == 400


def test_a_story_leaves_out_a_resident_who_keeps_their_identity(world: World) -> None:
    story_cases(world.tree.communities[1], world.categories["other_leaf"], 2, hidden=True)
    assert public.stories("2025-03") == []
    shown = story_cases(world.tree.communities[0], world.categories["other_leaf"], 1)
    (story,) = public.stories("2025-03")
    assert story.unit == shown[0].owner_unit.name
    assert RESIDENT not in story.asked + story.done and PHONE not in story.asked + story.done
    assert ID_NUMBER not in story.asked


# --- the bulletin -----------------------------------------------------------------------------


def test_the_bulletin_shows_the_month_and_its_key_problems_progress(world: World) -> None:
    told = published_march(world)
    topics.choose_topic(world.leader, "2025-03", cluster_of(told))
    leader = Client()
    leader.force_login(world.leader)
    page = leader.get("/evaluation/bulletin/?month=2025-03")
    assert page.status_code == 200
    text = page.content.decode()
    assert 'id="bulletin-topic"' in text and "北门路灯不亮" in text
    assert "3 件工单：已结案 3 件，仍在办理 0 件。" in text
    assert "bulletin.css" in text and 'id="bulletin-departments"' in text
    assert "市容环境" in text  # top categories


def test_the_bulletin_is_for_leaders_and_command_centres(world: World) -> None:
    published_march(world)
    assert Client().get("/evaluation/bulletin/").status_code == 302  # to the login
    handler = Client()
    handler.force_login(world.community_handler)
    assert handler.get("/evaluation/bulletin/").status_code == 403
    dispatcher = Client()
    dispatcher.force_login(make_member(world.tree.district, Role.DISPATCHER, username="diao"))
    assert dispatcher.get("/evaluation/bulletin/").status_code == 200
    assert dispatcher.get("/evaluation/bulletin/?month=x").status_code == 400


# --- the API ------------------------------------------------------------------------------------


def test_the_api_publishes_the_month_to_anyone_and_the_topic_to_the_district(
    world: World,
) -> None:
    told = published_march(world)
    anyone = Client()
    month = anyone.get("/api/evaluation/public/2025-03")
    assert month.status_code == 200, month.content
    body = month.json()
    assert body["revision"] == 1 and {r["name"] for r in body["streets"]}
    assert body["stories"] and all(RESIDENT not in s["asked"] for s in body["stories"])
    assert PHONE not in month.content.decode() and ID_NUMBER not in month.content.decode()
    assert anyone.get("/api/evaluation/public/2025-02").status_code == 404
    assert anyone.get("/api/evaluation/public/March").status_code == 400
    form = {"month": "2025-03", **cluster_of(told), "reason": "集中"}
    street = Client()
    street.force_login(world.street_leader)
    refused = street.post("/api/evaluation/topics", form, content_type="application/json")
    assert refused.status_code == 403
    assert refused.json()["detail"] == "只有区级的调度员、领导或管理员可以选定每月一题。"
    assert not MonthlyTopic.objects.exists()
    leader = Client()
    leader.force_login(world.leader)
    made = leader.post("/api/evaluation/topics", form, content_type="application/json")
    assert made.status_code == 201, made.content
    assert (made.json()["cases"], made.json()["by_state"]) == (3, {"closed": 3})
    assert leader.get("/api/evaluation/topics/2025-03").json()["title"] == "北门路灯不亮"
    handler = Client()
    handler.force_login(world.community_handler)
    assert handler.get("/api/evaluation/topics/2025-03").status_code == 403
    assert leader.get("/api/evaluation/topics/2025-02").status_code == 404
