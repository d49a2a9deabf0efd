"""A filtered queue as an Excel workbook (openpyxl): the same cases as the page shows,
in its order, within the viewer's scope, with Chinese (the user's language) headers.

At most ``ROW_LIMIT`` cases: a longer list is refused with a sentence saying so (the
page states the limit), never cut short without a word. Residents' phone numbers are
masked unless the viewer may know the resident (``permissions.known_residents``); the
whole numbers written are logged as reveals (``actions.log_contact_reveals``), and a
name kept from the handlers stays withheld from them.
"""

from __future__ import annotations

from collections.abc import Iterable
from io import BytesIO
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from civicgrid.cases import actions
from civicgrid.cases.models import Case, mask_phone
from civicgrid.cases.paging import keyset
from civicgrid.cases.permissions import known_residents
from civicgrid.cases.search import Sort
from civicgrid.errors import Invalid
from civicgrid.org.models import User

ROW_LIMIT = 5000


def headers() -> list[str]:
    return [
        _("tracking code"),
        _("title"),
        _("description"),
        _("category"),
        _("tier"),
        _("urgency"),
        _("channel"),
        _("owner unit"),
        _("grid"),
        _("state"),
        _("submitted at"),
        _("due"),
        _("resolved at"),
        _("address"),
        _("contact"),
        _("phone"),
    ]


def rows_for(cases: QuerySet[Case], sort: Sort, *, kept: Q | None = None) -> list[Case]:
    """The cases of the list in its order (by key, a page of ``ROW_LIMIT`` + 1 to know
    whether there are more), or the refusal when there are more than ``ROW_LIMIT``.
    ``kept``: the search's conditions (``search.narrowing``), for the keys alone, as in
    the list (``paging.keyset``)."""
    page = keyset(
        cases.select_related("owner_unit", "category", "grid", "contact"),
        sort.order,
        size=ROW_LIMIT,
        nullable=sort.nullable,
        kept=kept,
    )
    if page.next:
        raise Invalid(
            _(
                "The list holds more than %(n)s cases, more than one export takes: narrow "
                "it down (a unit, a category, dates) and export again."
            )
            % {"n": ROW_LIMIT},
            kind="too_many_rows",
        )
    return page.items


def _local(moment: Any) -> Any:
    # (Excel has no time zones: the district's local time, as the pages show it)
    return timezone.localtime(moment).replace(tzinfo=None) if moment else None


def workbook(cases: list[Case], user: User) -> bytes:
    """``cases`` as an .xlsx file; whole phone numbers (logged) only where ``user``
    may know the resident."""
    known = known_residents(user)
    revealed: set[int] = set()
    if known is not None and cases:
        revealed = set(
            Case.objects.filter(Q(pk__in=[c.pk for c in cases]) & known).values_list(
                "pk", flat=True
            )
        )
    book = Workbook(write_only=True)
    sheet = book.create_sheet(_("cases"))
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    top = []
    for title in headers():
        cell = WriteOnlyCell(sheet, value=title)
        cell.font = bold
        top.append(cell)
    sheet.append(top)
    for case in cases:
        sheet.append(_row(case, whole_number=case.pk in revealed))
    if revealed:
        actions.log_contact_reveals(
            [c for c in cases if c.pk in revealed],
            actor=user,
            reason=_("Exported to Excel"),
        )
    out = BytesIO()
    book.save(out)
    return out.getvalue()


def _row(case: Case, *, whole_number: bool) -> Iterable[Any]:
    contact = getattr(case, "contact", None)
    name = phone = ""
    if contact is not None:
        name = contact.name if (whole_number or not contact.hide_identity) else _("(withheld)")
        if contact.phone:
            phone = contact.phone if whole_number else mask_phone(contact.phone)
    return [
        case.tracking_code,
        case.title,
        case.text,
        case.category.name if case.category else "",
        case.get_tier_display() if case.tier else "",
        case.get_urgency_display(),
        case.get_channel_display(),
        case.owner_unit.name,
        case.grid.name if case.grid else "",
        case.get_state_display(),
        _local(case.created_at),
        _local(case.due_at),
        _local(case.resolved_at),
        case.address,
        name,
        phone,
    ]


def filename() -> str:
    return _("cases-%(at)s.xlsx") % {"at": timezone.localtime().strftime("%Y%m%d-%H%M")}
