"""The leader's cockpit: its figures, the lists behind them (equal to the figures), the
queries it takes, who sees what, and its pages and API."""

from __future__ import annotations

from datetime import datetime, timedelta
from urllib.parse import parse_qsl, urlparse

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from civicgrid.cases import clock
from civicgrid.cases.models import Case, Channel, State, TaskState, Tier, WhistleTask
from civicgrid.errors import Invalid, NotFound
from civicgrid.evaluation import cockpit as cp
from civicgrid.evaluation import indicators as ind
from civicgrid.evaluation import publishing
from civicgrid.evaluation import rankings as rk
from civicgrid.evaluation.selection import Period, selection_for
from civicgrid.org.models import User
from civicgrid.org.scoping import scope_of
from civicgrid.triage.models import HotBoard
from tests.evaluation.conftest import World
from tests.evaluation.test_rankings import APRIL_10, FEBRUARY, MARCH, month_of
from tests.factories import case_as_it_stands

HOUR = timedelta(hours=1)


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def populate(world: World, now: datetime, copies: int = 1) -> None:
    """Open, overdue and closed cases across both streets and a department, today and in
    earlier months, and whistle tasks."""
    t, c = world.tree, world.categories
    rows = []
    for n in range(copies):
        rows += [
            # street 0, grid 0: received today, open, one overdue
            case_as_it_stands(
                t.grids[0],
                now - HOUR,
                grid=t.grids[0],
                tier=Tier.MICRO,
                category=c["micro"],
                state=State.DISPATCHED,
                acknowledge_due=now - HOUR / 2,
                due_at=now - HOUR / 2,
                title=f"楼道杂物{n}",
            ),
            case_as_it_stands(
                t.communities[0],
                now - 2 * HOUR,
                grid=t.grids[1],
                tier=Tier.MINOR,
                category=c["minor"],
                channel=Channel.HOTLINE,
                state=State.HANDLING,
                due_at=now + 10 * HOUR,
            ),
            # street 0, yesterday, not triaged yet (no tier, no category)
            case_as_it_stands(
                t.streets[0],
                now - 30 * HOUR,
                grid=t.grids[2],
                state=State.SUBMITTED,
            ),
            # street 1: open, of another top category
            case_as_it_stands(
                t.grids[8],
                now - 50 * HOUR,
                grid=t.grids[8],
                tier=Tier.MICRO,
                category=c["other_leaf"],
                channel=Channel.PATROL,
                state=State.HANDLING,
                due_at=now - 3 * HOUR,
            ),
            # closed last month (street 1), rated
            case_as_it_stands(
                t.grids[9],
                now - timedelta(days=35),
                grid=t.grids[9],
                state=State.CLOSED,
                acknowledge_due=now - timedelta(days=35) + 2 * HOUR,
                acknowledged_at=now - timedelta(days=35) + HOUR,
                resolved_at=now - timedelta(days=34),
                closed_at=now - timedelta(days=33),
                rating=5,
                solved=True,
            ),
            # rejected today: received today, not open, counts in no rate
            case_as_it_stands(t.district, now - HOUR, state=State.REJECTED),
            # the department's own open case
            case_as_it_stands(
                world.departments[0],
                now - 5 * HOUR,
                state=State.HANDLING,
                category=c["moderate"],
                tier=Tier.MODERATE,
                due_at=now + HOUR,
            ),
        ]
    Case.objects.bulk_create(rows)
    whistled = Case.objects.filter(owner_unit=t.communities[0], tasks__isnull=True).first()
    assert whistled is not None
    WhistleTask.objects.create(
        case=whistled,
        department=world.departments[0],
        case_created_at=whistled.created_at,
        lead=True,
        state=TaskState.NOTIFIED,
        check_in_due=now - HOUR,
    )
    WhistleTask.objects.create(
        case=whistled,
        department=world.departments[2],
        case_created_at=whistled.created_at,
        state=TaskState.CHECKED_IN,
        check_in_due=now - HOUR,
        checked_in_at=now - 2 * HOUR,
    )


