"""The rankings' API, console page and CLI: live and published months, the policy,
publishing and correcting, the export, and the refusals (in Chinese)."""

from __future__ import annotations

from io import BytesIO, StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from openpyxl import load_workbook

from civicgrid.evaluation import publishing
from civicgrid.evaluation.models import RankingEvent, RankingPolicy, RankingSnapshot
from tests.evaluation.conftest import World
from tests.evaluation.test_pages import client_for
from tests.evaluation.test_rankings import month_of

API = "/api/evaluation/rankings"
PAGE = "/evaluation/rankings/"


def test_a_live_month_with_every_row_s_inputs(world: World) -> None:
    month_of(world)
    body = client_for(world.leader).get(API, {"month": "2025-03"}).json()
    assert body["status"] == "live" and body["revision"] is None and body["revisions"] == []
    assert body["policy"]["weight_solved"] == 40 and body["policy"]["min_volume"] == 10
    assert "满分 100" in body["score_rule"]
    streets = {r["unit"]: r for r in body["lists"]["streets"]}
    d01 = streets["D01"]
    assert d01["figures"]["response"] == {"numerator": 18, "denominator": 24, "value": 0.75}
    assert d01["rank"] == 1 and d01["red"] and not d01["black"]
    communities = {r["unit"]: r for r in body["lists"]["communities"]}
    assert communities["D02002"]["apart"] and communities["D02002"]["apart_reason"] == "volume"
    only = client_for(world.leader).get(API, {"month": "2025-03", "list": "departments"}).json()
    assert list(only["lists"]) == ["departments"]


def test_a_live_month_shows_a_unit_s_people_only_their_units(world: World) -> None:
    month_of(world)
    body = client_for(world.street_leader).get(API, {"month": "2025-03"}).json()
    assert [r["unit"] for r in body["lists"]["streets"]] == ["D01"]
    assert {r["unit"] for r in body["lists"]["communities"]} == {"D01001", "D01002"}
    assert body["lists"]["departments"] == []
    assert body["hidden"] == 1 + 2 + 3  # D02, its communities, the departments
    # the street keeps its place in the district's list
    assert body["lists"]["streets"][0]["rank"] == 1


def test_refusals(world: World) -> None:
    month_of(world)
    for month, field_message in [
        ("２０２５-０３", "month 须为 2025-03 格式的月份（半角数字），年份在 2000–2099 之间。"),
        ("2025-3", "month 须为 2025-03 格式的月份（半角数字），年份在 2000–2099 之间。"),
    ]:
        answer = client_for(world.leader).get(API, {"month": month})
        assert answer.status_code == 400
        assert answer.json()["detail"] == field_message
    assert client_for(world.leader).get(API, {"month": "2099-01"}).status_code == 400
    assert client_for(world.grid_worker).get(API, {"month": "2025-03"}).status_code == 403
    assert Client().get(API, {"month": "2025-03"}).status_code == 401
    missing = client_for(world.leader).get(API, {"month": "2025-03", "revision": 2})
    assert missing.status_code == 404
    assert missing.json()["detail"] == "2025-03 没有第 2 版。"
    export = client_for(world.leader).get(f"{API}/2025-03/export.xlsx")
    assert export.status_code == 404


def test_publish_correct_and_export_through_the_api(world: World) -> None:
    month_of(world)
    street = client_for(world.street_leader).post(
        f"{API}/2025-03/publish", {}, content_type="application/json"
    )
    assert street.status_code == 403
    assert street.json()["detail"] == "只有区级领导或管理员可以发布榜单、修改排名规则。"
    bad = client_for(world.leader).post(
        f"{API}/２０２５-０３/publish", {}, content_type="application/json"
    )
    assert bad.status_code == 400 and not RankingSnapshot.objects.exists()
    leader = client_for(world.leader)
    made = leader.post(f"{API}/2025-03/publish", {}, content_type="application/json")
    assert made.status_code == 201, made.json()
    assert made.json()["status"] == "published" and made.json()["revision"] == 1
    again = leader.post(f"{API}/2025-03/publish", {}, content_type="application/json")
    assert again.status_code == 409
    assert again.json()["detail"] == "2025-03 已经发布；如需修改，请发布更正。"
    no_reason = leader.post(
        f"{API}/2025-03/correct", {"reason": " "}, content_type="application/json"
    )
    assert no_reason.status_code == 400 and no_reason.json()["detail"] == "更正须说明理由。"
    fixed = leader.post(
        f"{API}/2025-03/correct", {"reason": "补录评价"}, content_type="application/json"
    )
    assert fixed.status_code == 201 and fixed.json()["revision"] == 2
    assert [r["reason"] for r in fixed.json()["revisions"]] == ["", "补录评价"]
    # published: everyone who sees figures sees every row
    seen = client_for(world.street_leader).get(API, {"month": "2025-03"}).json()
    assert seen["status"] == "published" and len(seen["lists"]["streets"]) == 2
    first = leader.get(API, {"month": "2025-03", "revision": 1}).json()
    assert first["revision"] == 1
    assert leader.get(f"{API}/2025-03/verify").json()["same"] is True
    answer = leader.get(f"{API}/2025-03/export.xlsx")
    assert answer.status_code == 200
    assert answer["Content-Disposition"] == 'attachment; filename="rankings-2025-03-r2.xlsx"'
    book = load_workbook(BytesIO(answer.content))
    assert book.sheetnames[:3] == ["街道乡镇", "社区村居", "职能部门"]


