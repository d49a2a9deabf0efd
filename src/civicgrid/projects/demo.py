"""The demo's projects (项目监督), written through ``projects.actions`` as the district
would, each change at its day on the clock (``clock.at``) with ``actor=None`` for the
system: three projects around the resident site's map centre (an elevator retrofit in
the centre community, a back-street renewal in its street, an elderly-care station),
their budget lines and milestones (some done), two or three resident monitors each and
their observations of the last weeks.

The login ``monitor`` is the elevator retrofit's 质监员 and the back-street renewal's
进度员: ``/projects/me/`` files an observation. A problem observation becomes a case,
so it is filed after the demo's year of cases (``after_history``), as the councils'
whistled problems are.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from functools import partial

from django.utils import timezone

from civicgrid.cases import clock
from civicgrid.demo import naming
from civicgrid.org.models import Unit, UnitKind, User
from civicgrid.people.demo import _inside, _phone
from civicgrid.projects import actions
from civicgrid.projects.models import Milestone, Monitor, MonitorRole, Project, ProjectKind

LOGIN = "monitor"
LOGIN_NAME = "项目监督员"
SEAT_NAME = "陈建华"  # the login's name as a monitor


@dataclass(frozen=True)
class Spec:
    name: str
    kind: str
    department: str  # preferred; the urban management bureau when the demo has it not
    where: str  # "community" or "street"
    description: str
    budget: tuple[tuple[str, str], ...]
    milestones: tuple[tuple[str, int, int], ...]  # name, days from the start, weight
    started_days_ago: int
    notes: tuple[str, ...]


SPECS = (
    Spec(
        "老旧小区加装电梯",
        ProjectKind.LIVELIHOOD,
        "区住房和城乡建设局",
        "community",
        "为小区 6 幢多层住宅加装电梯，2026 年民生实事项目。",
        (("电梯设备采购", "1680000.00"), ("井道土建施工", "920000.00"), ("监理费", "86000.00")),
        (
            ("方案公示与业主签字", 0, 1),
            ("井道基础施工", 30, 3),
            ("电梯安装", 75, 4),
            ("验收交付", 110, 2),
        ),
        60,
        (
            "井道基础已开挖，围挡完好，现场有专人看护。",
            "混凝土浇筑后已覆盖养护，施工时间遵守了公示要求。",
            "二号楼井道钢结构开始吊装，噪声比前几天小。",
        ),
    ),
    Spec(
        "背街小巷环境整治",
        ProjectKind.CONSTRUCTION,
        "区城市管理局",
        "street",
        "对街道内 12 条背街小巷的路面、照明和绿化进行整治提升。",
        (("路面改造", "2450000.00"), ("路灯更新", "380000.00"), ("绿化补种", "160000.00")),
        (("设计与公示", 0, 1), ("路面改造", 45, 5), ("照明与绿化", 90, 3)),
        50,
        (
            "第一条小巷路面已铣刨，施工车辆按时段进出。",
            "雨后新铺路面局部有积水，已拍照。",
        ),
    ),
    Spec(
        "社区养老服务驿站",
        ProjectKind.LIVELIHOOD,
        "区民政局",
        "community",
        "利用社区闲置用房建设养老服务驿站，提供助餐、日间照料。",
        (("房屋改造", "540000.00"), ("适老化设备", "210000.00")),
        (("选址与公示", 0, 1), ("装修改造", 20, 3), ("设备进场", 50, 2), ("开门运营", 95, 2)),
        75,
        ("驿站装修已完成，扶手和防滑地面都装好了。", "助餐厨房设备已进场调试。"),
    ),
)
PROBLEM = "电梯井道外墙出现一道约一米长的裂缝，施工方未做处理，担心影响安全。"


@dataclass
class ProjectsSummary:
    projects: int = 0
    milestones_done: int = 0
    monitors: int = 0
    retired: int = 0
    observations: int = 0
    login: str | None = None


def _at(day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour), timezone.get_default_timezone())


def seed(
    rng: random.Random,
    *,
    centre_grid: Unit,
    password: str = "!",
) -> ProjectsSummary:
    """The three projects around ``centre_grid``, their monitors and observations."""
    summary = ProjectsSummary()
    today = clock.today()
    community = Unit.objects.get(pk=centre_grid.parent_id)
    street = Unit.objects.get(pk=community.parent_id)
    departments = {u.name: u for u in Unit.objects.filter(kind=UnitKind.DEPARTMENT, active=True)}
    fallback = departments.get(naming.URBAN_MANAGEMENT) or next(iter(departments.values()))
    point = _inside(centre_grid)
    login = User.objects.create(username=LOGIN, display_name=LOGIN_NAME, password=password)
    summary.login = LOGIN
    for index, spec in enumerate(SPECS):
        start = today - timedelta(days=spec.started_days_ago)
        with clock.at(_at(start, 9)):
            project = actions.create_project(
                actions.Plan(
                    name=spec.name,
                    kind=spec.kind,
                    department=departments.get(spec.department, fallback),
                    unit=community if spec.where == "community" else street,
                    description=spec.description,
                    address=f"{community.name}",
                    lon=point[0] if point else None,
                    lat=point[1] if point else None,
                ),
                actor=None,
            )
            for item, amount in spec.budget:
                actions.add_budget_line(project, actor=None, item=item, amount=Decimal(amount))
            milestones = [
                actions.add_milestone(
                    project,
                    actor=None,
                    name=name,
                    planned_on=start + timedelta(days=offset),
                    weight=weight,
                )
                for name, offset, weight in spec.milestones
            ]
            monitors = [_recruit(project, rng, MonitorRole.PROGRESS)]
            monitors.append(_recruit(project, rng, MonitorRole.QUALITY))
            if index == 0:
                monitors.append(_recruit(project, rng, MonitorRole.QUALITY, login))
            if index == 1:
                monitors.append(_recruit(project, rng, MonitorRole.PROGRESS, login))
        summary.projects += 1
        summary.monitors += len(monitors)
        # The rest in the order of their days, so the project's log reads in time order.
        timeline: list[tuple[datetime, Callable[[], object]]] = []
        for milestone in milestones:
            done = milestone.planned_on + timedelta(days=3)
            if done < today:
                timeline.append((_at(done, 16), partial(_complete, milestone)))
                summary.milestones_done += 1
        for n, note in enumerate(spec.notes):
            day = today - timedelta(days=(len(spec.notes) - n) * 6)
            seat = rng.choice(monitors)
            timeline.append((_at(day, 11), partial(_observe, seat, note)))
            summary.observations += 1
        if index == len(SPECS) - 1:  # the last project's progress monitor moved away
            seat = monitors[0]
            timeline.append((_at(today - timedelta(days=2), 17), partial(_hand_over, seat, rng)))
            summary.retired += 1
            summary.monitors += 1
        for when, change in sorted(timeline, key=lambda row: row[0]):
            with clock.at(when):
                change()
    return summary


def _complete(milestone: Milestone) -> object:
    return actions.complete_milestone(milestone, actor=None)


def _observe(seat: Monitor, text: str) -> object:
    return actions.file_observation(seat, actor=None, text=text)


def _hand_over(seat: Monitor, rng: random.Random) -> object:
    """The seat retired (卸任) and a neighbour recruited in the same role."""
    actions.retire_monitor(seat, actor=None)
    return _recruit(seat.project, rng, seat.role)


def _recruit(project: Project, rng: random.Random, role: str, user: User | None = None) -> Monitor:
    return actions.recruit_monitor(
        project,
        actor=None,
        name=SEAT_NAME if user is not None else naming.person_name(rng),
        phone=_phone(rng),
        role=role,
        user=user,
    )


def after_history() -> dict[str, object]:
    """The elevator retrofit's 质监员 (the ``monitor`` login) reports a crack yesterday:
    a problem, so a case in the district's queue. Written after the demo's year of
    cases, through the same action a monitor's phone uses."""
    seat = (
        Monitor.objects.filter(user__username=LOGIN, role=MonitorRole.QUALITY)
        .select_related("project")
        .first()
    )
    if seat is None or seat.observations.filter(problem=True).exists():
        return {"project_cases": 0}
    yesterday = clock.today() - timedelta(days=1)
    with clock.at(_at(yesterday, 15)):
        actions.file_observation(seat, actor=None, text=PROBLEM, problem=True)
    return {"project_cases": 1}