def numbers(found: cp.Cockpit) -> list[cp.Number]:
    """Every number of the cockpit that drills into the cockpit's own lists."""
    out = [found.today, found.open, found.overdue]
    for s in (*found.by_tier, *found.by_category, *found.by_channel):
        out += [s.today, s.open, s.overdue]
    out += [g.open for g in found.grids]
    out += [m.closed for m in found.trend]
    out += [h.cases for h in found.hot]
    out += [x for t in found.tasks for x in (t.open, t.overdue)]
    return out


def test_the_district_leader_s_figures(world: World) -> None:
    # Midday: the cases of ``populate`` lie hours before ``now``, on the same local day
    # (run just after midnight, "today" would hold none of them).
    now = timezone.localtime().replace(hour=12, minute=0, second=0, microsecond=0)
    populate(world, now)
    found = cp.figures(scope_of(world.leader), now, world.tree.district)
    today = timezone.localdate(now)
    received = [c for c in Case.objects.all() if timezone.localdate(c.created_at) == today]
    assert found.today.value == len(received) > 0
    assert found.open.value == 5
    assert found.overdue.value == 2
    tiers = {s.key: s.open.value for s in found.by_tier}
    assert tiers == {"micro": 2, "minor": 1, "moderate": 1, cp.NONE: 1}
    categories = {s.key: s.open.value for s in found.by_category}
    assert categories == {"T": 3, "U": 1, cp.NONE: 1}
    channels = {s.key: s.open.value for s in found.by_channel}
    assert channels == {"web": 3, "hotline": 1, "patrol": 1}
    loads = {g.code: g.open.value for g in found.grids}
    assert loads[world.tree.grids[0].code] == 1 and loads[world.tree.grids[8].code] == 1
    assert sum(loads.values()) == 4  # the department's case lies in no grid
    assert len(found.trend) == cp.TREND_MONTHS
    assert found.trend[-1].key == f"{timezone.localdate(now):%Y-%m}"
    assert sum(m.closed.value for m in found.trend) == 1
    tasks = {t.code: (t.open.value, t.overdue.value) for t in found.tasks}
    assert tasks == {world.departments[0].code: (1, 1), world.departments[2].code: (1, 0)}


def test_every_figure_drills_down_to_exactly_its_cases(world: World) -> None:
    now = timezone.now()
    populate(world, now)
    HotBoard.objects.create(
        unit=world.tree.district,
        days=cp.HOT_DAYS,
        computed_at=now,
        clusters=[
            {
                "title": "楼道杂物",
                "label": "楼道",
                "heat": 3.5,
                "codes": list(
                    Case.objects.filter(title__startswith="楼道杂物").values_list(
                        "tracking_code", flat=True
                    )
                ),
            }
        ],
    )
    for user, unit in (
        (world.leader, world.tree.district),
        (world.street_leader, world.tree.streets[0]),
        (world.department_handler, world.departments[0]),
    ):
        scope = scope_of(user)
        found = cp.figures(scope, now, unit)
        checked = 0
        for number in numbers(found):
            assert number.drill.view == "evaluation:cockpit_cases"
            subject, rows = cp.behind(scope, number.drill.params, now, unit)
            rows = rows & cp.visible(subject, user)
            assert rows.count() == number.value, number.drill.params
            checked += 1
        assert checked > 10
        # The trend's rates and intake drill into the indicators' own list.
        for month in found.trend:
            for rate in month.rates.values():
                params = dict(rate.drill.params)
                selection = selection_for(user, unit=params.get("unit"), period=params["period"])
                _subject, rows = ind.behind(selection, params["figure"], "numerator", now)
                assert rows.count() == rate.numerator
            assert month.intake.drill.view == "evaluation:cases"
    assert len(cp.figures(scope_of(world.leader), now, world.tree.district).hot) == 1


