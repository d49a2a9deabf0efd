"""Reading conventions and their scoring: who may see which period and which layer of
its scores, a period's sheet, its published results, and the district's ranking of
councils by their latest published period. Writers are in ``councils.scoring``.

What a person sees: the council's officers and staff over it see every period and every
layer as it is being scored; a member sees the periods once published (their council's
totals and red and black lists), and, while a period is open, their own scores. A
council the person may not see is a 404 before any of this (``Council.objects.visible_to``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import OuterRef, QuerySet, Subquery

from civicgrid.councils import terms as t
from civicgrid.councils.convention_models import (
    Convention,
    InspectionPhoto,
    PeriodState,
    Score,
    ScoringPeriod,
    Signature,
)
from civicgrid.councils.models import Council, CouncilAction, CouncilMember
from civicgrid.councils.permissions import Standing
from civicgrid.errors import NotFound
from civicgrid.org.models import User


def runs_scoring(standing: Standing) -> bool:
    """Officers and staff: they see every period and every layer while it is scored."""
    return standing.may(CouncilAction.RATE_PERIOD)


def convention_of(council: Council) -> Convention | None:
    return Convention.objects.filter(council=council).first()


def terms_of(convention: Convention | ScoringPeriod) -> t.Terms:
    return t.parse(convention.terms)


def has_signed(convention: Convention, member: CouncilMember | None) -> bool:
    if member is None:
        return False
    return Signature.objects.filter(
        convention=convention, member=member, version=convention.version
    ).exists()


def signatures(convention: Convention) -> dict[int, Signature]:
    """The current version's signatures, by member."""
    return {
        s.member_id: s
        for s in Signature.objects.filter(convention=convention, version=convention.version)
    }


def periods_for(council: Council, standing: Standing) -> QuerySet[ScoringPeriod]:
    """The periods a person may see of ``council``: all (officers, staff) or those
    published and those they are scored in (a member)."""
    periods = ScoringPeriod.objects.filter(council=council).order_by("-starts_on", "-pk")
    if runs_scoring(standing):
        return periods
    if standing.seat is None:
        return periods.none()
    mine = Score.objects.filter(member=standing.seat).values("period_id")
    return periods.filter(state=PeriodState.PUBLISHED) | periods.filter(pk__in=mine)


def period_for(council: Council, standing: Standing, pk: int) -> ScoringPeriod:
    found = periods_for(council, standing).filter(pk=pk).first()
    if found is None:
        raise NotFound(_no_period())
    return found


def _no_period() -> str:
    from django.utils.translation import gettext as _

    return _("No such scoring period that you may see.")


@dataclass
class Cell:
    indicator: t.Indicator
    score: Score
    photos: list[InspectionPhoto]

    @property
    def shown(self) -> int | None:
        """The points as they stand: final, else inspected, else self-assessed."""
        for value in (self.score.final_points, self.score.inspected_points, self.score.self_points):
            if value is not None:
                return value
        return None


@dataclass
class Row:
    member: CouncilMember
    cells: list[Cell]

    @property
    def assessed(self) -> bool:
        return all(c.score.self_points is not None for c in self.cells)

    @property
    def self_total(self) -> int | None:
        if not self.assessed:
            return None
        return sum(c.score.self_points or 0 for c in self.cells)

    @property
    def total(self) -> int | None:
        if any(c.score.final_points is None for c in self.cells):
            return None
        return sum(c.score.final_points or 0 for c in self.cells)


def sheet(period: ScoringPeriod, standing: Standing) -> list[Row]:
    """The period's scores by member (each member's cells in the terms' order): every
    member's for officers and staff, and for a member their own until it is published,
    everyone's after (three queries)."""
    terms = terms_of(period)
    scores = Score.objects.filter(period=period).select_related("member")
    if not runs_scoring(standing) and period.state != PeriodState.PUBLISHED:
        scores = scores.filter(member=standing.seat) if standing.seat else scores.none()
    photos: dict[int, list[InspectionPhoto]] = {}
    for photo in InspectionPhoto.objects.filter(score__period=period):
        photos.setdefault(photo.score_id, []).append(photo)
    by_member: dict[int, dict[str, Score]] = {}
    members: dict[int, CouncilMember] = {}
    for score in scores:
        by_member.setdefault(score.member_id, {})[score.indicator] = score
        members[score.member_id] = score.member
    rows = []
    for member_id, found in by_member.items():
        cells = [
            Cell(i, found[i.key], photos.get(found[i.key].pk, []))
            for i in terms.indicators
            if i.key in found
        ]
        rows.append(Row(members[member_id], cells))
    rows.sort(key=lambda r: (r.member.name, r.member.pk))
    return rows


@dataclass(frozen=True)
class Standings:
    """A rated period's results as people read them."""

    members: list[dict[str, Any]]  # ranked: member, name, total, breaches, points
    red: list[dict[str, Any]]
    black: list[dict[str, Any]]
    average: float | None
    max: int


def standings(period: ScoringPeriod) -> Standings | None:
    """The totals and the red and black lists (None before it is rated)."""
    if period.state not in (PeriodState.RATED, PeriodState.PUBLISHED) or not period.results:
        return None
    found = period.results
    by_id = {m["member"]: m for m in found["members"]}
    return Standings(
        members=found["members"],
        red=[by_id[i] for i in found["red"]],
        black=[by_id[i] for i in found["black"]],
        average=found["average"],
        max=found["max"],
    )


def photo_for(council: Council, standing: Standing, name: str) -> InspectionPhoto:
    """An inspection photo the person may see: officers and staff all of the council's;
    a member those of their own scores, and all once the period is published."""
    photo = (
        InspectionPhoto.objects.filter(name=name, score__period__council=council)
        .select_related("score__period")
        .first()
    )
    if photo is None:
        raise NotFound(_no_period())
    if runs_scoring(standing):
        return photo
    if photo.score.period.state == PeriodState.PUBLISHED or (
        standing.seat is not None and photo.score.member_id == standing.seat.pk
    ):
        return photo
    raise NotFound(_no_period())


# --- the district's ranking of councils -------------------------------------------------------


@dataclass(frozen=True)
class Ranked:
    rank: int
    council: Council
    period: ScoringPeriod
    average: float


def rankings(user: User, *, limit: int | None = None) -> list[Ranked]:
    """Councils the person may see, ranked by their latest published period's average
    score (out of 100); councils without a published period are left out. Ties share a
    rank."""
    latest = (
        ScoringPeriod.objects.filter(
            council=OuterRef("pk"), state=PeriodState.PUBLISHED, average__isnull=False
        )
        .order_by("-ends_on", "-pk")
        .values("pk")[:1]
    )
    ids = (
        Council.objects.visible_to(user)
        .annotate(latest=Subquery(latest))
        .filter(latest__isnull=False)
        .values_list("latest", flat=True)
    )
    periods = list(
        ScoringPeriod.objects.filter(pk__in=list(ids))
        .select_related("council__unit")
        .order_by("-average", "council__name")
    )
    found: list[Ranked] = []
    for n, period in enumerate(periods, start=1):
        assert period.average is not None
        rank = found[-1].rank if found and found[-1].average == period.average else n
        found.append(Ranked(rank, period.council, period, period.average))
    return found[:limit] if limit is not None else found
