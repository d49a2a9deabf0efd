"""The demo's past meetings and problems (issue point 7): for each council a few meetings
of the last months with their attendance, decisions, minutes and follow-up items, and
problems its members raised; written through ``councils.meetings`` and
``councils.problems`` at their days (``clock.at``), as the council would have.

Some items are done or dropped, some still open (a few overdue); some items and
whistled problems became cases through intake, and some of those cases went round the
normal loop to closed, through the case's own actions by the demo's staff (the district
dispatcher, the unit's handler, the street's dispatcher, the operator), so the council
sees them done. The texts are our own, as every demo text is.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.utils import timezone

from civicgrid.cases import actions as case_actions
from civicgrid.cases import clock
from civicgrid.cases.models import Case, Category, Urgency
from civicgrid.councils import meetings, problems
from civicgrid.councils.models import Council, CouncilKind, CouncilMember
from civicgrid.councils.work_models import MeetingKind, Presence, Problem
from civicgrid.errors import Refusal
from civicgrid.org.models import Membership, Role, Unit, UnitKind, User

MEETINGS = {
    CouncilKind.PARK: ("理事会季度例会", "企业服务联席会议", "园区联合巡查"),
    CouncilKind.MERCHANTS: ("商圈理事会月度例会", "门前三包联席会议", "商圈联合巡查"),
    CouncilKind.OWNERS: ("红色业委会月度例会", "物业服务协商会", "小区联合巡查"),
    CouncilKind.INDUSTRY: ("行业联盟例会", "行业自律联席会议", "联合巡查"),
}
KINDS = (MeetingKind.COUNCIL, MeetingKind.JOINT, MeetingKind.PATROL)
PLACES = ("党群服务中心会议室", "商会会议室", "园区服务中心", "社区议事厅", "现场")
DECISIONS = (
    "成立门前停车秩序协管专班，由秘书处牵头",
    "夜间二十二点后禁止外放音响，违者由理事会劝导",
    "每月第一个周五开展联合巡查",
    "共同出资修缮公共休息区座椅",
    "推选三名成员参加街道共建议事会",
    "统一设置垃圾分类投放点并安排轮值",
)
# (item text, whether the council can do it itself; if not, it becomes a case)
ITEMS = (
    ("清理公共通道堆放杂物", True),
    ("统一更换破损店招", True),
    ("组织成员参加消防安全培训", True),
    ("整理本季度巡查台账", True),
    ("路口信号灯配时过短，需交警部门调整", False),
    ("主干道路面坑洼，需市政部门修补", False),
    ("公共区域路灯损坏，需更换", False),
)
PROBLEMS = (
    ("夜间货车占道卸货", "每晚十点后有货车在街边占道卸货，噪声大，影响通行。", False),
    ("共享单车乱停放", "门前共享单车堆积，顾客进出不便。", True),
    ("污水井盖破损", "东侧路口污水井盖破损，存在安全隐患。", False),
    ("垃圾清运不及时", "公共垃圾桶经常满溢，清运间隔太长。", True),
    ("停车位不足", "上下班高峰停车困难，希望协调增设临时停车位。", False),
    ("绿化带杂草丛生", "公共绿化带长期无人修剪。", True),
)
OUTCOMES = ("已协商解决", "已落实到位", "经理事会协调，各方达成一致")


@dataclass
class MeetingsSummary:
    meetings: int = 0
    decisions: int = 0
    items: int = 0
    items_done: int = 0
    problems: int = 0
    cases: int = 0
    cases_closed: int = 0


def _at(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour, 0), timezone.get_default_timezone())


def seed(
    councils: Iterable[Council],
    rng: random.Random,
    *,
    today: date | None = None,
    meetings_per_council: tuple[int, int] = (2, 4),
) -> MeetingsSummary:
    """A few past meetings and problems for each of ``councils``, the newest a week or
    more ago. Each council's steps are written in the order of their days, after
    everything already in its log, so its log stays in time order; a council whose log
    reaches into the last weeks gets fewer meetings. Cases are closed only where the
    demo's staff exist."""
    summary = MeetingsSummary()
    today = today or timezone.localdate()
    staff = _Staff()
    for council in councils:
        last = council.events.order_by("-seq").values_list("at", flat=True).first()
        first_day = max(
            today - timedelta(days=180),
            (timezone.localtime(last).date() + timedelta(days=1)) if last else today,
        )
        plan = _Plan()
        _council(council, rng, first_day, today, meetings_per_council, staff, summary, plan)
        plan.run()
    return summary


class _Plan:
    """A council's steps, each at its moment, written in time order."""

    def __init__(self) -> None:
        self.steps: list[tuple[datetime, int, Callable[[], object]]] = []

    def at(self, when: datetime, step: Callable[[], object]) -> None:
        self.steps.append((when, len(self.steps), step))

    def run(self) -> None:
        for when, _order, step in sorted(self.steps, key=lambda s: (s[0], s[1])):
            with clock.at(when):
                step()


