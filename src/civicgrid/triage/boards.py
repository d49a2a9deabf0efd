"""The hot-issue boards: computed by the worker, read by the page.

Clustering a month of a district's cases takes seconds, so no page does it. A board
(``HotBoard``: a unit's cases over 30 or 90 days) is made the first time someone
opens it and computed by the worker at once (``tasks.refresh_hot_boards``); each
deadline sweep has it recomputed once it is older than ``HOT_BOARD_INTERVAL_S``,
while people keep looking at it (a board nobody opened for ``STALE_AFTER`` is
dropped). The page shows the latest result and when it was computed.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from civicgrid.cases.models import Case, State, Urgency
from civicgrid.cases.permissions import RULES
from civicgrid.org.models import Unit
from civicgrid.org.scoping import Scope
from civicgrid.triage.models import HotBoard

WINDOWS = (30, 90)
# A board's growth compares its last week (30 days) or month (90 days) with the one
# before. Over the whole 30 days of a 30-day board, nothing came before: every
# cluster read 增长 1.0.
GROWTH_DAYS = {30: 7, 90: 30}
STALE_AFTER = timedelta(days=7)
SEVERITY = {Urgency.NORMAL: 1.0, Urgency.URGENT: 2.0, Urgency.EMERGENCY: 3.0}
ESCALATABLE = RULES["escalate"].states
MAX_ITEMS = 8000  # the newest cases of the window a board clusters


def clusters_of(unit: Unit, days: int, now: datetime) -> list[dict[str, Any]]:
    """Hot issues among ``unit``'s cases (as its people see them) of the last ``days``."""
    # The clustering (numpy, scipy) is imported here, where boards are computed, not
    # by every worker that only asks whether a board is due (each sweep does).
    from civicgrid.triage.hot import Item, hot_issues

    cases = Case.objects.visible_to(Scope(paths=(unit.path,), roles=frozenset()))
    rows = (
        cases.filter(created_at__gte=now - timedelta(days=days))
        .exclude(state__in=(State.MERGED, State.REJECTED))
        .order_by("-created_at", "-id")
        .values_list(
            "pk",
            "title",
            "text",
            "created_at",
            "lon",
            "lat",
            "grid__code",
            "contact__phone",
            "urgency",
            "tracking_code",
            "state",
            "escalations",
        )[:MAX_ITEMS]
    )
    items, codes, movable, escalated = [], {}, set(), set()
    for pk, title, text, at, lon, lat, grid, phone, urgency, code, state, escalations in rows:
        items.append(
            Item(
                id=pk,
                title=title,
                text=text[:600],
                at=at,
                lon=lon,
                lat=lat,
                place=grid,
                residents=phone or None,
                severity=SEVERITY.get(urgency, 1.0),
            )
        )
        codes[pk] = code
        if escalations:
            escalated.add(pk)
        elif state in ESCALATABLE:
            movable.add(pk)
    found = hot_issues(
        items,
        now=now,
        window_days=min(days, 30),
        growth_days=GROWTH_DAYS.get(days, min(days, 30)),
        top=20,
    )
    return [
        {
            "title": c.title,
            "label": c.label,
            "heat": round(c.heat, 1),
            "size": c.size,
            "residents": c.parts.residents,
            "growth": round(c.parts.growth, 2),
            "lon": c.lon,
            "lat": c.lat,
            "first_at": c.first_at.isoformat(),
            "last_at": c.last_at.isoformat(),
            "codes": [codes[i] for i in c.member_ids],
            # The cases one click would move: dispatched and not yet escalated (not
            # those waiting for triage, done, or already a tier up).
            "open": [codes[i] for i in c.member_ids if i in movable],
            "escalated": sum(1 for i in c.member_ids if i in escalated),
        }
        for c in found
    ]


def board_for(unit: Unit, days: int) -> HotBoard:
    """The board of ``unit`` over ``days`` (made, empty, if nobody opened it before: the
    worker fills it), marked as viewed now."""
    now = timezone.now()
    board = HotBoard.objects.filter(unit=unit, days=days).first()
    if board is None:
        try:
            with transaction.atomic():
                board = HotBoard.objects.create(unit=unit, days=days, viewed_at=now)
        except IntegrityError:  # opened at the same moment by someone else
            board = HotBoard.objects.get(unit=unit, days=days)
    elif board.viewed_at is None or now - board.viewed_at > timedelta(minutes=1):
        HotBoard.objects.filter(pk=board.pk).update(viewed_at=now)
    return board


def due(now: datetime | None = None) -> bool:
    """Whether a board waits for its first computation or is older than the interval."""
    now = now or timezone.now()
    stale = now - timedelta(seconds=settings.HOT_BOARD_INTERVAL_S)
    return HotBoard.objects.filter(Q(computed_at__isnull=True) | Q(computed_at__lt=stale)).exists()


def refresh(boards: list[HotBoard] | None = None, now: datetime | None = None) -> int:
    """Compute ``boards`` (by default every board someone looked at lately; the others
    are dropped); returns how many were computed."""
    now = now or timezone.now()
    HotBoard.objects.filter(viewed_at__lt=now - STALE_AFTER).delete()
    if boards is None:
        boards = list(HotBoard.objects.select_related("unit"))
    for board in boards:
        clusters = clusters_of(board.unit, board.days, now)
        HotBoard.objects.filter(pk=board.pk).update(clusters=clusters, computed_at=now)
    return len(boards)


def note_escalated(codes: set[str]) -> None:
    """Cases just escalated from a board are no longer offered for escalation on any
    board that lists them (until the next computation says so itself)."""
    for board in HotBoard.objects.all():
        changed = False
        for cluster in board.clusters:
            moved = [code for code in cluster["open"] if code in codes]
            if moved:
                cluster["open"] = [code for code in cluster["open"] if code not in codes]
                cluster["escalated"] += len(moved)
                changed = True
        if changed:
            HotBoard.objects.filter(pk=board.pk).update(clusters=board.clusters)


def shown(board: HotBoard) -> list[dict[str, Any]]:
    """A board's clusters as the page draws them (times as times again)."""
    return [
        {
            **c,
            "first_at": datetime.fromisoformat(c["first_at"]),
            "last_at": datetime.fromisoformat(c["last_at"]),
        }
        for c in board.clusters
    ]
