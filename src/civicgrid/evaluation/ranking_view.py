"""A month's rankings as one viewer may see them: the published snapshot (a revision of
it) or the live computation, read by the console page, the API and the CLI alike.

Who sees what: the people who see indicators (``selection.check_role``: leaders,
dispatchers, handlers, administrators; 403 for others). A **published** month is public
(the transparency page shows it), so every row of it is shown. A **live** computation is
the month's figures as they stand: each row only to those whose scope holds its unit
(``Unit.objects.visible_to``), the district seeing all; ranks stay the district's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from civicgrid.errors import Invalid, NotFound
from civicgrid.evaluation import publishing
from civicgrid.evaluation import rankings as rk
from civicgrid.evaluation.models import RankingSnapshot
from civicgrid.evaluation.selection import Period, check_role
from civicgrid.org.models import Unit, User
from civicgrid.org.scoping import Scope

LIVE = "live"
PUBLISHED = "published"


@dataclass
class RankingView:
    month: Period
    status: str  # LIVE or PUBLISHED
    terms: rk.Terms
    computed_at: datetime
    lists: dict[str, list[dict[str, Any]]]
    snapshot: RankingSnapshot | None = None
    revisions: list[RankingSnapshot] = field(default_factory=list)
    # the unit codes the viewer may open (drill down to their cases)
    visible: frozenset[str] = frozenset()
    # live rows left out: units outside the viewer's scope
    hidden: int = 0

    @property
    def published(self) -> bool:
        return self.status == PUBLISHED

    @property
    def latest(self) -> RankingSnapshot | None:
        return self.revisions[-1] if self.revisions else None


def visible_codes(user: User | Scope) -> frozenset[str] | None:
    """The codes of the ranked units the viewer may see; None: all of them."""
    scope = check_role(user)
    if scope.reach.everywhere:
        return None
    return frozenset(
        Unit.objects.visible_to(user)
        .filter(kind__in=[k for kinds in rk.LIST_KINDS.values() for k in kinds])
        .values_list("code", flat=True)
    )


def ranking_for(
    user: User | Scope,
    month: Period,
    *,
    revision: int | None = None,
    live: bool = False,
) -> RankingView:
    """The month as ``user`` may see it: its published revision (``revision``, default
    the latest) unless ``live`` or not published, then computed now. Refused: 403 (a
    role without figures), 404 (no such revision), 400 (a month not begun)."""
    codes = visible_codes(user)
    everything = frozenset(
        Unit.objects.filter(
            kind__in=[k for kinds in rk.LIST_KINDS.values() for k in kinds]
        ).values_list("code", flat=True)
    )
    visible = everything if codes is None else codes
    revisions = publishing.revisions(month.key)
    if month.start > timezone.localdate():
        raise Invalid(_("%(month)s has not begun yet.") % {"month": month.key}, field="month")
    if revision is not None:
        snapshot = next((s for s in revisions if s.revision == revision), None)
        if snapshot is None:
            raise NotFound(
                _("%(month)s has no published revision %(n)s.")
                % {"month": month.key, "n": revision}
            )
    else:
        snapshot = None if live or not revisions else revisions[-1]
    if snapshot is not None:
        return RankingView(
            month=month,
            status=PUBLISHED,
            terms=rk.Terms.from_json(snapshot.policy),
            computed_at=snapshot.computed_at,
            lists=snapshot.lists,
            snapshot=snapshot,
            revisions=revisions,
            visible=visible,
        )
    ranking = rk.compute(month)
    lists, hidden = ranking.lists, 0
    if codes is not None:
        lists = {name: [r for r in rows if r["unit"] in codes] for name, rows in lists.items()}
        hidden = sum(len(rows) for rows in ranking.lists.values()) - sum(
            len(rows) for rows in lists.values()
        )
    return RankingView(
        month=month,
        status=LIVE,
        terms=ranking.terms,
        computed_at=ranking.computed_at,
        lists=lists,
        revisions=revisions,
        visible=visible,
        hidden=hidden,
    )