def test_the_panel_s_rates_are_the_indicators(world: World) -> None:
    now = timezone.now()
    populate(world, now)
    # a case of this month, rated, in street 1
    Case.objects.bulk_create(
        [
            case_as_it_stands(
                world.tree.grids[9],
                now - HOUR,
                state=State.CLOSED,
                acknowledged_at=now,
                acknowledge_due=now + HOUR,
                resolved_at=now,
                rating=3,
                solved=False,
            )
        ]
    )
    for user in (world.leader, world.street_leader, world.department_handler):
        panel = cp.ranking_panel(scope_of(user), now)
        selection = selection_for(user)
        for level, rows in (("street", panel.streets), ("department", panel.departments)):
            table = ind.by_unit(selection, now, level=level)
            assert [r.code for r in sorted(rows, key=lambda r: r.code)] == sorted(
                r.key for r in table.rows
            )
            expected = {r.key: r.figures for r in table.rows}
            for row in rows:
                assert row.cases == expected[row.code].cases
                for key in cp.RATES:
                    figure = expected[row.code][key]
                    rate = row.rates[key]
                    assert (rate.numerator, rate.denominator) == (
                        figure.numerator,
                        figure.denominator,
                    ), (user, row.code, key)
    # best first: street 1 answered in time (1/1) though unsolved (0/1) and rated 3 stars
    # (0/1); street 0 let a case wait past its deadline (0/1)
    streets = cp.ranking_panel(scope_of(world.leader), now).streets
    assert [(r.code, r.mean) for r in streets] == [("D02", 1 / 3), ("D01", 0.0)]


def test_figures_take_a_fixed_number_of_queries(world: World) -> None:
    now = timezone.now()
    populate(world, now)
    scope = scope_of(world.street_leader)
    scope.reach  # noqa: B018 (read once per request, before the figures)
    with CaptureQueriesContext(connection) as few:
        cp.figures(scope, now, world.tree.streets[0])
    populate(world, now, copies=4)
    scope = scope_of(User.objects.get(pk=world.street_leader.pk))
    scope.reach  # noqa: B018
    with CaptureQueriesContext(connection) as many:
        cp.figures(scope, now, world.tree.streets[0])
    assert len(few) == len(many)
    # categories, the units, the open and today's cases grouped, the grids' load and their
    # names, the trend, the closures by month, the hot-issue board, the tasks by department
    assert len(many) == 9, [q["sql"][:120] for q in many.captured_queries]


def test_a_street_sees_its_street_and_a_department_its_tasks(world: World) -> None:
    now = timezone.now()
    populate(world, now)
    street = cp.figures(scope_of(world.street_leader), now, world.tree.streets[0])
    assert street.open.value == 3  # street 1's and the department's cases are not its
    assert {g.code[:3] for g in street.grids} == {"D01"}
    # whom it whistled: both departments' tasks on its case
    assert {t.code for t in street.tasks} == {world.departments[0].code, world.departments[2].code}
    department = cp.figures(scope_of(world.department_handler), now, world.departments[0])
    assert department.open.value == 1
    assert department.grids == [] and department.map_unit is None
    # its own tasks (and the inner department's), not the other department's
    assert {t.code for t in department.tasks} == {world.departments[0].code}


def test_a_drill_refuses_what_it_cannot_read(world: World) -> None:
    scope = scope_of(world.street_leader)
    street = world.tree.streets[0]
    with pytest.raises(Invalid):
        cp.behind(scope, {"figure": "everything"}, unit=street)
    with pytest.raises(Invalid):
        cp.behind(scope, {"figure": "open", "tier": "huge"}, unit=street)
    with pytest.raises(Invalid):
        cp.behind(scope, {"figure": "closed", "month": "2025-13"}, unit=street)
    with pytest.raises(NotFound):  # a grid of the other street
        cp.behind(scope, {"figure": "open", "grid": world.tree.grids[8].code}, unit=street)
    with pytest.raises(NotFound):  # no board yet
        cp.behind(scope, {"figure": "hot", "hot": "0"}, unit=street)
    for month in ("99999-01", "2025-3-1", "", "二〇二五-03"):
        with pytest.raises(Invalid):
            cp.behind(scope, {"figure": "closed", "month": month}, unit=street)
    for n in ("٣", "1" * 5000, "-1"):
        with pytest.raises(Invalid):
            cp.behind(scope, {"figure": "hot", "hot": n}, unit=street)
    with pytest.raises(NotFound):
        cp.behind(scope, {"figure": "open", "category": "x" * 300}, unit=street)
    with pytest.raises(NotFound):
        cp.behind(scope, {"figure": "tasks_open", "department": "D01"}, unit=street)


