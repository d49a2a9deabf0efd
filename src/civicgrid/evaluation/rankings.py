"""Monthly rankings (月度榜单): three lists of a month, computed from the indicators.

A month's rankings are one pass of the indicators' aggregate (``indicators.tally``) over
the month's cases, grouped by owner unit, and one over its whistle tasks, rolled up to
every street/town, community and department as the indicators' table rolls them up (a
unit's figures include those of the units below it). Nothing here computes a rate a
second way: the rates are the indicators' ``Figure.value``.

Each list ranks its units on a **composite score**: the district's weights
(``RankingPolicy``: response 20, solved 40, satisfaction 40 by default) times the
unit's rates, out of 100. The rules, shown on the page as ``SCORE_RULE`` and
``LIST_RULE``:

* a rate without a denominator (no case to judge it on) is left out and the other
  weights are scaled up to 100; a unit with none of the three rates has no score;
* a unit with fewer counted cases than the policy's minimum volume, or without a
  score, is **listed apart** (单列): shown with its figures, never ranked;
* rank: 1 + the number of units with a higher score (equal scores share a rank);
* red list (红榜): the top ``red_size`` ranked units; black list (黑榜): the bottom
  ``black_size``, never a unit listed apart, never a unit on the red list nor one
  scoring as well as the red list's last; when a list has fewer units than both lists
  together, each takes at most half (the red list the odd one);
* most improved (进步最快): the ``improved_size`` ranked units whose score rose most
  since the month before (its published score if it is published, else computed now).

Communities are ranked within their street: each street's communities are a group with
its own ranks and red, black and improved lists.

``compute`` returns a ``Ranking`` whose ``as_json`` is what a published snapshot freezes
(``evaluation.publishing``); the page, the API, the export and the CLI read rows of that
one shape, live or published.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from civicgrid import inputs
from civicgrid.cases.models import TASKS_COPY_OF_CASE, Case, WhistleTask
from civicgrid.evaluation import hours
from civicgrid.evaluation import indicators as ind
from civicgrid.evaluation.models import RankingPolicy
from civicgrid.evaluation.selection import Period, UnitRow
from civicgrid.org.models import COMMUNITY_KINDS, STREET_KINDS, Unit, UnitKind

STREETS = "streets"
COMMUNITIES = "communities"
DEPARTMENTS = "departments"
LISTS = (STREETS, COMMUNITIES, DEPARTMENTS)
LIST_LABELS = {
    STREETS: gettext_lazy("streets and towns"),
    COMMUNITIES: gettext_lazy("communities within each street"),
    DEPARTMENTS: gettext_lazy("departments"),
}
LIST_KINDS = {
    STREETS: frozenset(STREET_KINDS),
    COMMUNITIES: frozenset(COMMUNITY_KINDS),
    DEPARTMENTS: frozenset({UnitKind.DEPARTMENT}),
}
# The rates the composite score weighs, in the policy's order.
SCORED = ("response", "solved", "satisfaction")
# Every indicator's numerator and denominator is frozen with a row: its inputs.
ALL_FIGURES = ind.INDICATOR_KEYS
SCORE_DIGITS = 4
RATE_DIGITS = 6

SCORE_RULE = gettext_lazy(
    "Composite score = the weighted mean of the response, solved and satisfaction rates, "
    "out of 100; a rate without a denominator (no case to judge it on) is left out and "
    "the other weights are scaled up to 100, and a unit with none of the three has no "
    "score and is listed apart."
)
LIST_RULE = gettext_lazy(
    "A unit with fewer counted cases than the minimum volume is listed apart and not "
    "ranked. Equal scores share a rank. The black list never holds a unit listed apart "
    "or one on the red list; with few units, each list takes at most half of them. Most "
    "improved: the largest rise in score since the month before."
)


def parse_month(value: Any, field_name: str = "month") -> Period:
    """A month from outside (``2025-03``, ASCII digits only): refused (400) otherwise."""
    year, month = inputs.month(value, field_name)
    return Period.month(year, month)


def previous_month(period: Period) -> Period:
    before = period.start - timedelta(days=1)
    return Period.month(before.year, before.month)


@dataclass(frozen=True)
class Terms:
    """The policy as the computation reads it (and a snapshot keeps)."""

    weights: dict[str, int]
    min_volume: int
    red_size: int
    black_size: int
    improved_size: int

    @classmethod
    def of(cls, policy: RankingPolicy) -> Terms:
        return cls(
            weights={
                "response": policy.weight_response,
                "solved": policy.weight_solved,
                "satisfaction": policy.weight_satisfaction,
            },
            min_volume=policy.min_volume,
            red_size=policy.red_size,
            black_size=policy.black_size,
            improved_size=policy.improved_size,
        )

    @classmethod
    def current(cls) -> Terms:
        return cls.of(RankingPolicy.current())

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Terms:
        return cls(
            weights={k: int(data["weights"][k]) for k in SCORED},
            min_volume=int(data["min_volume"]),
            red_size=int(data["red_size"]),
            black_size=int(data["black_size"]),
            improved_size=int(data["improved_size"]),
        )

    def as_json(self) -> dict[str, Any]:
        return {
            "weights": dict(self.weights),
            "min_volume": self.min_volume,
            "red_size": self.red_size,
            "black_size": self.black_size,
            "improved_size": self.improved_size,
        }


def score(rates: dict[str, float | None], weights: dict[str, int]) -> float | None:
    """The composite score out of 100: the weighted mean of the rates there are (a rate
    without a denominator is left out, the other weights scaled up); None without any."""
    weighed = [(weights[k], rates[k]) for k in SCORED if rates.get(k) is not None and weights[k]]
    total = sum(w for w, _r in weighed)
    if not total:
        return None
    return round(100 * sum(w * r for w, r in weighed if r is not None) / total, SCORE_DIGITS)


def _rate(figure: ind.Figure) -> float | None:
    value = figure.value
    return None if value is None else round(value, RATE_DIGITS)


@dataclass
class Ranking:
    """A month's three lists, as computed at ``computed_at`` under ``terms``."""

    month: str
    computed_at: datetime
    terms: Terms
    # where the month before's scores came from: {"month", "revision" (None: computed)}
    previous: dict[str, Any]
    lists: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        """The lists as a snapshot stores them (a JSON round trip: what is read back)."""
        return json.loads(json.dumps(self.lists))


