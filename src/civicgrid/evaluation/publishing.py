"""Publishing the monthly rankings (发布月度榜单): the only writers of ``RankingSnapshot``,
``RankingEvent`` and ``RankingPolicy``, one function per change, and the readers other
surfaces use (the public page, the monthly bulletin): ``published``, ``revisions``,
``published_months``.

Publishing freezes a month: every row of the three lists, with its figures, their
inputs (numerators and denominators) and the policy used, is stored as it was computed,
and whatever happens to the month's cases afterwards (a late rating, a back-dated fix)
changes no published figure. A correction is a new revision with its reason; earlier
revisions stay readable. ``verify`` recomputes a published revision from the cases, at
the moment and under the policy it was computed with, and says what differs.

Who may: a leader or administrator of the district (a role held at the top of the
tree), or a superuser. Refused in this order: no right (403), then the month (409): the
current or a future month, undecided appeals on its cases, the appeals not yet closed
(unless ``early``), already published (publish) or not yet (correct).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from civicgrid import inputs
from civicgrid.cases import clock
from civicgrid.cases.rules import need_text
from civicgrid.errors import Conflict, Forbidden, Invalid
from civicgrid.evaluation.actions import appeal_closes_at, last_day_to_appeal
from civicgrid.evaluation.models import (
    Appeal,
    AppealState,
    RankingAction,
    RankingEvent,
    RankingPolicy,
    RankingSnapshot,
)
from civicgrid.evaluation.rankings import (
    SCORED,
    Ranking,
    Terms,
    compute,
    previous_month,
    previous_scores,
    scores_of,
)
from civicgrid.evaluation.selection import Period
from civicgrid.org.models import Role, User
from civicgrid.org.scoping import scope_of

PUBLISHERS = (Role.LEADER, Role.ADMIN)
POLICY_FIELDS = (
    "weight_response",
    "weight_solved",
    "weight_satisfaction",
    "min_volume",
    "red_size",
    "black_size",
    "improved_size",
)
POLICY_RANGES = {
    "weight_response": (0, 100),
    "weight_solved": (0, 100),
    "weight_satisfaction": (0, 100),
    "min_volume": (0, 100000),
    "red_size": (0, 20),
    "black_size": (0, 20),
    "improved_size": (0, 20),
}


# --- who may -------------------------------------------------------------------------------


def may_publish(actor: User | None) -> bool:
    """A leader or administrator of the district (a grant at the top of the tree), or a
    superuser: those who publish the rankings and set their policy."""
    if actor is None or not actor.is_authenticated:
        return False
    scope = scope_of(actor)
    if scope.everything:
        return True
    return any(path.count("/") == 1 and role in PUBLISHERS for path, role in scope.grants)


def check_publisher(actor: User | None) -> None:
    if not may_publish(actor):
        raise Forbidden(
            _("Only a leader or administrator of the district may publish the rankings.")
        )


# --- reading what was published ---------------------------------------------------------------


def published(month: str, revision: int | None = None) -> RankingSnapshot | None:
    """A published month: its latest revision, or ``revision``; None if there is none."""
    rows = RankingSnapshot.objects.select_related("published_by").filter(month=month)
    if revision is not None:
        rows = rows.filter(revision=revision)
    return rows.order_by("-revision").first()


def revisions(month: str) -> list[RankingSnapshot]:
    """Every published revision of a month, the first first."""
    return list(
        RankingSnapshot.objects.select_related("published_by")
        .filter(month=month)
        .order_by("revision")
    )


def published_months() -> list[str]:
    """The months published at least once, newest first (``2025-03``)."""
    return list(
        RankingSnapshot.objects.order_by("-month").values_list("month", flat=True).distinct()
    )


def events(month: str | None = None) -> list[RankingEvent]:
    """The log of a month's publications (or of every change), newest first."""
    rows = RankingEvent.objects.select_related("actor")
    if month is not None:
        rows = rows.filter(month=month)
    return list(rows.order_by("-at", "-id"))


# --- the checks before a month is frozen -------------------------------------------------------


def _month_over(period: Period, now: datetime) -> None:
    if period.end >= timezone.localdate(now):
        raise Conflict(
            _("%(month)s has not ended yet; only a past month can be published.")
            % {"month": period.key}
        )


def undecided_appeals(period: Period) -> int:
    start, end = period.bounds()
    return Appeal.objects.filter(
        state=AppealState.SUBMITTED, case__created_at__gte=start, case__created_at__lt=end
    ).count()


def _appeals_decided(period: Period) -> None:
    waiting = undecided_appeals(period)
    if waiting:
        raise Conflict(
            _(
                "%(n)s appeal(s) on %(month)s's cases still wait for the district's "
                "decision; decide them first."
            )
            % {"n": waiting, "month": period.key}
        )


def appeals_close_at(period: Period) -> datetime:
    """When the appeals on a month's cases close (the same rule as ``submit_appeal``)."""
    return appeal_closes_at(period.bounds()[0])


def _appeals_closed(period: Period, now: datetime, early: bool) -> None:
    if not early and now < appeals_close_at(period):
        raise Conflict(
            _(
                "Appeals on %(month)s's cases are open until %(date)s; publish after that, "
                "or publish early."
            )
            % {"month": period.key, "date": last_day_to_appeal(period.bounds()[0]).isoformat()}
        )


