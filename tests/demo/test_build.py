"""The demo district in the database, at a small scale."""

from __future__ import annotations

from collections import Counter
from io import StringIO

import pytest
from django.contrib.auth import authenticate
from django.core.management import CommandError, call_command
from django.test import RequestFactory

from civicgrid.demo.build import DEMO_LOGINS, DEMO_PASSWORD, DemoSummary, generate_demo
from civicgrid.demo.geography import build_district
from civicgrid.geo.locator import build_locator
from civicgrid.geo.models import Boundary
from civicgrid.org.models import Membership, Unit, UnitKind, User
from civicgrid.org.scoping import scope_of

SCALE = 0.03


@pytest.fixture
def demo(db: None) -> DemoSummary:
    return generate_demo(seed=1, scale=SCALE, classifier=False)


def test_counts_and_hierarchy(demo: DemoSummary) -> None:
    units = list(Unit.objects.select_related("parent"))
    assert sum(demo.units.values()) == len(units)
    assert demo.units[UnitKind.DISTRICT] == 1 and demo.units[UnitKind.GRID] >= 1
    for unit in units:
        if unit.parent is None:
            assert unit.kind == UnitKind.DISTRICT and unit.path == f"{unit.code}/"
        else:
            assert unit.code.startswith(unit.parent.code), unit
            assert unit.path == f"{unit.parent.path}{unit.code}/", unit
    names = [u.name for u in units]
    assert len(names) == len(set(names)), "unit names are unique"


def test_the_database_holds_exactly_the_drawn_units(demo: DemoSummary) -> None:
    shape = build_district(seed=1, scale=SCALE)
    communities = [c for s in shape.streets for c in s.communities]
    drawn = Counter([s.kind for s in shape.streets] + [c.kind for c in communities])
    drawn[UnitKind.GRID] = len(shape.all_grids())
    stored = Counter(Unit.objects.values_list("kind", flat=True))
    assert stored[UnitKind.DISTRICT] == 1
    assert stored[UnitKind.DEPARTMENT] >= 3
    assert {k: n for k, n in stored.items() if k in drawn} == dict(drawn)
    assert stored == demo.units
    for grid in Unit.objects.filter(kind=UnitKind.GRID).select_related("parent")[:50]:
        assert grid.parent.kind in {UnitKind.COMMUNITY, UnitKind.VILLAGE, UnitKind.PARK}
        assert grid.name.startswith(grid.parent.name) and grid.name.endswith("网格")


def test_every_territorial_unit_has_a_boundary(demo: DemoSummary) -> None:
    without = Unit.objects.exclude(kind=UnitKind.DEPARTMENT).filter(boundary__isnull=True)
    assert not without.exists()
    assert not Boundary.objects.filter(unit__kind=UnitKind.DEPARTMENT).exists()


def test_the_locator_finds_each_grid_from_a_point_inside_it(demo: DemoSummary) -> None:
    from shapely.geometry import shape

    locator = build_locator()
    rows = Boundary.objects.filter(unit__kind=UnitKind.GRID).values_list("unit__code", "geometry")
    for code, geometry in rows:
        point = shape(geometry).representative_point()
        assert locator.locate(point.x, point.y).grid_code == code


def test_demo_logins_work_and_hold_their_roles(demo: DemoSummary) -> None:
    request = RequestFactory().post("/login/")
    for login in DEMO_LOGINS:
        user = authenticate(request, username=login.username, password=DEMO_PASSWORD)
        assert user is not None, login.username
        roles = set(Membership.objects.filter(user=user).values_list("role", flat=True))
        assert roles == {login.role}, login.username
    admin = User.objects.get(username="admin")
    assert admin.is_superuser and scope_of(admin).everything
    grid_worker = User.objects.get(username="grid_worker")
    grid = Unit.objects.get(memberships__user=grid_worker)
    assert grid.kind == UnitKind.GRID
    assert set(Unit.objects.visible_to(grid_worker).values_list("code", flat=True)) == {grid.code}


def test_staff_in_every_unit_share_one_password_hash(demo: DemoSummary) -> None:
    assert (
        Membership.objects.values("unit").distinct().count()
        == Unit.objects.exclude(kind=UnitKind.DISTRICT).count() + 1
    )
    assert User.objects.values("password").distinct().count() == 1


def test_the_command_refuses_a_second_district_and_if_empty_skips(demo: DemoSummary) -> None:
    before = Unit.objects.count()
    with pytest.raises(CommandError):
        call_command("demo", "--scale", "0.01")
    out = StringIO()
    call_command("demo", "--if-empty", stdout=out)
    assert Unit.objects.count() == before
    assert "community_handler" in out.getvalue()


