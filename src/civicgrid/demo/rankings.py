"""The demo's monthly rankings (月度榜单), after its year of history: a few appeals on
the last months' cases (some upheld, some rejected), then every past month whose
appeals have closed published by the district's leader on the day after they closed,
oldest first (so each month's "most improved" is against the month before as
published), and one month corrected, with its reason. All through the real actions,
with the clock set to each step's moment."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.utils import timezone

from civicgrid.cases import clock
from civicgrid.cases.models import Case, State
from civicgrid.errors import Refusal
from civicgrid.evaluation import actions as appeals
from civicgrid.evaluation import publishing
from civicgrid.evaluation.models import Ground
from civicgrid.evaluation.rankings import previous_month
from civicgrid.evaluation.selection import Period
from civicgrid.org.models import UnitKind, User

# Appeals on each of the last months' cases (the district upholds every other one).
APPEAL_MONTHS = 3
APPEALS_PER_MONTH = 4
REASONS = {
    Ground.NOT_OURS: "经现场核实，该处属于相邻社区辖区，不属于本单位职责范围。",
    Ground.UNREASONABLE: "诉求人要求拆除邻居依法审批的设施，超出政府职责和法律规定。",
    Ground.DUPLICATE: "与同一诉求人此前反映的工单内容完全重复，已在该工单中办理。",
}
CORRECTION = "部分工单的回访评价补录有误，经核实后重新计算发布。"


@dataclass
class RankingsSummary:
    appeals: int = 0
    upheld: int = 0
    published: list[str] = field(default_factory=list)
    corrected: list[str] = field(default_factory=list)


def _months(until: datetime) -> list[Period]:
    """The months of the history before ``until``'s, oldest first."""
    first = Case.objects.order_by("created_at").values_list("created_at", flat=True).first()
    if first is None:
        return []
    start = timezone.localtime(first).date()
    today = timezone.localtime(until).date()
    found, month = [], previous_month(Period.month(today.year, today.month))
    while month.end >= start:
        found.append(month)
        month = previous_month(month)
    return list(reversed(found))


def _appeal_month(
    rng: random.Random, month: Period, until: datetime, summary: RankingsSummary
) -> None:
    """A few of the month's closed cases appealed by their unit on the 2nd of the next
    month, decided by the district on the 4th: upheld and rejected in turn, so that a
    month with few candidates still has some of each over the months."""
    start, end = month.bounds()
    candidates = list(
        Case.objects.filter(created_at__gte=start, created_at__lt=end, state=State.CLOSED)
        .exclude(owner_unit__kind=UnitKind.DISTRICT)
        .filter(rating__lte=3)
        .select_related("owner_unit")
        .order_by("pk")[:200]
    )
    if not candidates:
        return
    by_name = {u.username: u for u in User.objects.filter(username__in=["district_dispatcher"])}
    decider = by_name.get("district_dispatcher")
    if decider is None:
        return
    appealed_at = datetime.combine(end.date() + timedelta(days=1), datetime.min.time())
    appealed_at = appealed_at.replace(hour=10, tzinfo=start.tzinfo)
    decided_at = appealed_at + timedelta(days=2)
    if decided_at > until:
        return
    grounds = list(REASONS)
    made = 0
    for i, case in enumerate(rng.sample(candidates, min(APPEALS_PER_MONTH, len(candidates)))):
        handler = User.objects.filter(username=f"h{case.owner_unit.code}".lower()).first()
        if handler is None:
            continue
        ground = grounds[i % len(grounds)]
        try:
            with clock.at(appealed_at + timedelta(minutes=i)):
                appeal = appeals.submit_appeal(
                    case, actor=handler, ground=ground, reason=REASONS[ground]
                )
            with clock.at(decided_at + timedelta(minutes=i)):
                if made % 2 == 0:
                    appeals.uphold_appeal(appeal, actor=decider, note="经核实，申诉理由成立。")
                    summary.upheld += 1
                else:
                    appeals.reject_appeal(
                        appeal, actor=decider, note="经核实，该工单属于本单位职责，申诉不予支持。"
                    )
        except Refusal:
            continue
        summary.appeals += 1
        made += 1


def publish_past_months(seed: int = 1, until: datetime | None = None) -> RankingsSummary:
    """Appeals, publications and a correction over the history (see the module)."""
    rng = random.Random(f"rankings {seed}")
    until = until or timezone.now()
    summary = RankingsSummary()
    leader = User.objects.filter(username="leader").first()
    if leader is None:
        return summary
    months = _months(until)
    for month in months[-APPEAL_MONTHS - 1 : -1]:
        _appeal_month(rng, month, until, summary)
    for month in months:
        at = publishing.appeals_close_at(month) + timedelta(hours=10)
        if at > until or publishing.published(month.key) is not None:
            continue
        try:
            with clock.at(at):
                publishing.publish_month(leader, month)
        except Refusal:
            continue
        summary.published.append(month.key)
    if len(summary.published) >= 3:
        month_key = summary.published[-3]
        month = next(m for m in months if m.key == month_key)
        at = publishing.appeals_close_at(month) + timedelta(days=3, hours=15)
        if at <= until:
            with clock.at(at):
                publishing.correct_month(leader, month, CORRECTION)
            summary.corrected.append(month_key)
    return summary
