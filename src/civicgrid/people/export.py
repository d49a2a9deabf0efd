"""Excel workbooks of the grids' people: a roster week (排班表: one row per duty,
phones masked) and the grid calls a person may see (一呼百应台账: one row per call, one
per claim, names whole only for staff over the call's grid)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from openpyxl import Workbook

from civicgrid.cases.models import mask_phone
from civicgrid.people.call_models import CallClaim, ClaimState, GridCall, masked_name
from civicgrid.people.models import Roster
from civicgrid.sheets import as_bytes, headed

# Calls in one workbook at most, the newest (the sheet says when more were left out).
CALL_LIMIT = 5000

WEEKDAYS = ("一", "二", "三", "四", "五", "六", "日")


def filename(roster: Roster) -> str:
    return f"roster-{roster.unit.code}-{roster.week:%Y-%m-%d}.xlsx"


def roster_workbook(roster: Roster) -> bytes:
    """The week's duties, in the order of their days and hours."""
    book = Workbook()
    sheet = book.active
    sheet.title = f"{roster.week:%Y-%m-%d}"
    headers = [
        _("day"),
        _("weekday"),
        _("starts"),
        _("ends"),
        _("unit served"),
        _("name"),
        _("phone"),
        _("state"),
        pgettext("duty", "checked in at"),
        _("in the unit served"),
        _("reason for absence"),
    ]
    headed(
        sheet,
        f"{roster.unit.name} · {_('duty roster')} · {roster.week:%Y-%m-%d}",
        headers,
        (12, 6, 7, 7, 22, 10, 14, 8, 10, 10, 24),
    )
    duties = roster.duties.select_related("person", "unit", "check_in").order_by(
        "day", "starts", "pk"
    )
    for duty in duties:
        check = getattr(duty, "check_in", None)
        sheet.append(
            [
                duty.day,
                f"周{WEEKDAYS[duty.day.weekday()]}",
                duty.starts.strftime("%H:%M"),
                duty.ends.strftime("%H:%M"),
                duty.unit.name,
                duty.person.name,
                mask_phone(duty.person.phone) if duty.person.phone else "",
                str(duty.get_state_display()),
                timezone.localtime(check.at).strftime("%H:%M") if check else "",
                (_("yes") if check.in_place else _("no")) if check else "",
                duty.absence_reason,
            ]
        )
    return as_bytes(book)


def calls_filename() -> str:
    return f"grid-calls-{timezone.localdate():%Y-%m-%d}.xlsx"


def _local(moment: datetime | None) -> datetime | None:
    # (Excel keeps no time zone: the district's local time, as the pages show it)
    return timezone.localtime(moment).replace(tzinfo=None) if moment else None


def calls_workbook(found: QuerySet[GridCall], names_shown: Callable[[GridCall], bool]) -> bytes:
    """``found`` (already scoped to the reader), newest first, up to ``CALL_LIMIT``: a
    sheet of calls (people wanted, claimed, done, hours, points, the case it came from)
    and one of their claims; a helper's name whole where ``names_shown(call)``, else
    masked (王**)."""
    taken = (ClaimState.CLAIMED, ClaimState.DONE)
    rows = list(
        found.select_related("grid", "case", "called_by")
        .annotate(
            taken=Count("claims", filter=Q(claims__state__in=taken)),
            done=Count("claims", filter=Q(claims__state=ClaimState.DONE)),
        )
        .order_by("-created_at", "-pk")[: CALL_LIMIT + 1]
    )
    book = Workbook()
    sheet = book.active
    sheet.title = _("grid calls")
    headed(
        sheet,
        f"{_('Grid calls')} · {timezone.localdate():%Y-%m-%d}",
        [
            _("created at"),
            _("grid"),
            _("title"),
            _("state"),
            _("people wanted"),
            _("claimed"),
            _("done"),
            _("service hours"),
            _("points"),
            _("people reached"),
            _("case"),
            _("called by"),
        ],
        (17, 16, 28, 8, 8, 8, 8, 8, 8, 8, 14, 12),
    )
    claims_sheet = book.create_sheet(_("claims"))
    headed(
        claims_sheet,
        _("Claims of grid calls"),
        [_("grid call"), _("person"), _("state"), _("claimed at"), _("done at"), _("report")],
        (28, 10, 8, 17, 17, 40),
    )
    shown = rows[:CALL_LIMIT]
    whole: dict[int, bool] = {}
    for call in shown:
        sheet.append(
            [
                _local(call.created_at),
                call.grid.name,
                call.title,
                str(call.get_state_display()),
                call.wanted,
                call.taken,  # type: ignore[attr-defined]
                call.done,  # type: ignore[attr-defined]
                call.hours,
                call.points,
                call.reached,
                call.case.tracking_code if call.case else "",
                call.called_by.display_name if call.called_by else "",
            ]
        )
        if call.grid_id not in whole:  # (asked once per grid)
            whole[call.grid_id] = names_shown(call)
    by_call = {c.pk: c for c in shown}
    claims = (
        CallClaim.objects.filter(call__in=list(by_call))
        .select_related("person")
        .order_by("call__created_at", "call_id", "claimed_at", "pk")
    )
    for claim in claims:
        call = by_call[claim.call_id]
        name = claim.person.name
        claims_sheet.append(
            [
                call.title,
                name if whole[call.grid_id] else masked_name(name),
                str(claim.get_state_display()),
                _local(claim.claimed_at),
                _local(claim.done_at),
                claim.report,
            ]
        )
    if len(rows) > CALL_LIMIT:
        sheet.append([_("Only the newest %(n)s calls are listed.") % {"n": CALL_LIMIT}])
    return as_bytes(book)
