"""The demo's people in the grids and their duty rosters (党建引领 · 下沉轮值).

Plain data is bulk-created, as an import would be (no event: nothing changed state): a
party branch in every community, village and park, a
party member (the grid leader, 网格长) in every grid and a volunteer in about half of
them, serving party members (在职党员) reporting to their communities, and cadres of the
district's departments who rotate down. What changes state (rosters, duties, check-ins,
absences, a swap) goes through ``people.actions`` with its day on the clock
(``clock.at``) and ``actor=None`` for the system: the centre community's and the centre
grid's rosters for the last three weeks and this one; then the centre community's
activities and supermarket (``activity_demo``). Grid calls: ``call_demo``.

The lead calls ``seed(rng, centre_grid=grid, password=password)`` from the demo build;
the login ``party_member`` is a party member of the centre grid on duty today.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

import shapely
from django.utils import timezone

from civicgrid.cases import clock
from civicgrid.demo import naming
from civicgrid.errors import Conflict
from civicgrid.geo.models import Boundary
from civicgrid.org.models import COMMUNITY_KINDS, Unit, UnitKind, User
from civicgrid.people import actions, activity_demo
from civicgrid.people.call_demo import seed_calls
from civicgrid.people.models import (
    Availability,
    GridPost,
    PartyBranch,
    Person,
    PostRole,
)

SKILLS = (
    "理发",
    "维修家电",
    "法律咨询",
    "心理疏导",
    "医护",
    "摄影",
    "书法",
    "助老陪护",
    "电脑",
    "调解",
)
SHIFTS = ((time(8, 30), time(11, 30)), (time(14), time(17)), (time(18, 30), time(20, 30)))
WEEKS_BACK = 3
LOGIN = "party_member"


@dataclass
class PeopleSummary:
    branches: int = 0
    people: int = 0
    posts: int = 0
    rosters: int = 0
    duties: int = 0
    absences: int = 0
    login: str | None = None
    grid_calls: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    activities: dict[str, int] = field(default_factory=dict)


def _phone(rng: random.Random) -> str:
    return f"1{rng.choice('3589')}{rng.randrange(10**9):09d}"


def _inside(grid: Unit) -> tuple[float, float] | None:
    boundary = Boundary.objects.filter(unit=grid).first()
    if boundary is None:
        return None
    point = shapely.geometry.shape(boundary.geometry).representative_point()
    return round(point.x, 6), round(point.y, 6)


def _at(day: date, when: time) -> datetime:
    return datetime.combine(day, when, timezone.get_default_timezone())


def seed(
    rng: random.Random, *, centre_grid: Unit | None = None, password: str = "!"
) -> PeopleSummary:
    """Every demo grid's people, and the centre's rosters of recent weeks."""
    summary = PeopleSummary()
    now = clock.now()
    communities = list(Unit.objects.filter(kind__in=COMMUNITY_KINDS, active=True).order_by("path"))
    branches = PartyBranch.objects.bulk_create(
        [
            PartyBranch(
                name=f"{c.name}{'党委' if c.kind == UnitKind.COMMUNITY else '党支部'}", unit=c
            )
            for c in communities
        ],
        batch_size=1000,
    )
    branch_of = {b.unit_id: b for b in branches}
    summary.branches = len(branches)
    grids = list(Unit.objects.filter(kind=UnitKind.GRID, active=True).order_by("path"))
    departments = list(Unit.objects.filter(kind=UnitKind.DEPARTMENT, active=True).order_by("path"))

    login = None
    if centre_grid is not None:
        login = User.objects.create(username=LOGIN, display_name="党员志愿者", password=password)
    people: list[Person] = []
    leaders: list[int] = []  # index in ``people`` of each grid's 网格长
    for grid in grids:
        branch = branch_of.get(grid.parent_id)  # type: ignore[arg-type]
        leaders.append(len(people))
        people.append(
            Person(
                name=naming.person_name(rng),
                phone=_phone(rng),
                home_grid=grid,
                party_member=True,
                branch=branch,
                volunteer=rng.random() < 0.5,
                skills="、".join(rng.sample(SKILLS, 2)) if rng.random() < 0.3 else "",
                availability=rng.choice(Availability.values),
            )
        )
        if rng.random() < 0.3:
            people.append(
                Person(
                    name=naming.person_name(rng),
                    phone=_phone(rng),
                    home_grid=grid,
                    volunteer=True,
                    skills="、".join(rng.sample(SKILLS, rng.randint(1, 2))),
                    availability=rng.choice(Availability.values),
                )
            )
        if rng.random() < 0.08:  # 在职党员: works elsewhere, reports to the community
            people.append(
                Person(
                    name=naming.person_name(rng),
                    phone=_phone(rng),
                    home_grid=grid,
                    party_member=True,
                    branch=branch,
                    in_service=True,
                    reports_to_id=grid.parent_id,
                    volunteer=True,
                    availability=Availability.WEEKENDS,
                )
            )
    for community in communities:  # a cadre of a department rotates down to each
        people.append(
            Person(
                name=naming.person_name(rng),
                phone=_phone(rng),
                party_member=True,
                cadre=True,
                employer=rng.choice(departments) if departments else None,
                reports_to=community,
            )
        )
    centre_people: list[Person] = []
    if centre_grid is not None and login is not None:
        me = Person(
            name="党员志愿者",
            phone=_phone(rng),
            home_grid=centre_grid,
            party_member=True,
            branch=branch_of.get(centre_grid.parent_id),  # type: ignore[arg-type]
            volunteer=True,
            skills="助老陪护、调解",
            availability=Availability.ANY,
            user=login,
        )
        people.append(me)
    created = Person.objects.bulk_create(people, batch_size=2000)
    summary.people = len(created)
    posts = [
        GridPost(
            person=created[i],
            grid=grid,
            role=PostRole.GRID_LEADER,
            since=now.date() - timedelta(days=400),
        )
        for i, grid in zip(leaders, grids, strict=True)
    ]
    posts += [
        GridPost(
            person=p,
            grid_id=p.home_grid_id,
            role=PostRole.BUILDING_LEADER,
            building=f"{rng.randint(1, 30)}幢",
            since=now.date() - timedelta(days=rng.randint(30, 600)),
        )
        for p in created
        if p.volunteer and not p.party_member and rng.random() < 0.3
    ]
    GridPost.objects.bulk_create(posts, batch_size=2000)
    summary.posts = len(posts)
    if centre_grid is not None:
        centre_people = [p for p in created if p.home_grid_id == centre_grid.pk]
        _rosters(rng, centre_grid, created, centre_people, summary)
        summary.activities = activity_demo.seed(rng, Unit.objects.get(pk=centre_grid.parent_id))
        summary.login = LOGIN
    summary.grid_calls = seed_calls(rng, centre_grid=centre_grid, password=password)
    summary.counts = {
        "party_members": sum(p.party_member for p in created),
        "in_service": sum(p.in_service for p in created),
        "volunteers": sum(p.volunteer for p in created),
        "cadres": sum(p.cadre for p in created),
    }
    return summary


def _rosters(
    rng: random.Random,
    grid: Unit,
    created: list[Person],
    centre_people: list[Person],
    summary: PeopleSummary,
) -> None:
    """The centre grid's and its community's weeks: the last three and this one."""
    community = Unit.objects.get(pk=grid.parent_id)
    grids = list(Unit.objects.filter(parent=community, kind=UnitKind.GRID).order_by("path"))
    ids = {g.pk for g in grids}
    community_people = [
        p
        for p in created
        if p.reports_to_id == community.pk or (p.home_grid_id in ids and p.party_member)
    ]
    me = next((p for p in centre_people if p.user_id is not None), None)
    today = clock.today()
    this_week = today - timedelta(days=today.weekday())
    points = {g.pk: _inside(g) for g in grids}
    swap_left = [1]  # one swap, asked and approved, in last week's grid roster
    # Party members and cadres of the community rotate into the grid with its own.
    grid_pool = centre_people + rng.sample(community_people, min(10, len(community_people)))
    for back in range(WEEKS_BACK, -1, -1):
        week = this_week - timedelta(days=7 * back)
        made = _at(week - timedelta(days=4), time(16))
        for unit, pool in ((grid, grid_pool), (community, community_people)):
            if not pool:
                continue
            with clock.at(made):
                roster = actions.make_roster(actor=None, unit=unit, week=week)
            duties = []
            for offset in range(7):
                day = week + timedelta(days=offset)
                for starts, ends in SHIFTS[: 2 if unit == grid else 1]:
                    person = (
                        me
                        if (me is not None and unit == grid and day == today and starts.hour < 12)
                        else rng.choice(pool)
                    )
                    served = unit if unit == grid else rng.choice(grids)
                    with clock.at(made):
                        try:
                            duties.append(
                                actions.plan_duty(
                                    roster,
                                    actor=None,
                                    person=person,
                                    unit=served,
                                    day=day,
                                    starts=starts,
                                    ends=ends,
                                )
                            )
                        except Conflict:
                            continue
            with clock.at(made + timedelta(hours=1)):
                actions.publish_roster(roster, actor=None)
            summary.rosters += 1
            summary.duties += len(duties)
            for duty in duties:
                _live(rng, duty, today, points, summary, swap_left if back == 1 else [])


def _live(
    rng: random.Random,
    duty,  # type: ignore[no-untyped-def]
    today: date,
    points: dict[int, tuple[float, float] | None],
    summary: PeopleSummary,
    swap_left: list[int],
) -> None:
    """What became of a duty: done with a check-in, or absent; today's and later ones
    wait (this morning's of the centre login for its own check-in)."""
    if duty.day > today or (duty.day == today and duty.person.user_id is not None):
        return
    if duty.day == today and duty.starts.hour >= 12:
        return
    asked = _at(duty.day - timedelta(days=2), time(20))
    if swap_left:
        taker = (
            Person.objects.filter(home_grid_id=duty.person.home_grid_id)
            .exclude(pk=duty.person_id)
            .first()
        )
        if taker is not None:
            with clock.at(asked):
                swap_row = actions.ask_swap(duty, actor=None, taker=taker, reason="临时出差")
            with clock.at(asked + timedelta(hours=14)):
                actions.decide_swap(swap_row, actor=None, approve=True, note="同意")
            duty.refresh_from_db()
            swap_left.clear()
    if rng.random() < 0.06:
        with clock.at(asked + timedelta(days=1)):
            actions.report_absence(
                duty, actor=None, reason=rng.choice(("生病", "家中有事", "单位临时加班"))
            )
        summary.absences += 1
        return
    point = points.get(duty.unit_id)
    if point is None:
        return
    arrived = _at(duty.day, duty.starts) - timedelta(minutes=rng.randint(0, 12))
    if arrived > timezone.now():
        return
    with clock.at(arrived):
        actions.check_in(duty, actor=None, lon=point[0], lat=point[1])
    if _at(duty.day, duty.ends) <= timezone.now():
        with clock.at(_at(duty.day, duty.ends)):
            actions.finish_duty(duty, actor=None)
