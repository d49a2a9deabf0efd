"""The window's complaints a person may see, a page at a time (keyset, newest first):
the office's queue, a department's share of it, an enterprise's own; the open ones or
all. One reader for the queue page and the API."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from civicgrid.cases.models import OPEN_STATES
from civicgrid.cases.paging import Page, keyset
from civicgrid.enterprise.models import Complaint
from civicgrid.errors import Invalid
from civicgrid.org.models import User

NEWEST_FIRST = ("-created_at", "-id")
OPEN = "open"
ALL = "all"
TABS = {OPEN: gettext_lazy("open"), ALL: gettext_lazy("all")}


def page(
    user: User,
    which: str = OPEN,
    *,
    before: str | None = None,
    after: str | None = None,
    size: int = 30,
) -> Page[Complaint]:
    """One page of the complaints ``user`` may see: the open ones (their case not yet
    closed, rejected or merged) or all."""
    if which not in TABS:
        raise Invalid(_("Complaints are open or all."), field="which")
    rows = Complaint.objects.visible_to(user).select_related(
        "case", "case__owner_unit", "enterprise", "accountable"
    )
    if which == OPEN:
        rows = rows.filter(case__state__in=sorted(OPEN_STATES))
    return keyset(rows, NEWEST_FIRST, before=before, after=after, size=size)