def test_the_policy_through_the_api(world: World) -> None:
    leader = client_for(world.leader)
    assert leader.get(f"{API}/policy").json()["weight_response"] == 20
    wrong = leader.put(f"{API}/policy", {"weight_response": 30}, content_type="application/json")
    assert wrong.status_code == 400
    assert wrong.json()["detail"] == "三项权重之和须为 100（现为 110）。"
    outside = leader.put(f"{API}/policy", {"red_size": 99}, content_type="application/json")
    assert outside.status_code == 422
    refused = client_for(world.street_leader).put(
        f"{API}/policy", {"min_volume": 5}, content_type="application/json"
    )
    assert refused.status_code == 403 and not RankingPolicy.objects.exists()
    changed = leader.put(
        f"{API}/policy",
        {"weight_response": 30, "weight_solved": 30, "min_volume": 5},
        content_type="application/json",
    )
    assert changed.status_code == 200
    assert changed.json()["weight_satisfaction"] == 40 and changed.json()["min_volume"] == 5
    assert RankingEvent.objects.get().data["after"]["min_volume"] == 5


# --- the console page --------------------------------------------------------------------


def test_the_page_live_then_published(world: World) -> None:
    month_of(world)
    leader = client_for(world.leader)
    page = leader.get(PAGE, {"month": "2025-03"})
    text = page.content.decode()
    assert page.status_code == 200
    assert "第1街道" in text and "data-publish" in text and "未发布" in text
    assert "工单不足 10 件" in text
    done = leader.post(f"{PAGE}publish/", {"month": "2025-03"})
    assert done.status_code == 302
    assert RankingSnapshot.objects.get().revision == 1
    text = leader.get(PAGE, {"month": "2025-03"}).content.decode()
    assert "第 1 版" in text and "data-correct" in text and "export.xlsx" in text
    street = client_for(world.street_leader).get(PAGE, {"month": "2025-03"}).content.decode()
    assert "第2街道" in street and "data-publish" not in street and "data-correct" not in street
    refused = client_for(world.street_leader).post(f"{PAGE}publish/", {"month": "2025-03"})
    assert refused.status_code == 302 and RankingSnapshot.objects.count() == 1
    assert client_for(world.grid_worker).get(PAGE).status_code == 403


def test_the_page_refuses_a_full_width_month(world: World) -> None:
    page = client_for(world.leader).get(PAGE, {"month": "２０２５-０３"})
    assert page.status_code == 400
    assert "半角数字" in page.content.decode()


# --- the command ----------------------------------------------------------------------------


def test_the_command(world: World, tmp_path) -> None:  # type: ignore[no-untyped-def]
    month_of(world)
    out = StringIO()
    call_command("rankings", "show", "2025-03", "--list", "streets", stdout=out)
    assert "D01" in out.getvalue() and "live" in out.getvalue()
    with pytest.raises(CommandError, match="只有区级领导"):
        call_command("rankings", "publish", "2025-03", "--as", world.street_leader.username)
    call_command("rankings", "publish", "2025-03", "--as", world.leader.username, stdout=out)
    call_command(
        "rankings", "correct", "2025-03", "--as", "lingdao", "--reason", "复核", stdout=out
    )
    assert [s.revision for s in publishing.revisions("2025-03")] == [1, 2]
    target = tmp_path / "march.xlsx"
    call_command("rankings", "export", "2025-03", str(target), stdout=out)
    assert load_workbook(target).sheetnames[0] == "街道乡镇"
    with pytest.raises(CommandError, match="半角数字"):
        call_command("rankings", "show", "２０２５-０３")
