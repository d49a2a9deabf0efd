"""A year of cases for the demo district, made through the real transition functions
(with the clock set to each step's moment), so every row and event is what the
product itself would have written.

The mix: categories weighted by how often districts hear of them, most cases
normal (a few urgent, fewer emergencies), some returned and re-dispatched, some
escalated, moderate matters at the street sometimes whistled to departments,
some fixes failing verification, ratings mostly good. Recent cases are still
open, at whatever step their clock has reached.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from civicgrid.cases import actions, clock
from civicgrid.cases.actions import Submission
from civicgrid.cases.models import Case, Category, Channel, State, Tier, Urgency
from civicgrid.errors import Refusal
from civicgrid.geo.models import Boundary
from civicgrid.org.models import Unit, UnitKind, User

TITLES = {
    "楼道杂物堆放": (
        "楼道堆放杂物影响通行",
        "单元楼道里长期堆放纸箱和旧家具，存在消防隐患，希望尽快清理。",
    ),
    "邻里噪声": (
        "楼上深夜噪声扰民",
        "楼上住户每天深夜拖动家具、走路很响，影响休息，多次沟通无果。",
    ),
    "违章停车": ("小区门口车辆乱停", "小区出入口常有车辆违停，早高峰堵塞严重，请加强管理。"),
    "路灯不亮": ("路灯损坏不亮", "道路两侧路灯已坏多日，夜间出行很不安全。"),
}
CHANNELS = [(Channel.HOTLINE, 55), (Channel.WEB, 30), (Channel.PATROL, 10), (Channel.API, 5)]
URGENCIES = [(Urgency.NORMAL, 85), (Urgency.URGENT, 13), (Urgency.EMERGENCY, 2)]


@dataclass
class HistorySummary:
    cases: int = 0
    states: dict[str, int] = field(default_factory=dict)
    refused: int = 0


def _pick(rng: random.Random, weighted: list[tuple[object, int]]) -> object:
    return rng.choices([v for v, _ in weighted], [w for _, w in weighted])[0]


class _People:
    """Who acts for a unit in the demo: its own handler (or grid worker), else the
    district dispatcher."""

    def __init__(self) -> None:
        self.by_name = {u.username: u for u in User.objects.filter(memberships__isnull=False)}
        self.dispatcher = self.by_name["district_dispatcher"]

    def of(self, unit: Unit) -> User:
        prefix = "g" if unit.kind == UnitKind.GRID else "h"
        return self.by_name.get(f"{prefix}{unit.code}".lower(), self.dispatcher)


def generate_history(
    count: int,
    *,
    seed: int = 1,
    until: datetime | None = None,
    progress: Callable[[str], None] | None = None,
    pause_every: int = 0,
) -> HistorySummary:
    """``count`` cases of the past year, each written in its own transaction.
    ``pause_every``: after that many cases, stand aside for a moment, so that other
    writers (a resident's request while the demo fills in behind a running server)
    get SQLite's one write lock instead of waiting out its timeout."""
    rng = random.Random(seed)
    until = until or timezone.now()
    district = Unit.objects.get(kind=UnitKind.DISTRICT)
    people = _People()
    leaves = list(Category.objects.filter(children__isnull=True, active=True))
    weights = [8 if c.default_tier in (Tier.MICRO, Tier.MINOR) else 3 for c in leaves]
    grids = list(
        Boundary.objects.filter(unit__kind=UnitKind.GRID).values_list(
            "unit_id", "min_lon", "min_lat", "max_lon", "max_lat"
        )
    )
    departments = list(Unit.objects.filter(kind=UnitKind.DEPARTMENT, active=True))
    summary = HistorySummary()
    for i in range(count):
        # Residents call in office hours and evenings, local time.
        start = timezone.localtime(until - timedelta(days=365 * rng.random() ** 0.8)).replace(
            hour=rng.choice([8, 9, 10, 11, 14, 15, 16, 19]), minute=rng.randrange(60)
        )
        if start > until:
            start -= timedelta(days=1)
        category = rng.choices(leaves, weights)[0]
        try:
            with transaction.atomic():
                _one_case(rng, start, until, category, grids, district, people, departments)
        except Refusal:
            summary.refused += 1
        summary.cases += 1
        if pause_every and (i + 1) % pause_every == 0:
            time.sleep(0.15)  # longer than a waiting writer's 100 ms between tries
        if progress and (i + 1) % 1000 == 0:
            progress(f"{i + 1:,} cases")
    rows = Case.objects.values_list("state", flat=True)
    for state in rows:
        summary.states[state] = summary.states.get(state, 0) + 1
    return summary


def _one_case(
    rng: random.Random,
    t: datetime,
    until: datetime,
    category: Category,
    grids: list,
    district: Unit,
    people: _People,
    departments: list[Unit],
) -> None:
    def later(minutes_low: float, minutes_high: float) -> datetime:
        nonlocal t
        t = t + timedelta(minutes=rng.uniform(minutes_low, minutes_high))
        return t

    def step(func: Callable[..., Case], case: Case, **kwargs: object) -> Case | None:
        """One transition at the current moment, unless that moment is still to come."""
        if t > until:
            return None
        with clock.at(t):
            return func(case, **kwargs)

    located = rng.random() < 0.93
    lon = lat = None
    if located:
        _grid, x0, y0, x1, y1 = rng.choice(grids)
        lon, lat = rng.uniform(x0, x1), rng.uniform(y0, y1)
    title, text = TITLES.get(
        category.name, (f"{category.name}问题反映", f"反映{category.name}的情况，请相关部门处理。")
    )
    with clock.at(t):
        case = actions.submit_case(
            Submission(
                channel=str(_pick(rng, CHANNELS)),
                title=title,
                text=text,
                lon=lon,
                lat=lat,
                contact_name=rng.choice("王李张刘陈杨黄赵吴周") + rng.choice(["先生", "女士"]),
                contact_phone=f"1{rng.choice('3589')}{rng.randrange(10**9):09d}",
            ),
            actor=None,
            district=district,
        )
    dispatcher = people.dispatcher
    later(3, 90)
    if rng.random() < 0.01:
        step(actions.reject_case, case, actor=dispatcher, reason="重复或无效诉求")
        return
    urgency = str(_pick(rng, URGENCIES))
    if not (
        case := step(
            actions.triage_case, case, actor=dispatcher, category=category, urgency=urgency
        )
    ):
        return
    later(1, 20)
    if not (case := step(actions.dispatch_case, case, actor=dispatcher)):
        return
    if rng.random() < 0.05 and case.owner_unit.parent_id:  # 退单, then re-dispatched
        later(30, 300)
        handler = people.of(case.owner_unit)
        if not (case := step(actions.return_case, case, actor=handler, reason="不属于本单位辖区")):
            return
        later(10, 120)
        if not (case := step(actions.dispatch_case, case, actor=dispatcher)):
            return
    later(10, 480 if case.urgency == Urgency.NORMAL else 40)
    if rng.random() < 0.06 and case.owner_unit.kind != UnitKind.DISTRICT:
        if not (
            case := step(
                actions.escalate_case,
                case,
                actor=people.of(case.owner_unit),
                reason="需上级协调处理",
            )
        ):
            return
        later(10, 240)
    owner = case.owner_unit
    if not (case := step(actions.acknowledge_case, case, actor=people.of(owner))):
        return
    if owner.kind in (UnitKind.STREET, UnitKind.TOWN) and rng.random() < 0.3:
        lead = next((d for d in category.departments.all() if d.active), None) or rng.choice(
            departments
        )
        later(20, 180)
        if not (case := step(actions.whistle_case, case, actor=dispatcher, lead=lead)):
            return
        task = case.tasks.get(department=lead, state="notified")
        staff = people.of(lead)
        for move, note in (
            (actions.check_in_task, ""),
            (actions.start_task, ""),
            (actions.finish_task, "已到场处置完毕"),
        ):
            later(20, 600)
            if t > until:
                return
            with clock.at(t):
                task = move(task, actor=staff, note=note)
    later(60, 60 * 24 * 4)
    if not (
        case := step(actions.handle_case, case, actor=people.of(owner), note="已到现场核实处置")
    ):
        return
    later(30, 60 * 24 * 2)
    if not (
        case := step(
            actions.resolve_case, case, actor=people.of(owner), reply="问题已处理，感谢您的反映。"
        )
    ):
        return
    verifier = people.of(case.grid) if case.grid else dispatcher
    if verifier == people.of(owner):  # whoever resolved may not verify: someone else does
        verifier = people.by_name["leader"] if verifier == dispatcher else dispatcher
    later(60, 60 * 24)
    if rng.random() < 0.05:
        if not (
            case := step(
                actions.verify_case, case, actor=verifier, passed=False, note="现场复核问题仍存在"
            )
        ):
            return
        later(60, 60 * 24 * 2)
        if not (
            case := step(
                actions.resolve_case, case, actor=people.of(owner), reply="已再次处理到位。"
            )
        ):
            return
        later(60, 60 * 12)
    if not (case := step(actions.verify_case, case, actor=verifier, passed=True)):
        return
    later(60 * 4, 60 * 24 * 3)
    roll = rng.random()
    if roll < 0.08:  # not reached
        step(
            actions.close_case,
            case,
            actor=people.by_name.get("operator", dispatcher),
            note="多次回访未接通",
        )
        return
    rating = rng.choices([5, 4, 3, 2, 1], [62, 20, 9, 5, 4])[0]
    solved = rating >= 3 or rng.random() < 0.3
    case = step(
        actions.rate_case,
        case,
        actor=None,
        rating=rating,
        solved=solved,
        comment="" if rating >= 4 else "处理不够及时",
    )
    if case is not None and case.state != State.CLOSED:  # reopened: fixed again, closed
        later(60 * 24, 60 * 24 * 4)
        if not (
            case := step(actions.resolve_case, case, actor=people.of(owner), reply="已返工处理。")
        ):
            return
        later(60, 60 * 24)
        if not (case := step(actions.verify_case, case, actor=verifier, passed=True)):
            return
        later(60 * 4, 60 * 24 * 2)
        step(actions.rate_case, case, actor=None, rating=4, solved=True)