def _row(unit: UnitRow, figures: ind.Figures, terms: Terms, group: str | None) -> dict[str, Any]:
    rates = {k: _rate(figures[k]) for k in SCORED}
    found = score(rates, terms.weights)
    apart = None
    if figures.cases < terms.min_volume:
        apart = "volume"
    elif found is None:
        apart = "no_rate"
    return {
        "unit": unit.code,
        "name": unit.name,
        "kind": unit.kind,
        "group": group,
        "cases": figures.cases,
        "excluded": dict(figures.excluded),
        "figures": {k: [figures[k].numerator, figures[k].denominator] for k in ALL_FIGURES},
        "rates": rates,
        "score": found,
        "apart": apart is not None,
        "apart_reason": apart,
        "rank": None,
        "previous_score": None,
        "change": None,
        "red": False,
        "black": False,
        "improved": False,
    }


def rank_group(rows: list[dict[str, Any]], terms: Terms, previous: dict[str, float]) -> None:
    """Ranks, red, black and most improved within one group of rows (in place)."""
    for row in rows:
        before = previous.get(row["unit"])
        row["previous_score"] = before
        if before is not None and row["score"] is not None:
            row["change"] = round(row["score"] - before, SCORE_DIGITS)
    ranked = sorted((r for r in rows if not r["apart"]), key=lambda r: (-r["score"], r["unit"]))
    for row in ranked:
        row["rank"] = 1 + sum(1 for other in ranked if other["score"] > row["score"])
    count = len(ranked)
    red_n, black_n = terms.red_size, terms.black_size
    if red_n + black_n > count:
        red_n, black_n = min(red_n, (count + 1) // 2), min(black_n, count // 2)
    red = ranked[:red_n]
    for row in red:
        row["red"] = True
    lowest_red = min((r["score"] for r in red), default=None)
    for row in ranked[count - black_n :] if black_n else []:
        if not row["red"] and (lowest_red is None or row["score"] < lowest_red):
            row["black"] = True
    risen = sorted(
        (r for r in ranked if r["change"] is not None and r["change"] > 0),
        key=lambda r: (-r["change"], r["unit"]),
    )
    for row in risen[: terms.improved_size]:
        row["improved"] = True


def _order(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Ranked rows by rank, then those listed apart (by cases, most first)."""
    return sorted(
        rows,
        key=lambda r: (
            r["group"] or "",
            r["apart"],
            r["rank"] if r["rank"] is not None else 0,
            -r["cases"],
            r["unit"],
        ),
    )


def figures_by_unit(period: Period, at: datetime) -> tuple[list[UnitRow], dict[int, ind.Figures]]:
    """Every unit, and each unit's figures over its subtree for the month: one query of
    cases grouped by owner unit and one of whistle tasks grouped by department (the
    indicators' own aggregate), rolled up here."""
    start, end = period.bounds()
    # the cases' stored working seconds are summed while they are on the current calendar
    stored = hours.ensure_table(period.start, max(period.end, timezone.localdate()))
    cases = Case.objects.filter(created_at__gte=start, created_at__lt=end)
    # (by the tasks' copy of their case's submission time: joining the month's cases
    # to find its tasks read every case of the month a second time)
    received = TASKS_COPY_OF_CASE["created_at"]
    tasks = WhistleTask.objects.filter(**{f"{received}__gte": start, f"{received}__lt": end})
    by_case = ind.tally(cases, ind.CASE, at, "owner_unit_id", stored=stored)
    by_task = ind.tally(tasks, ind.TASK, at, "department_id")
    units = UnitRow.read(Unit.objects.all())
    raw = ind.per_unit(by_case, by_task)
    listed = LIST_KINDS[STREETS] | LIST_KINDS[COMMUNITIES] | LIST_KINDS[DEPARTMENTS]
    heads = [u for u in units if u.kind in listed]
    summed = ind.roll_up(heads, raw, {u.pk: u.path for u in units if u.pk in raw})
    rolled = {u.pk: summed[u.path] for u in heads}
    return units, rolled


def _shown(unit: UnitRow, figures: ind.Figures) -> bool:
    """An inactive unit is listed only for a month it had cases in."""
    return unit.active or figures.cases > 0 or any(figures.excluded.values())


def compute(
    month: Period,
    *,
    at: datetime | None = None,
    terms: Terms | None = None,
    previous: dict[str, dict[str, float]] | None = None,
    previous_source: dict[str, Any] | None = None,
) -> Ranking:
    """The month's three lists as of ``at`` (default now) under ``terms`` (default the
    district's policy). ``previous``: the month before's scores by list and unit code
    (default: its latest published revision, or computed now under the same terms)."""
    at = at or timezone.now()
    terms = terms or Terms.current()
    if previous is None:
        previous, previous_source = previous_scores(month, at=at, terms=terms)
    units, rolled = figures_by_unit(month, at)
    by_pk = {u.pk: u for u in units}
    lists: dict[str, list[dict[str, Any]]] = {}
    for name in LISTS:
        rows = []
        for unit in units:
            if unit.kind not in LIST_KINDS[name] or not _shown(unit, rolled[unit.pk]):
                continue
            group = None
            if name == COMMUNITIES:
                parent = by_pk.get(unit.parent_id) if unit.parent_id else None
                group = parent.code if parent is not None else ""
            rows.append(_row(unit, rolled[unit.pk], terms, group))
        groups: dict[str | None, list[dict[str, Any]]] = {}
        for row in rows:
            groups.setdefault(row["group"], []).append(row)
        for members in groups.values():
            rank_group(members, terms, previous.get(name, {}))
        lists[name] = _order(rows)
    return Ranking(
        month=month.key,
        computed_at=at,
        terms=terms,
        previous=previous_source or {"month": previous_month(month).key, "revision": None},
        lists=lists,
    )


def scores_of(lists: dict[str, list[dict[str, Any]]]) -> dict[str, dict[str, float]]:
    return {
        name: {r["unit"]: r["score"] for r in rows if r["score"] is not None and not r["apart"]}
        for name, rows in lists.items()
    }


def previous_scores(
    month: Period, *, at: datetime, terms: Terms, revision: int | None = None
) -> tuple[dict[str, dict[str, float]], dict[str, Any]]:
    """The month before's scores (by list and unit) and where they came from: its
    published revision (``revision``, default the latest), or computed now under
    ``terms`` when it is not published. A unit listed apart that month has no score to
    rise from."""
    from civicgrid.evaluation.models import RankingSnapshot

    before = previous_month(month)
    snapshots = RankingSnapshot.objects.filter(month=before.key)
    if revision is not None:
        snapshots = snapshots.filter(revision=revision)
    snapshot = snapshots.order_by("-revision").first()
    if snapshot is not None:
        return scores_of(snapshot.lists), {"month": before.key, "revision": snapshot.revision}
    if revision is not None:
        raise LookupError(before.key)
    computed = compute(before, at=at, terms=terms, previous={}, previous_source={})
    return scores_of(computed.lists), {"month": before.key, "revision": None}


def red_list(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [r for r in rows if r["red"]]


def black_list(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [r for r in rows if r["black"]]


def most_improved(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted((r for r in rows if r["improved"]), key=lambda r: (-r["change"], r["unit"]))


def describe_apart(row: dict[str, Any], terms: Terms) -> str:
    """Why a row is listed apart, in words."""
    if row["apart_reason"] == "volume":
        return _("fewer than %(n)s cases") % {"n": terms.min_volume}
    if row["apart_reason"] == "no_rate":
        return _("no rate to score")
    return ""