# --- pages and API ------------------------------------------------------------------------------


def test_the_cockpit_page_and_its_refusals(world: World) -> None:
    now = timezone.now()
    populate(world, now)
    page = client_for(world.street_leader).get("/evaluation/cockpit/")
    assert page.status_code == 200
    assert page.context["data"].unit == world.tree.streets[0].code
    assert page.context["data"].open.value == 3
    assert b"echarts.min.js" in page.content and b"cockpit-data" in page.content
    # the nav links the cockpit for those it lets in, not for an operator
    assert b'href="/evaluation/cockpit/"' in page.content
    operator = client_for(world.operator)
    assert operator.get("/evaluation/cockpit/").status_code == 403
    assert b'href="/evaluation/cockpit/"' not in operator.get("/").content
    assert client_for(world.grid_worker).get("/evaluation/cockpit/screen/").status_code == 403
    # another street's cockpit does not exist for this leader
    other = client_for(world.street_leader).get(
        "/evaluation/cockpit/", {"unit": world.tree.streets[1].code}
    )
    assert other.status_code == 404
    screen = client_for(world.leader).get("/evaluation/cockpit/screen/")
    assert screen.status_code == 200 and b'data-refresh="60"' in screen.content


def test_the_list_behind_a_number_is_the_number(world: World) -> None:
    now = timezone.now()
    populate(world, now)
    client = client_for(world.leader)
    data = client.get("/api/evaluation/cockpit").json()
    overdue = data["overdue"]
    listed = client.get(overdue["cases"])
    assert listed.status_code == 200
    assert listed.context["count"] == overdue["value"] == 2
    assert {c.tracking_code for c in listed.context["page"].items} == set(
        Case.objects.filter(due_at__lt=now, state__in=("dispatched", "handling")).values_list(
            "tracking_code", flat=True
        )
    )
    # a grid of the map: its open cases
    assert data["grids"] == {world.tree.grids[i].code: 1 for i in (0, 1, 2, 8)}
    code = world.tree.grids[1].code
    grid = client.get(data["grid_cases"] + code)
    assert grid.context["count"] == 1
    assert grid.context["page"].items[0].owner_unit == world.tree.communities[0]
    tasks = data["tasks"][0]["open"]
    assert client.get(tasks["cases"]).context["count"] == tasks["value"]
    # a street leader's list never shows the other street's cases, even asked for them
    street = client_for(world.street_leader)
    url = urlparse(data["open"]["cases"])
    params = dict(parse_qsl(url.query))
    mine = street.get(url.path, {k: v for k, v in params.items() if k != "unit"})
    assert mine.context["count"] == 3
    assert street.get(url.path, params).status_code == 404  # the district: not theirs
    bad = street.get(url.path, {"figure": "open", "channel": "fax"})
    assert bad.status_code == 400 and "渠道" in bad.content.decode()


def test_the_api(world: World) -> None:
    now = timezone.now()
    populate(world, now)
    client = client_for(world.department_handler)
    data = client.get("/api/evaluation/cockpit").json()
    assert data["unit"] == world.departments[0].code
    assert data["open"]["value"] == 1 and data["grids_url"] is None
    assert [t["code"] for t in data["tasks"]] == [world.departments[0].code]
    assert set(data["rate_names"]) == set(cp.RATES)
    refused = client_for(world.operator).get("/api/evaluation/cockpit")
    assert refused.status_code == 403
    assert refused.json()["detail"].startswith("只有")
    outside = client.get("/api/evaluation/cockpit", {"unit": world.tree.streets[0].code})
    assert outside.status_code == 404
    assert "D01" in outside.json()["detail"]
    leader = client_for(world.leader).get("/api/evaluation/cockpit").json()
    assert leader["grids_url"] == f"/api/geo/units/{world.tree.district.code}/grids"
    assert {r["code"] for r in leader["rankings"]["streets"]} == {"D01", "D02"}
    assert len(leader["trend"]) == 12
    schema = client_for(world.leader).get("/api/openapi.json").json()
    assert "/api/evaluation/cockpit" in schema["paths"]


