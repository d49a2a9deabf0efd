"""A roster week as an Excel workbook (排班表): one row per duty, phones masked."""

from __future__ import annotations

from io import BytesIO

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from openpyxl import Workbook
from openpyxl.styles import Font

from civicgrid.cases.models import mask_phone
from civicgrid.people.models import Roster

WEEKDAYS = ("一", "二", "三", "四", "五", "六", "日")


def filename(roster: Roster) -> str:
    return f"roster-{roster.unit.code}-{roster.week:%Y-%m-%d}.xlsx"


def roster_workbook(roster: Roster) -> bytes:
    """The week's duties, in the order of their days and hours."""
    book = Workbook()
    sheet = book.active
    sheet.title = f"{roster.week:%Y-%m-%d}"
    sheet.append([f"{roster.unit.name} · {_('duty roster')} · {roster.week:%Y-%m-%d}"])
    sheet["A1"].font = Font(bold=True, size=13)
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
    sheet.append(headers)
    for cell in sheet[2]:
        cell.font = Font(bold=True)
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
    for column, width in zip("ABCDEFGHIJK", (12, 6, 7, 7, 22, 10, 14, 8, 10, 10, 24), strict=True):
        sheet.column_dimensions[column].width = width
    out = BytesIO()
    book.save(out)
    return out.getvalue()
