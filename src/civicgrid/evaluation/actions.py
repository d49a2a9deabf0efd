"""Every change to an appeal (申诉): one function per transition, the only writers of
``Appeal`` rows, their ``AppealEvent`` log and a case's ``excluded_by_appeal``.

Each takes an explicit ``actor`` and, in one transaction: locks the row (the case for a
new appeal, the appeal for a decision), refuses an actor without the right (403,
``permissions.check_right``), refuses what the state does not allow (409), refuses
missing input (400), then writes the change and exactly one ``AppealEvent``. Evidence
photos are checked by content at the surface (``cases.photos.check_photos``) and
stored as the case's photos, staged until the commit (``photos.stage``).
"""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from civicgrid.cases import clock
from civicgrid.cases.models import Case, Photo, State
from civicgrid.cases.photos import MAX_PHOTOS, CheckedPhoto, discard_on_failure, stage
from civicgrid.cases.rules import need_text
from civicgrid.errors import Conflict, Invalid, NotFound
from civicgrid.evaluation.models import Appeal, AppealAction, AppealEvent, AppealState, Ground
from civicgrid.evaluation.permissions import check_right, possible
from civicgrid.org.models import User

GROUNDS = frozenset(Ground.values)


def appeal_closes_at(created_at: datetime) -> datetime:
    """The end of the appeals for a case submitted at ``created_at`` (month M): the end
    of day ``APPEAL_DAYS_AFTER_MONTH`` of month M+1, in the district's time zone."""
    tz = timezone.get_default_timezone()
    local = timezone.localtime(created_at, tz)
    year, month = (local.year + 1, 1) if local.month == 12 else (local.year, local.month + 1)
    days = max(0, min(settings.APPEAL_DAYS_AFTER_MONTH, calendar.monthrange(year, month)[1]))
    start = datetime.combine(local.date().replace(year=year, month=month, day=1), time(), tz)
    return start + timedelta(days=days)


def last_day_to_appeal(created_at: datetime) -> date:
    """The last date (local) on which a case submitted at ``created_at`` may be appealed."""
    return timezone.localtime(appeal_closes_at(created_at) - timedelta(microseconds=1)).date()


def _write(
    appeal: Appeal,
    action: str,
    actor: User,
    at: datetime,
    from_state: str,
    note: str = "",
    data: dict[str, Any] | None = None,
) -> AppealEvent:
    appeal.version += 1
    appeal.save()
    return AppealEvent.objects.create(
        appeal=appeal,
        seq=appeal.version,
        action=action,
        actor=actor,
        at=at,
        from_state=from_state,
        to_state=appeal.state,
        note=note,
        data=data or {},
    )


def submit_appeal(
    case: Case,
    *,
    actor: User,
    ground: str,
    reason: str,
    evidence: Sequence[CheckedPhoto] = (),
) -> Appeal:
    """申诉: the case's owner unit asks the district to leave the case out of its figures,
    on a ``ground``, with a ``reason`` and photos as ``evidence``; accepted until the
    case's month closes (``appeal_closes_at``)."""
    now = clock.now()
    with discard_on_failure(), transaction.atomic():
        # The case's row is the lock: two appeals on one case wait for each other.
        fresh = (
            Case.objects.select_for_update().select_related("owner_unit").filter(pk=case.pk).first()
        )
        if fresh is None:
            raise NotFound(_("The case does not exist."))
        check_right(None, fresh.owner_unit, AppealAction.SUBMIT, actor)
        if fresh.state in (State.REJECTED, State.MERGED):
            raise Conflict(_("This case counts in no figure: there is nothing to appeal."))
        if fresh.excluded_by_appeal:
            raise Conflict(_("An appeal on this case has already been upheld."))
        if Appeal.objects.filter(case=fresh, state=AppealState.SUBMITTED).exists():
            raise Conflict(
                _("This case already has an appeal waiting for the district's decision.")
            )
        closes = appeal_closes_at(fresh.created_at)
        if now >= closes:
            raise Conflict(
                _("Appeals for this case's month closed on %(date)s; it can no longer be appealed.")
                % {"date": last_day_to_appeal(fresh.created_at).isoformat()}
            )
        if ground not in GROUNDS:
            raise Invalid(_("Choose the ground of the appeal."))
        reason = need_text(reason, _("An appeal needs a reason."))
        if len(evidence) > MAX_PHOTOS:
            raise Invalid(_("At most %(n)s photos.") % {"n": MAX_PHOTOS})
        rows = stage(fresh, evidence, added_by=actor)
        Photo.objects.bulk_create(rows)
        appeal = Appeal(
            case=fresh,
            unit=fresh.owner_unit,
            ground=ground,
            reason=reason,
            evidence=[row.name for row in rows],
            state=AppealState.SUBMITTED,
            submitted_by=actor,
            submitted_at=now,
        )
        try:
            with transaction.atomic():
                _write(
                    appeal,
                    AppealAction.SUBMIT,
                    actor,
                    now,
                    "",
                    note=reason,
                    data={"ground": ground, "evidence": appeal.evidence},
                )
        except IntegrityError:
            raise Conflict(
                _("This case already has an appeal waiting for the district's decision.")
            ) from None
    return appeal


def _locked(appeal: Appeal) -> Appeal:
    fresh = Appeal.objects.select_for_update().select_related("unit").filter(pk=appeal.pk).first()
    if fresh is None:
        raise NotFound(_("The appeal does not exist."))
    return fresh


def _decide(appeal: Appeal, action: str, to_state: str, actor: User, note: str) -> Appeal:
    now = clock.now()
    with transaction.atomic():
        fresh = _locked(appeal)
        check_right(fresh, fresh.unit, action, actor)
        refusal = possible(action, fresh)
        if refusal is not None:
            raise refusal
        if action == AppealAction.REJECT:
            note = need_text(note, _("Say why the appeal is rejected."))
        from_state = fresh.state
        fresh.state = to_state
        fresh.decided_by = actor
        fresh.decided_at = now
        fresh.decision_note = (note or "").strip()
        _write(fresh, action, actor, now, from_state, note=fresh.decision_note)
        if to_state == AppealState.UPHELD:
            # Derived from this event, written with it: the figures read the case's column.
            Case.objects.filter(pk=fresh.case_id).update(excluded_by_appeal=True)
    return fresh


def uphold_appeal(appeal: Appeal, *, actor: User, note: str = "") -> Appeal:
    """维持申诉: the district agrees; the case leaves every figure from now on."""
    return _decide(appeal, AppealAction.UPHOLD, AppealState.UPHELD, actor, note)


def reject_appeal(appeal: Appeal, *, actor: User, note: str) -> Appeal:
    """驳回申诉: the district disagrees, and says why; the case keeps counting."""
    return _decide(appeal, AppealAction.REJECT, AppealState.REJECTED, actor, note)


def withdraw_appeal(appeal: Appeal, *, actor: User) -> Appeal:
    """撤回申诉: the appealing unit takes its appeal back while it waits."""
    now = clock.now()
    with transaction.atomic():
        fresh = _locked(appeal)
        check_right(fresh, fresh.unit, AppealAction.WITHDRAW, actor)
        refusal = possible(AppealAction.WITHDRAW, fresh)
        if refusal is not None:
            raise refusal
        from_state = fresh.state
        fresh.state = AppealState.WITHDRAWN
        _write(fresh, AppealAction.WITHDRAW, actor, now, from_state)
    return fresh
