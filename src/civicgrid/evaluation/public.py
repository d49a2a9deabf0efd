"""What the district publishes of a month: the public transparency page (``/public/``,
no login) and the monthly bulletin (月度通报) read it from here.

Figures and rankings come from the published snapshots only (``publishing.published``):
a month not published shows nothing of its figures, and a later change to its cases
changes nothing here. The category mix counts the month's published cases
(``Case.objects.published()``) by top-level category. The stories of resolved cases
pass through the privacy module (``privacy.publish``): the resident's name, phone
numbers and ID numbers masked, no address, nothing of a case whose resident asked to
keep their identity, never a person's name from the staff side.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Count
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from civicgrid.cases.models import Case, State
from civicgrid.evaluation.models import RankingSnapshot
from civicgrid.evaluation.publishing import published, published_months
from civicgrid.evaluation.rankings import COMMUNITIES, DEPARTMENTS, STREETS, parse_month
from civicgrid.privacy.publish import public_case, public_text, reply_needs_a_look

STORIES = 6
STORY_CHARS = 80
TOP_CATEGORIES = 10
RATES = ("response", "solved", "satisfaction")


def _percent(value: float | None) -> str:
    return "–" if value is None else f"{value * 100:.1f}%"


def _shown_row(row: dict[str, Any]) -> dict[str, Any]:
    figures = row.get("figures", {})
    return {
        "name": row["name"],
        "group": row.get("group"),
        "cases": row["cases"],
        "rates": [
            {
                "key": key,
                "text": _percent(row["rates"].get(key)),
                "of": figures.get(key, [None, None]),
            }
            for key in RATES
        ],
        "score": "–" if row["score"] is None else f"{row['score']:.1f}",
        "rank": row["rank"],
        "apart": row["apart"],
        "red": row["red"],
        "black": row["black"],
        "improved": row["improved"],
        "change": row.get("change"),
    }


@dataclass(frozen=True)
class Story:
    category: str
    unit: str
    asked: str
    done: str


@dataclass(frozen=True)
class MonthReport:
    month: str
    snapshot: RankingSnapshot
    lists: dict[str, list[dict[str, Any]]]
    categories: list[tuple[str, int, str]]  # (name, cases, share)
    total: int

    def marked(self, name: str, flag: str) -> list[dict[str, Any]]:
        return [r for r in self.lists[name] if r[flag]]


def months() -> list[str]:
    return published_months()


def chosen_month(value: str | None) -> str | None:
    """The month asked for (checked: ``2025-03``), else the latest published one."""
    if value:
        return parse_month(value).key
    found = published_months()
    return found[0] if found else None


def month_report(month: str) -> MonthReport | None:
    """A published month's figures and lists (its latest revision); None if unpublished."""
    snapshot = published(month)
    if snapshot is None:
        return None
    lists = {
        name: [_shown_row(r) for r in snapshot.lists.get(name, [])]
        for name in (STREETS, COMMUNITIES, DEPARTMENTS)
    }
    categories = category_mix(month)
    return MonthReport(month, snapshot, lists, categories, sum(n for _, n, _ in categories))


def _month_cases(month: str):  # type: ignore[no-untyped-def]
    start, end = parse_month(month).bounds()
    return Case.objects.published().filter(created_at__gte=start, created_at__lt=end)


def category_mix(month: str, top: int = TOP_CATEGORIES) -> list[tuple[str, int, str]]:
    """The month's published cases by top-level category, most first (the rest summed)."""
    rows = (
        _month_cases(month)
        .filter(category__isnull=False)
        .annotate(top=Coalesce("category__parent__name", "category__name"))
        .values("top")
        .annotate(n=Count("id"))
        .order_by("-n", "top")
    )
    counted = [(r["top"], r["n"]) for r in rows]
    total = sum(n for _, n in counted) or 1
    shown = counted[:top]
    rest = sum(n for _, n in counted[top:])
    if rest:
        shown.append((_("other categories"), rest))
    return [(name, n, f"{n * 100 / total:.1f}%") for name, n in shown]


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= STORY_CHARS else text[: STORY_CHARS - 1] + "…"


def stories(month: str, count: int = STORIES) -> list[Story]:
    """Resolved cases of the month told in a line each: what was asked and what was done,
    masked; never a case whose resident keeps their identity, nor a reply the reply
    check flagged as saying too little."""
    cases = (
        _month_cases(month)
        .filter(state=State.CLOSED, solved=True)
        .exclude(contact__hide_identity=True)
        .exclude(reply="")
        .select_related("contact", "category", "owner_unit")
        .order_by("-closed_at", "-pk")
    )
    found: list[Story] = []
    for case in cases[: count * 3]:
        resolve = case.events.filter(action="resolve").order_by("-seq").first()
        if resolve is not None and reply_needs_a_look(resolve.data.get("reply_check", {})):
            continue
        found.append(
            Story(
                category=case.category.name if case.category else "",
                unit=case.owner_unit.name if case.owner_unit else "",
                asked=_short(public_case(case).description),
                done=_short(public_text(case.reply, case)),
            )
        )
        if len(found) == count:
            break
    return found