# --- the rankings panel: the latest published month, or live rates -----------------------------


def test_the_panel_shows_the_latest_published_month_as_published(world: World) -> None:
    month_of(world)
    with clock.at(APRIL_10):
        publishing.publish_month(world.leader, FEBRUARY)
        publishing.publish_month(world.leader, MARCH)
        publishing.correct_month(world.leader, MARCH, "D02001 的评价录入有误，已更正。")
    # a rating changed after publishing: the panel keeps the published figures
    Case.objects.filter(owner_unit=world.tree.communities[1], rating=2).update(rating=5)
    panel = cp.ranking_panel(scope_of(world.leader), timezone.now())
    assert (panel.status, panel.period.key, panel.revision) == ("published", "2025-03", 2)
    published = {
        r["unit"]: r for name in rk.LISTS for r in publishing.published("2025-03").lists[name]
    }
    assert [r.code for r in panel.streets] == ["D01", "D02"]
    assert [r.code for r in panel.departments] == ["DX01", "DX02", "DX0101"]
    for row in panel.streets + panel.departments:
        frozen = published[row.code]
        assert (row.rank, row.score, row.apart) == (
            frozen["rank"],
            frozen["score"],
            frozen["apart"],
        )
        assert (row.red, row.black, row.cases) == (frozen["red"], frozen["black"], frozen["cases"])
        for key in cp.RATES:
            rate = row.rates[key]
            assert [rate.numerator, rate.denominator] == frozen["figures"][key]
            assert dict(parse_qsl(urlparse(rate.drill.url()).query)) == {
                "period": "2025-03",
                "unit": row.code,
                "figure": key,
                "part": "numerator",
            }
    assert panel.streets[0].red and panel.streets[1].black and panel.departments[2].apart
    # a street sees its own street, a department its own subtree, with the district's ranks
    street = cp.ranking_panel(scope_of(world.street_leader), timezone.now())
    assert [(r.code, r.rank) for r in street.streets] == [("D01", 1)] and not street.departments
    department = cp.ranking_panel(scope_of(world.department_handler), timezone.now())
    assert [r.code for r in department.departments] == ["DX01", "DX0101"]
    assert not department.streets
    # the API, the page and the big screen say which it is
    data = client_for(world.leader).get("/api/evaluation/cockpit").json()["rankings"]
    assert (data["status"], data["month"], data["revision"]) == ("published", "2025-03", 2)
    assert data["label"] == "已发布的 2025-03 月度榜单（第 2 版）：名次和综合得分以发布时为准。"
    assert data["page"] == "/evaluation/rankings/?month=2025-03"
    assert data["streets"][0]["rank"] == 1 and data["streets"][0]["red"] is True
    for url in ("/evaluation/cockpit/", "/evaluation/cockpit/screen/"):
        page = client_for(world.street_leader).get(url).content.decode()
        assert 'data-status="published"' in page and data["label"] in page, url
        assert 'href="/evaluation/rankings/?month=2025-03"' in page


def test_the_panel_falls_back_to_live_rates_labelled_as_not_published(world: World) -> None:
    now = timezone.now()
    populate(world, now)
    panel = cp.ranking_panel(scope_of(world.leader), now)
    assert (panel.status, panel.revision, panel.published_at) == ("live", None, None)
    assert panel.period == Period.current_month()
    assert all(r.rank is None and r.score is None for r in panel.streets + panel.departments)
    data = client_for(world.leader).get("/api/evaluation/cockpit").json()["rankings"]
    assert (data["status"], data["revision"]) == ("live", None)
    assert data["month"] == Period.current_month().key
    assert data["label"].startswith("尚未发布：") and "不作为排名" in data["label"]
    for url in ("/evaluation/cockpit/", "/evaluation/cockpit/screen/"):
        page = client_for(world.leader).get(url).content.decode()
        assert 'data-status="live"' in page and data["label"] in page, url
