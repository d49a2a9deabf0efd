"""The indicators in the console: the table, its drill-downs, the leader's home, and the
refusals of figures outside a person's scope."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from html import unescape

from django.test import Client
from django.utils import timezone

from civicgrid.cases.models import Case, State, WhistleTask
from civicgrid.evaluation import indicators as ind
from civicgrid.org.models import User
from tests.evaluation.conftest import World, local
from tests.factories import case_as_it_stands

MARCH = {"period": "2025-03"}


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def populate(world: World, start: datetime) -> dict[str, list[Case]]:
    """Cases submitted from ``start`` on, by what they should count as."""
    t = world.tree
    hour = timedelta(hours=1)

    def at(n: int) -> datetime:
        return start + n * hour

    made: dict[str, list[Case]] = {
        # community 0 (street 0): acknowledged in time, late, and still waiting past it
        "in_time": [
            case_as_it_stands(
                t.grids[0],
                at(i),
                state=State.CLOSED,
                acknowledge_due=at(i) + 2 * hour,
                acknowledged_at=at(i) + hour,
                resolve_due=at(i) + 40 * hour,
                resolved_at=at(i) + 5 * hour,
                rating=5,
                solved=True,
            )
            for i in range(3)
        ],
        "late": [
            case_as_it_stands(
                t.communities[0],
                at(4),
                state=State.HANDLING,
                acknowledge_due=at(5),
                acknowledged_at=at(7),
                resolve_due=at(40),
            )
        ],
        "waiting": [
            case_as_it_stands(t.grids[1], at(5), state=State.DISPATCHED, acknowledge_due=at(6))
        ],
        # street 1: one case acknowledged in time
        "other_street": [
            case_as_it_stands(
                t.communities[2],
                at(6),
                state=State.HANDLING,
                acknowledge_due=at(8),
                acknowledged_at=at(7),
                channel="hotline",
            )
        ],
        # left out
        "rejected": [case_as_it_stands(t.district, at(1), state=State.REJECTED)],
        "merged": [case_as_it_stands(t.district, at(2), state=State.MERGED)],
        # a department's own case
        "department": [
            case_as_it_stands(
                world.departments[0],
                at(3),
                state=State.HANDLING,
                acknowledge_due=at(4),
                acknowledged_at=at(3) + timedelta(minutes=30),
            )
        ],
    }
    Case.objects.bulk_create([c for group in made.values() for c in group])
    # The street whistled the department on its late case, which checked in late.
    late = made["late"][0]
    WhistleTask.objects.create(
        case=late,
        case_created_at=late.created_at,
        department=world.departments[0],
        state="checked_in",
        check_in_due=at(8),
        checked_in_at=at(9),
    )
    return made


def links(html: str, attribute: str) -> list[str]:
    return [unescape(u) for u in re.findall(rf'href="([^"]+)" {attribute}', html)]


def cell(response, row: str, key: str, context: str = "") -> ind.Figure:  # type: ignore[no-untyped-def]
    """A figure of a row of the table a page shows (``context``: the home page's part)."""
    shown = response.context[context] if context else response.context
    lines = {line.key: line for line in shown["lines"]}
    lines["total"] = shown["total"]
    return next(c.figure for c in lines[row].cells if c.indicator.key == key)


def codes(response) -> set[str]:  # type: ignore[no-untyped-def]
    return {c.tracking_code for c in response.context["page"].items}


def test_the_district_table_has_every_street_and_department_with_numerators(
    world: World,
) -> None:
    made = populate(world, local(2025, 3, 3, 9))
    response = client_for(world.leader).get("/evaluation/", MARCH)
    assert response.status_code == 200
    rows = [line.key for line in response.context["lines"]]
    # The district's own cases (here: only the two left out), its streets, its departments.
    assert rows == ["D:own", "D01", "D02", "DX01", "DX02"]
    assert cell(response, "D01", "response") == ind.Figure(ind.RATE, 3, 5)
    assert cell(response, "D02", "response") == ind.Figure(ind.RATE, 1, 1)
    assert cell(response, "DX01", "response") == ind.Figure(ind.RATE, 1, 1)
    assert cell(response, "DX01", "check_in") == ind.Figure(ind.RATE, 0, 1)
    assert cell(response, "total", "response") == ind.Figure(ind.RATE, 5, 7)
    total = response.context["total"]
    assert total.cases == 7
    assert [(name, n) for name, n, _url in total.excluded] == [
        ("不予受理（无效诉求）", 1),
        ("合并的重复诉求", 1),
        ("申诉成立", 0),
    ]
    html = response.content.decode()
    assert "3/5" not in html  # numerator and denominator are separate links
    assert "60.0%" in html and "响应率" in html
    # The definitions are on the page, each indicator's sentence in full.
    for indicator in ind.indicators():
        assert str(indicator.description) in html
    # The response numerator of street 1 drills down to exactly its three cases.
    numerator = next(
        u for u in links(html, 'data-part="numerator"') if "unit=D01" in u and "response" in u
    )
    drilled = client_for(world.leader).get(numerator)
    assert drilled.status_code == 200
    assert codes(drilled) == {c.tracking_code for c in made["in_time"]}
    assert drilled.context["count"] == 3
    denominator = numerator.replace("part=numerator", "part=denominator")
    assert codes(client_for(world.leader).get(denominator)) == {
        c.tracking_code for c in made["in_time"] + made["late"] + made["waiting"]
    }


def test_every_link_of_the_table_lists_as_many_cases_as_it_says(world: World) -> None:
    populate(world, local(2025, 3, 3, 9))
    leader = client_for(world.leader)
    for by in ind.DIMENSIONS:
        html = leader.get("/evaluation/", {**MARCH, "by": by}).content.decode()
        figure_link = r'<a href="([^"]+)" (?:data-part="\w+"|data-figure="\w+")>([\d.]+)<'
        shown = re.findall(figure_link, html)
        assert shown, by
        for url, number in shown:
            drilled = leader.get(unescape(url))
            assert drilled.status_code == 200, url
            assert drilled.context["count"] == int(number), f"{by}: {url}"


def test_the_check_in_rate_drills_down_to_the_department_s_tasks(world: World) -> None:
    made = populate(world, local(2025, 3, 3, 9))
    response = client_for(world.department_handler).get("/evaluation/", MARCH)
    assert response.status_code == 200
    assert response.context["selection"].unit.code == "DX01"
    total = response.context["total"]
    figure = next(c for c in total.cells if c.indicator.key == "check_in")
    assert figure.figure == ind.Figure(ind.RATE, 0, 1)
    tasks = client_for(world.department_handler).get(figure.denominator_url)
    assert tasks.context["subject"] == "task"
    assert [t.case.tracking_code for t in tasks.context["page"].items] == [
        made["late"][0].tracking_code
    ]


def test_a_community_handler_sees_their_community_and_nothing_above(world: World) -> None:
    populate(world, local(2025, 3, 3, 9))
    handler = client_for(world.community_handler)
    own = handler.get("/evaluation/", MARCH)
    assert own.status_code == 200
    assert own.context["selection"].unit.code == world.tree.communities[0].code
    assert own.context["lines"][0].key.endswith(":own")
    assert cell(own, "total", "response") == ind.Figure(ind.RATE, 3, 5)
    for refused in (
        handler.get("/evaluation/", {**MARCH, "unit": world.tree.streets[0].code}),
        handler.get("/evaluation/", {**MARCH, "unit": world.tree.communities[1].code}),
        handler.get("/evaluation/cases/", {**MARCH, "unit": "D01", "figure": "response"}),
    ):
        assert refused.status_code == 404
        assert "您无权查看" in refused.content.decode()  # (the API says which unit)
    # Not even through a link made for the district: the cases they may not see are
    # not listed, whatever the parameters say.
    leaked = handler.get("/evaluation/cases/", {**MARCH, "figure": "cases"})
    assert leaked.status_code == 200
    assert {c.owner_unit.code for c in leaked.context["page"].items} <= {
        world.tree.communities[0].code,
        *(g.code for g in world.tree.grids[:4]),
    }


def test_people_without_figures_are_refused(world: World) -> None:
    for user in (world.grid_worker, world.operator):
        for url in ("/evaluation/", "/evaluation/cases/"):
            response = client_for(user).get(url, MARCH)
            assert response.status_code == 403
            assert "此页面供其他角色使用" in response.content.decode()
    assert Client().get("/evaluation/").status_code == 302  # to the login page


def test_periods_and_parameters_that_cannot_be_read_are_refused(world: World) -> None:
    leader = client_for(world.leader)
    for params, message in [
        ({"period": "2025-13"}, "月份"),
        ({"period": "March"}, "月份"),
        ({"period": "２０２６-０３"}, "半角数字"),
        ({"start": "2025-03-01", "end": "2025-02-01"}, "结束早于开始"),
        ({"start": "2024-01-01", "end": "2025-03-01"}, "最长一年"),
        ({"start": "2025-03-01"}, "月份"),
        ({**MARCH, "by": "street"}, "按单位、类别、渠道或月份"),
        ({**MARCH, "level": "planet"}, "未知的层级"),
        ({**MARCH, "channel": "fax"}, "未知的受理渠道：fax"),
    ]:
        response = leader.get("/evaluation/", params)
        assert response.status_code == 400, params
        assert message in response.content.decode(), params
    unknown = leader.get("/evaluation/", {**MARCH, "category": "NOPE"})
    assert unknown.status_code == 404 and "未找到" in unknown.content.decode()
    figure = leader.get("/evaluation/cases/", {**MARCH, "figure": "speed"})
    assert figure.status_code == 400 and "未知的指标" in figure.content.decode()


def test_drill_down_pages_by_key(world: World) -> None:
    start = local(2025, 3, 3, 9)
    Case.objects.bulk_create(
        [case_as_it_stands(world.tree.grids[0], start + timedelta(minutes=i)) for i in range(35)]
    )
    leader = client_for(world.leader)
    first = leader.get("/evaluation/cases/", {**MARCH, "figure": "cases"})
    assert first.context["count"] == 35 and len(first.context["page"].items) == 30
    older = re.search(r'href="\?([^"]+)" rel="next"', first.content.decode())
    assert older is not None
    second = leader.get(f"/evaluation/cases/?{unescape(older[1])}")
    assert len(second.context["page"].items) == 5
    assert not codes(first) & codes(second)


def test_the_table_takes_a_fixed_number_of_queries(world: World, django_assert_num_queries) -> None:  # type: ignore[no-untyped-def]
    populate(world, local(2025, 3, 3, 9))
    leader = client_for(world.leader)
    leader.get("/evaluation/", MARCH)  # the session, the calendar: read once
    # session, user, memberships, the top unit, its subtree, the working-day table's
    # stamp, the roots (the scope's reach: everywhere), "is it the whole tree?" (then
    # cases are not filtered by owner), cases by owner, those without stored working
    # seconds by owner (summed apart), tasks by department, the units above (trail),
    # the navigation's "in a department?"
    with django_assert_num_queries(13):
        assert leader.get("/evaluation/", MARCH).status_code == 200
    # … the same by category, and the category tree
    with django_assert_num_queries(14):
        assert leader.get("/evaluation/", {**MARCH, "by": "category"}).status_code == 200
    # A drill-down: session, user, memberships, the top unit, the roots, its subtree, the
    # page's keys, its rows, the count, the navigation's.
    with django_assert_num_queries(10):
        assert leader.get("/evaluation/cases/", {**MARCH, "figure": "response"}).status_code == 200
    # A street leader: the scope's units read (not everywhere), no task query.
    street = client_for(world.street_leader)
    street.get("/evaluation/", MARCH)
    with django_assert_num_queries(12):
        assert street.get("/evaluation/", MARCH).status_code == 200


def test_the_leader_s_home_shows_this_month_s_figures(world: World) -> None:
    made = populate(world, timezone.localtime().replace(day=1, hour=9, minute=0, second=0))
    leader = client_for(world.leader)
    home = leader.get("/")
    assert home.status_code == 200
    html = home.content.decode()
    assert 'name="period"' in html and 'type="date"' in html, "a period picker"
    assert home.context["cockpit"]["total"].cases == 7
    numerators = links(html, 'data-part="numerator"')
    assert numerators and all(u.startswith("/evaluation/cases/?") for u in numerators)
    # Another month, picked on the home page: nothing was submitted then.
    march = leader.get("/", MARCH)
    assert cell(march, "total", "response", "cockpit").denominator == 0
    # Not for a handler: their home has no figures (their table is a click away).
    handler_home = client_for(world.community_handler).get("/")
    assert "cockpit" not in handler_home.context
    assert made


def test_unreachable_cases_leave_the_solved_rate_and_are_shown(world: World) -> None:
    start = local(2025, 3, 3, 9)
    solved = case_as_it_stands(
        world.tree.grids[0], start, state=State.CLOSED, solved=True, rating=4
    )
    not_solved = case_as_it_stands(
        world.tree.grids[0], start, state=State.HANDLING, solved=False, rating=2, reopens=1
    )
    # Closed at follow-up without a rating: the resident was not reached.
    unreachable = case_as_it_stands(
        world.tree.grids[0], start, state=State.CLOSED, unreachable=True
    )
    # Closed by hand without the resident's word: follow-up is over, but nobody failed
    # to reach the resident.
    by_hand = case_as_it_stands(world.tree.grids[0], start, state=State.CLOSED)
    Case.objects.bulk_create([solved, not_solved, unreachable, by_hand])
    response = client_for(world.leader).get("/evaluation/", MARCH)
    assert cell(response, "total", "solved") == ind.Figure(ind.RATE, 1, 2)
    assert cell(response, "total", "unreachable") == ind.Figure(ind.RATE, 1, 4)
    assert cell(response, "total", "satisfaction") == ind.Figure(ind.RATE, 1, 2)
