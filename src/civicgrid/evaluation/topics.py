"""每月一题 (the month's key problem): the district's command side picks one hot issue
of the month from the hot-issue board, and the monthly bulletin follows its cases.

``choose_topic`` is the one writer of ``MonthlyTopic``; ``topic_of`` and ``progress``
are what the bulletin and the board read. Who may choose: a dispatcher, leader or
administrator of the district, or a superuser (``permissions.may_decide``, the same
district side that decides appeals).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from civicgrid import inputs
from civicgrid.cases import clock
from civicgrid.cases.models import Case, State
from civicgrid.errors import Forbidden, Invalid
from civicgrid.evaluation.models import MonthlyTopic
from civicgrid.evaluation.permissions import may_decide
from civicgrid.org.models import User

MAX_REASON = 1000


def may_choose_topic(actor: User | None) -> bool:
    return may_decide(actor)


def check_chooser(actor: User | None) -> None:
    if not may_choose_topic(actor):
        raise Forbidden(
            _(
                "Only a dispatcher, leader or administrator of the district may choose "
                "the key problem of the month."
            )
        )


@transaction.atomic
def choose_topic(
    actor: User, month: str, cluster: dict[str, Any], *, reason: str = ""
) -> MonthlyTopic:
    """Make the hot issue ``cluster`` (a board's cluster: ``title``, ``label``, ``codes``)
    the key problem of ``month``. Refused: no right (403); a month not written
    ``2025-03``, a cluster without a title or without a case the actor may see (400)."""
    check_chooser(actor)
    year, number = inputs.month(month, "month")
    title = str(cluster.get("title") or "").strip()[:200]
    if not title:
        raise Invalid(_("Choose a hot issue."), field="cluster")
    codes = [str(c) for c in cluster.get("codes") or []]
    seen = set(
        Case.objects.visible_to(actor)
        .filter(tracking_code__in=codes)
        .values_list("tracking_code", flat=True)
    )
    kept = [c for c in codes if c in seen]
    if not kept:
        raise Invalid(_("This hot issue has no case you may see."), field="cluster")
    reason = str(reason or "").strip()
    if len(reason) > MAX_REASON:
        raise Invalid(
            _("The reason is longer than %(n)s characters.") % {"n": MAX_REASON},
            field="reason",
        )
    return MonthlyTopic.objects.create(
        month=f"{year:04d}-{number:02d}",
        title=title,
        label=str(cluster.get("label") or "")[:200],
        codes=kept,
        reason=reason,
        chosen_by=actor,
        chosen_at=clock.now(),
    )


def topic_of(month: str) -> MonthlyTopic | None:
    """The month's key problem: the latest choice, if any."""
    return (
        MonthlyTopic.objects.select_related("chosen_by")
        .filter(month=month)
        .order_by("-chosen_at", "-id")
        .first()
    )


@dataclass(frozen=True)
class Progress:
    total: int
    by_state: list[tuple[str, str, int]]  # (state, its label, cases), in the loop's order
    closed: int

    @property
    def open(self) -> int:
        return self.total - self.closed


DONE_STATES = frozenset({State.CLOSED, State.REJECTED, State.MERGED})


def progress(topic: MonthlyTopic) -> Progress:
    """How the topic's cases stand now: counts by state (figures, never a case's text)."""
    counts = Counter(
        Case.objects.filter(tracking_code__in=topic.codes).values_list("state", flat=True)
    )
    by_state = [(s.value, str(s.label), counts[s.value]) for s in State if counts[s.value]]
    closed = sum(n for s, n in counts.items() if s in DONE_STATES)
    return Progress(sum(counts.values()), by_state, closed)