def _freeze(
    actor: User, period: Period, revision: int, now: datetime, *, reason: str, early: bool
) -> RankingSnapshot:
    ranking = compute(period, at=now)
    snapshot = RankingSnapshot(
        month=period.key,
        revision=revision,
        published_at=now,
        published_by=actor,
        reason=reason,
        early=early,
        computed_at=now,
        policy={**ranking.terms.as_json(), "previous": ranking.previous},
        lists=ranking.as_json(),
    )
    try:
        with transaction.atomic():
            snapshot.save()
    except IntegrityError:
        raise Conflict(
            _("%(month)s was published by someone else a moment ago; reload and look again.")
            % {"month": period.key}
        ) from None
    action = RankingAction.PUBLISH if revision == 1 else RankingAction.CORRECT
    RankingEvent.objects.create(
        action=action,
        month=period.key,
        revision=revision,
        actor=actor,
        at=now,
        note=reason,
        data={"early": early, "snapshot": snapshot.pk},
    )
    return snapshot


def publish_month(actor: User, month: Period, *, early: bool = False) -> RankingSnapshot:
    """发布: freeze ``month``'s rankings as its first revision. ``early``: before the
    appeals on its cases close (every appeal must still be decided)."""
    now = clock.now()
    with transaction.atomic():
        check_publisher(actor)
        _month_over(month, now)
        if RankingSnapshot.objects.filter(month=month.key).exists():
            raise Conflict(
                _("%(month)s is already published; publish a correction instead.")
                % {"month": month.key}
            )
        _appeals_decided(month)
        _appeals_closed(month, now, early)
        return _freeze(actor, month, 1, now, reason="", early=early)


def correct_month(actor: User, month: Period, reason: str) -> RankingSnapshot:
    """更正: publish ``month`` again, recomputed now, as a new revision with its
    ``reason``; the earlier revisions stay as they were."""
    now = clock.now()
    with transaction.atomic():
        check_publisher(actor)
        latest = published(month.key)
        if latest is None:
            raise Conflict(
                _("%(month)s has not been published; there is nothing to correct.")
                % {"month": month.key}
            )
        reason = need_text(reason, _("A correction needs its reason."))
        _appeals_decided(month)
        return _freeze(actor, month, latest.revision + 1, now, reason=reason, early=False)


# --- the policy ------------------------------------------------------------------------------


def weights_problem(weights: list[int]) -> str | None:
    """Why these weights cannot be the policy's, or None: they add up to 100."""
    if sum(weights) != 100:
        return _("The three weights must add up to 100 (now %(n)s).") % {"n": sum(weights)}
    return None


def change_policy(actor: User, **values: Any) -> RankingPolicy:
    """Change the district's ranking policy (any of ``POLICY_FIELDS``); logged with the
    values before and after. Published months keep the policy they were computed with."""
    now = clock.now()
    unknown = set(values) - set(POLICY_FIELDS)
    with transaction.atomic():
        check_publisher(actor)
        if unknown:
            raise Invalid(_("Unknown setting: %(name)s") % {"name": sorted(unknown)[0]})
        checked = {
            name: inputs.whole_number(value, name, *POLICY_RANGES[name])
            for name, value in values.items()
        }
        RankingPolicy.objects.get_or_create(pk=1)
        policy = RankingPolicy.objects.select_for_update().get(pk=1)
        before = {name: getattr(policy, name) for name in POLICY_FIELDS}
        for name, value in checked.items():
            setattr(policy, name, value)
        problem = weights_problem([getattr(policy, f"weight_{k}") for k in SCORED])
        if problem:
            raise Invalid(problem, field="weight_response", kind="weights")
        policy.save()
        after = {name: getattr(policy, name) for name in POLICY_FIELDS}
        RankingEvent.objects.create(
            action=RankingAction.POLICY,
            actor=actor,
            at=now,
            data={"before": before, "after": after},
        )
    return policy


# --- recomputing what was published -------------------------------------------------------------


@dataclass(frozen=True)
class Verification:
    """A published revision against a recomputation from the cases."""

    month: str
    revision: int
    same: bool
    differences: list[str]


def recompute(snapshot: RankingSnapshot) -> Ranking:
    """The snapshot's month computed again from the cases, at the moment and under the
    policy it was computed with, against the same scores of the month before."""
    period = Period.month(int(snapshot.month[:4]), int(snapshot.month[5:]))
    terms = Terms.from_json(snapshot.policy)
    source = snapshot.policy.get("previous") or {}
    at = snapshot.computed_at
    if source.get("revision") is not None:
        previous, source = previous_scores(
            period, at=at, terms=terms, revision=int(source["revision"])
        )
    else:
        before = compute(
            previous_month(period), at=at, terms=terms, previous={}, previous_source={}
        )
        previous = scores_of(before.lists)
    return compute(period, at=at, terms=terms, previous=previous, previous_source=source)


def verify(month: str, revision: int | None = None) -> Verification:
    """Recompute a published month (its latest revision, or ``revision``) and compare
    every row; ``LookupError`` when it is not published."""
    snapshot = published(month, revision)
    if snapshot is None:
        raise LookupError(month)
    again = recompute(snapshot).as_json()
    differences = []
    for name in sorted(set(snapshot.lists) | set(again)):
        kept = {r["unit"]: r for r in snapshot.lists.get(name, [])}
        now = {r["unit"]: r for r in again.get(name, [])}
        for code in sorted(set(kept) | set(now)):
            if kept.get(code) != now.get(code):
                changed = sorted(
                    key
                    for key in set(kept.get(code, {})) | set(now.get(code, {}))
                    if kept.get(code, {}).get(key) != now.get(code, {}).get(key)
                )
                differences.append(f"{name} {code}: {', '.join(changed)}")
    return Verification(month, snapshot.revision, not differences, differences)