def test_the_command_builds_a_small_district(db: None) -> None:
    out = StringIO()
    call_command("demo", "--scale", "0.02", "--seed", "5", stdout=out)
    assert Unit.objects.filter(kind=UnitKind.GRID).exists()
    assert "done:" in out.getvalue() and DEMO_PASSWORD in out.getvalue()


def test_the_demo_has_a_three_level_taxonomy_with_deadlines(demo: DemoSummary) -> None:
    from civicgrid.cases.deadlines import policy_for
    from civicgrid.cases.models import Category, Urgency

    leaves = Category.objects.filter(children__isnull=True)
    assert demo.categories == Category.objects.count() > 100
    assert all(len(leaf.lineage()) == 3 for leaf in leaves)
    gas = Category.objects.get(name="燃气泄漏")
    assert not policy_for(gas, Urgency.EMERGENCY).working_time
    assert policy_for(gas, Urgency.NORMAL).working_time


def test_every_department_the_taxonomy_names_exists_in_the_full_demo() -> None:
    from civicgrid.demo.naming import DEPARTMENTS
    from civicgrid.demo.taxonomy import TAXONOMY

    named = {
        d
        for level2 in TAXONOMY.values()
        for leaves in level2.values()
        for _n, _t, depts, _s in leaves
        for d in depts
    }
    assert named <= set(DEPARTMENTS), named - set(DEPARTMENTS)


def test_a_history_through_the_real_transitions(demo: DemoSummary) -> None:
    from django.utils import timezone

    from civicgrid.cases.actions import replay
    from civicgrid.cases.models import Case, CaseEvent
    from civicgrid.demo.history import generate_history

    summary = generate_history(40, seed=3)
    assert summary.cases == 40 and summary.refused == 0
    assert Case.objects.count() == 40
    assert summary.states.get("closed", 0) > 20
    first = Case.objects.order_by("created_at").first()
    assert first.created_at < timezone.now() - timezone.timedelta(days=30)
    assert not CaseEvent.objects.filter(at__gt=timezone.now()).exists()
    for case in Case.objects.all():
        r = replay(case.events.order_by("seq"))
        assert (r.state, r.owner_unit_id, r.version) == (
            case.state,
            case.owner_unit_id,
            case.version,
        )
        assert (r.follow_up_attempts, r.unreachable) == (case.follow_up_attempts, case.unreachable)
    # Follow-up calls: some reach the resident and take their word, some never do.
    calls = CaseEvent.objects.filter(data__has_key="attempt")
    assert calls.filter(action="rate").exists()
    assert calls.filter(action="follow_up", data__reached=False).exists()


def test_the_command_can_leave_the_history_to_the_worker(db: None) -> None:
    from django_tasks_db.models import DBTaskResult

    call_command("demo", "--scale", "0.02", "--history-in-background", "25", stdout=StringIO())
    task = DBTaskResult.objects.get(task_path="civicgrid.demo.tasks.generate_history_task")
    assert task.status == "READY" and task.args_kwargs["args"][0] == 25


def test_history_calls_come_in_local_office_hours_and_evenings(
    demo: DemoSummary, monkeypatch: pytest.MonkeyPatch
) -> None:
    """(And, filling in behind a server, it stands aside every few cases, long enough
    for a waiting writer's next try at SQLite's lock.)"""
    from django.utils import timezone

    import civicgrid.demo.history as history
    from civicgrid.cases.models import Case
    from civicgrid.demo.history import generate_history

    pauses: list[float] = []
    monkeypatch.setattr(history.time, "sleep", pauses.append)
    generate_history(20, seed=4, pause_every=8)
    assert pauses == [0.15, 0.15], "after the 8th and the 16th case, 150 ms each"
    hours = {timezone.localtime(c.created_at).hour for c in Case.objects.all()}
    assert hours <= {8, 9, 10, 11, 14, 15, 16, 19}, hours


@pytest.mark.parametrize("scale", ["0", "-0.5", "1.5", "abc"])
def test_the_command_refuses_a_scale_outside_0_to_1(db: None, scale: str) -> None:
    with pytest.raises(CommandError):
        call_command("demo", "--scale", scale, stdout=StringIO())
    assert not Unit.objects.exists()


def test_the_gazetteer_places_lie_in_their_communities(demo: DemoSummary) -> None:
    from civicgrid.geo.locator import locate
    from civicgrid.intake.models import Place

    places = list(Place.objects.select_related("community"))
    assert demo.places == len(places) > 0
    assert {p.kind for p in places} == {"estate", "road"}
    for place in places:
        where = locate(place.lon, place.lat)
        assert where.located, place.name
        grid = Unit.objects.get(pk=where.grid_id)
        assert grid.parent_id == place.community_id, f"{place.name} outside its community"