def _council(
    council: Council,
    rng: random.Random,
    first_day: date,
    today: date,
    count: tuple[int, int],
    staff: _Staff,
    summary: MeetingsSummary,
    plan: _Plan,
) -> None:
    span = (today - timedelta(days=7) - first_day).days
    if span < 1:
        return
    n = min(rng.randint(*count), max(1, span // 14))
    days = sorted({first_day + timedelta(days=rng.randrange(span)) for _ in range(n)})
    everyone = list(council.members.filter(left_on=None).order_by("pk"))
    for index, day in enumerate(days):
        members = [m for m in everyone if m.joined_on < day]
        if len(members) < 2:
            continue
        _meeting(council, members, rng, day, today, staff, summary, plan)
        if index == len(days) - 1:
            _problems(council, members, rng, day, today, staff, summary, plan)


def _meeting(
    council: Council,
    members: list[CouncilMember],
    rng: random.Random,
    day: date,
    today: date,
    staff: _Staff,
    summary: MeetingsSummary,
    plan: _Plan,
) -> None:
    titles = MEETINGS.get(council.kind, MEETINGS[CouncilKind.PARK])
    kind_index = rng.randrange(len(KINDS))
    start = _at(day, rng.choice((9, 10, 14, 15)))
    made: dict[str, Any] = {}

    def plan_it() -> None:
        made["meeting"] = meetings.plan_meeting(
            council,
            actor=None,
            title=f"{titles[kind_index]}（{day:%m月%d日}）",
            kind=KINDS[kind_index],
            starts_at=start,
            place=rng.choice(PLACES),
            agenda="\n".join(
                f"{i + 1}. {text}" for i, (text, _own) in enumerate(rng.sample(ITEMS, 2))
            ),
        )

    plan.at(start - timedelta(days=rng.randrange(1, 3)), plan_it)
    # some members confirm on their phones the evening before
    for hours, member in enumerate(rng.sample(members, k=min(len(members), 2)), start=12):
        presence = Presence.PRESENT if rng.random() < 0.8 else Presence.EXCUSED
        plan.at(
            start - timedelta(hours=hours),
            lambda m=member, p=presence: meetings.confirm_attendance(
                made["meeting"], m, actor=None, presence=p
            ),
        )
    plan.at(start, lambda: meetings.hold_meeting(made["meeting"], actor=None))
    roll = {
        m.pk: Presence.PRESENT
        if rng.random() < 0.8
        else rng.choice((Presence.ABSENT, Presence.EXCUSED))
        for m in members[:40]
    }
    plan.at(
        start + timedelta(minutes=5),
        lambda: meetings.take_roll(made["meeting"], actor=None, presence=roll),
    )
    for minutes, text in enumerate(rng.sample(DECISIONS, rng.randint(1, 2))):
        plan.at(
            start + timedelta(minutes=30 + 10 * minutes),
            lambda t=text: meetings.record_decision(made["meeting"], actor=None, text=t),
        )
        summary.decisions += 1
    for order, (text, own) in enumerate(rng.sample(ITEMS, rng.randint(1, 3))):
        _item(made, text, own, members, rng, start, order, today, staff, summary, plan)
    minutes_text = f"应到{len(members)}家，会议围绕议程逐项协商，形成决议并明确待办事项。"
    plan.at(
        start + timedelta(hours=2),
        lambda: meetings.record_minutes(made["meeting"], actor=None, minutes=minutes_text),
    )
    summary.meetings += 1


def _item(
    made: dict[str, Any],
    text: str,
    own: bool,
    members: list[CouncilMember],
    rng: random.Random,
    start: datetime,
    order: int,
    today: date,
    staff: _Staff,
    summary: MeetingsSummary,
    plan: _Plan,
) -> None:
    due = start.date() + timedelta(days=rng.randrange(7, 45))
    owner = rng.choice(members)
    key = f"item{order}"

    def add() -> None:
        made[key] = meetings.add_item(
            made["meeting"], actor=None, text=text, due_on=due, owner_member_id=owner.pk
        )

    plan.at(start + timedelta(hours=1, minutes=order), add)
    summary.items += 1
    finish_at = _at(min(due, today - timedelta(days=1)), 16)
    if own:
        roll = rng.random()
        if roll < 0.6 and finish_at > start + timedelta(hours=3):
            outcome = rng.choice(OUTCOMES)
            plan.at(finish_at, lambda: meetings.finish_item(made[key], actor=None, outcome=outcome))
            summary.items_done += 1
        elif roll < 0.7 and finish_at > start + timedelta(hours=3):
            plan.at(
                finish_at,
                lambda: meetings.drop_item(made[key], actor=None, reason="与其他事项合并办理"),
            )
        return  # else still open (overdue once its day has passed)
    close = rng.random() < 0.7
    when = start + timedelta(days=1)

    def to_case() -> None:
        case = meetings.item_to_case(made[key], actor=None)
        summary.cases += 1
        unit = made["meeting"].council.unit
        if close and staff.close(case, unit, when + timedelta(hours=1), rng, today):
            summary.cases_closed += 1

    plan.at(when, to_case)


def _problems(
    council: Council,
    members: list[CouncilMember],
    rng: random.Random,
    day: date,
    today: date,
    staff: _Staff,
    summary: MeetingsSummary,
    plan: _Plan,
) -> None:
    for order, (title, text, own) in enumerate(rng.sample(PROBLEMS, rng.randint(1, 3))):
        raised_at = _at(day + timedelta(days=rng.randrange(0, 5)), rng.choice((9, 11, 16)))
        raised_at += timedelta(minutes=order)
        raiser, *others = rng.sample(members, k=min(len(members), rng.randint(1, 4)))
        made: dict[str, Problem] = {}

        def raise_it(t: str = title, x: str = text, by: CouncilMember = raiser, m=made) -> None:
            m["p"] = problems.raise_problem(council, actor=None, title=t, text=x, by=by)

        plan.at(raised_at, raise_it)
        summary.problems += 1
        for hours, other in enumerate(others, start=1):
            plan.at(
                raised_at + timedelta(hours=hours),
                lambda o=other, m=made: problems.share_problem(m["p"], actor=None, by=o),
            )
        decided = raised_at + timedelta(days=1)
        if decided.date() >= today:
            continue  # still raised, waiting for the council
        if own:
            deadline = decided.date() + timedelta(days=rng.randrange(5, 20))
            plan.at(
                decided,
                lambda d=deadline, m=made: problems.take_up_problem(
                    m["p"], actor=None, deadline=d, note="理事会协商"
                ),
            )
            if deadline < today and rng.random() < 0.7:
                outcome = rng.choice(OUTCOMES)
                plan.at(
                    _at(deadline - timedelta(days=1), 15),
                    lambda o=outcome, m=made: problems.solve_problem(m["p"], actor=None, outcome=o),
                )
            continue  # else handling (overdue once its deadline has passed)
        close = rng.random() < 0.6

        def whistle(m: dict[str, Problem] = made, at: datetime = decided, c: bool = close) -> None:
            case = problems.whistle_problem(
                m["p"], actor=None, note="超出理事会协调能力，请区里统筹"
            )
            summary.cases += 1
            if c and staff.close(case, council.unit, at + timedelta(hours=1), rng, today):
                summary.cases_closed += 1

        plan.at(decided, whistle)


class _Staff:
    """Who walks a council's case round the normal loop in the demo: the district's
    dispatcher and operator, the council unit's handler, its street's dispatcher."""

    def __init__(self) -> None:
        self.categories = list(
            Category.objects.filter(active=True, parent__isnull=False).order_by("code")[:30]
        )
        district = Unit.objects.filter(kind=UnitKind.DISTRICT).order_by("pk").first()
        self.dispatcher = self._one(district, Role.DISPATCHER)
        self.operator = self._one(district, Role.OPERATOR) or self.dispatcher

    @staticmethod
    def _one(unit: Unit | None, role: str) -> User | None:
        if unit is None:
            return None
        found = (
            Membership.objects.filter(unit=unit, role=role, active=True, user__is_active=True)
            .select_related("user")
            .order_by("pk")
            .first()
        )
        return found.user if found else None

    def close(
        self, case: Case, unit: Unit, start: datetime, rng: random.Random, today: date
    ) -> bool:
        """Triage, dispatch to the council's unit, acknowledge, resolve, verify and close
        ``case`` from ``start`` on, through the case's actions; False (the case left as it
        is) when someone is missing or the walk would reach today."""
        handler = self._one(unit, Role.HANDLER)
        verifier = self._one(unit.parent, Role.DISPATCHER) or self.dispatcher
        if None in (self.dispatcher, handler, verifier) or not self.categories:
            return False
        if start + timedelta(days=8) >= _at(today, 0):
            return False
        t = start
        steps = (
            (
                case_actions.triage_case,
                self.dispatcher,
                {"category": rng.choice(self.categories), "urgency": Urgency.NORMAL},
            ),
            (case_actions.dispatch_case, self.dispatcher, {"unit": unit}),
            (case_actions.acknowledge_case, handler, {}),
            (case_actions.resolve_case, handler, {"reply": "已会同相关部门处理完毕。"}),
            (case_actions.verify_case, verifier, {"passed": True}),
            (case_actions.close_case, self.operator, {}),
        )
        try:
            for step, actor, kwargs in steps:
                t += timedelta(hours=rng.uniform(1, 30))
                with clock.at(t):
                    case = step(case, actor=actor, **kwargs)
        except Refusal:
            return False  # left where the loop stopped it (the demo's rules said no)
        return True
