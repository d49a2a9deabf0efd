"""The indicators API: definitions, figures, the cases behind a figure, and refusals."""

from __future__ import annotations

from django.test import Client

from civicgrid.evaluation import indicators as ind
from tests.evaluation.conftest import World, local
from tests.evaluation.test_pages import MARCH, client_for, populate


def test_definitions_are_the_indicators_own_text(world: World) -> None:
    body = client_for(world.grid_worker).get("/api/evaluation/indicators").json()
    assert [i["key"] for i in body["indicators"]] == list(ind.INDICATOR_KEYS)
    response = next(i for i in body["indicators"] if i["key"] == "response")
    assert response["name"] == "响应率" and response["kind"] == "rate"
    assert response["numerator"] == "按时签收" and response["denominator"] == "应签收"
    assert {e["key"] for e in body["exclusions"]} == {"rejected", "merged", "appeal_upheld"}
    assert "受理的月份" in body["attribution"]
    assert Client().get("/api/evaluation/indicators").status_code == 401


def test_figures_by_unit_with_links_to_their_cases(world: World) -> None:
    made = populate(world, local(2025, 3, 3, 9))
    leader = client_for(world.leader)
    body = leader.get("/api/evaluation/figures", MARCH).json()
    assert body["by"] == "unit" and body["unit"] == "D"
    assert body["period"] == {"start": "2025-03-01", "end": "2025-03-31"}
    rows = {r["key"]: r for r in body["rows"]}
    street = rows["D01"]
    assert street["unit"] == "D01" and street["cases"] == 5
    response = street["figures"]["response"]
    assert (response["numerator"], response["denominator"], response["value"]) == (3, 5, 0.6)
    assert rows["DX01"]["figures"]["check_in"]["denominator"] == 1
    assert body["total"]["excluded"] == {"rejected": 1, "merged": 1, "appeal_upheld": 0}
    hours = street["figures"]["acknowledge_hours"]
    assert hours["numerator_cases"] is None and hours["denominator"] == 4
    drilled = leader.get(response["numerator_cases"]).json()
    assert drilled["count"] == 3 and drilled["subject"] == "case"
    assert {c["tracking_code"] for c in drilled["cases"]} == {
        c.tracking_code for c in made["in_time"]
    }
    tasks = leader.get(rows["DX01"]["figures"]["check_in"]["denominator_cases"]).json()
    assert tasks["subject"] == "task" and tasks["count"] == 1
    assert tasks["tasks"][0]["case"] == made["late"][0].tracking_code
    # Another dimension, another level.
    communities = leader.get("/api/evaluation/figures", {**MARCH, "level": "community"}).json()
    assert [r["key"] for r in communities["rows"]][:2] == ["D01001", "D01002"]
    channels = leader.get("/api/evaluation/figures", {**MARCH, "by": "channel"}).json()
    hotline = next(r for r in channels["rows"] if r["key"] == "hotline")
    assert hotline["cases"] == 1 and hotline["selection"]["channel"] == "hotline"


def test_the_api_refuses_what_the_console_refuses(world: World) -> None:
    populate(world, local(2025, 3, 3, 9))
    handler = client_for(world.community_handler)
    street = handler.get("/api/evaluation/figures", {**MARCH, "unit": "D01"})
    assert street.status_code == 404
    assert street.json()["detail"] == "没有找到您有权查看的单位 D01。"
    behind = handler.get("/api/evaluation/cases", {**MARCH, "unit": "D", "figure": "response"})
    assert behind.status_code == 404 and "D" in behind.json()["detail"]
    for user in (world.grid_worker, world.operator):
        refused = client_for(user).get("/api/evaluation/figures", MARCH)
        assert refused.status_code == 403
        assert refused.json()["detail"] == "只有领导、调度员、承办人员和管理员可以查看指标。"
    leader = client_for(world.leader)
    bad = leader.get("/api/evaluation/figures", {"period": "2025-3"})
    assert bad.status_code == 400 and "月份" in bad.json()["detail"]
    # Full-width digits, which int() would read, are refused like any other text.
    wide = leader.get("/api/evaluation/figures", {"period": "２０２６-０３"})
    assert wide.status_code == 400
    assert (
        wide.json()["detail"]
        == "period 须为 2025-03 格式的月份（半角数字），年份在 2000–2099 之间。"
    )
    unknown = leader.get("/api/evaluation/cases", {**MARCH, "figure": "speed"})
    assert unknown.status_code == 422
    hours = leader.get(
        "/api/evaluation/cases", {**MARCH, "figure": "resolve_hours", "part": "numerator"}
    )
    assert hours.status_code == 400 and "分子或分母" in hours.json()["detail"]
    own = leader.get("/api/evaluation/cases", {**MARCH, "figure": "cases", "own": "true"})
    assert own.status_code == 200  # the district's own (its default unit)
    assert Client().get("/api/evaluation/figures").status_code == 401


def test_openapi_documents_the_endpoints_and_their_refusals(world: World) -> None:
    spec = client_for(world.leader).get("/api/openapi.json").json()
    paths = spec["paths"]
    for path in ("/api/evaluation/figures", "/api/evaluation/cases"):
        responses = paths[path]["get"]["responses"]
        assert {"200", "400", "403", "404"} <= set(responses), path
    assert "/api/evaluation/indicators" in paths
    schemas = spec["components"]["schemas"]
    assert "check_in_due" in schemas["TaskBehindOut"]["properties"]
    assert "acknowledged_at" in schemas["CaseBehindOut"]["properties"]


def test_no_two_api_schemas_share_a_name_with_different_fields() -> None:
    """OpenAPI keeps one schema per name: two different ones of the same name would
    document one endpoint with the other's fields."""
    from ninja import Schema

    import civicgrid.api  # noqa: F401 (every router imported)

    seen: dict[str, set[str]] = {}

    def walk(cls: type) -> None:
        for sub in cls.__subclasses__():
            if sub.__module__.startswith("civicgrid."):
                fields = set(sub.model_fields)
                assert seen.setdefault(sub.__name__, fields) == fields, sub.__name__
            walk(sub)

    walk(Schema)


def test_the_api_pages_a_figure_s_cases_by_key(world: World) -> None:
    populate(world, local(2025, 3, 3, 9))
    leader = client_for(world.leader)
    first = leader.get("/api/evaluation/cases", {**MARCH, "figure": "cases", "limit": 4}).json()
    assert first["count"] == 7 and len(first["cases"]) == 4 and first["next"]
    second = leader.get(
        "/api/evaluation/cases",
        {**MARCH, "figure": "cases", "limit": 4, "before": first["next"]},
    ).json()
    assert len(second["cases"]) == 3 and second["next"] is None
    seen = {c["tracking_code"] for c in first["cases"]} | {
        c["tracking_code"] for c in second["cases"]
    }
    assert len(seen) == 7


def test_the_figures_endpoint_takes_a_fixed_number_of_queries(
    world: World, django_assert_num_queries
) -> None:  # type: ignore[no-untyped-def]
    populate(world, local(2025, 3, 3, 9))
    leader = client_for(world.leader)
    leader.get("/api/evaluation/figures", MARCH)
    # session, user, memberships, the top unit, the roots (reach), "is it the whole
    # tree?", the working-day table's stamp, cases (not filtered by owner), those
    # without stored working seconds (summed apart), the departments among its units,
    # tasks by department
    with django_assert_num_queries(11):
        assert leader.get("/api/evaluation/figures", MARCH).status_code == 200
