"""The appeals list, for the console page and the API alike: scoped by
``Appeal.objects.visible_to`` and paged by key in an order an index serves."""

from __future__ import annotations

from civicgrid.cases.paging import Order, Page, keyset
from civicgrid.errors import Invalid
from civicgrid.evaluation.models import Appeal, AppealState
from civicgrid.org.models import User

NEWEST_FIRST: Order = ("-submitted_at", "-id")
# The district's queue: the longest waiting first (index ``appeals_pending``).
OLDEST_FIRST: Order = ("submitted_at", "id")


def page(
    user: User,
    state: str | None,
    *,
    before: str | None = None,
    after: str | None = None,
    size: int = 30,
) -> Page[Appeal]:
    """One page of the appeals ``user`` may see, of one ``state`` or all."""
    rows = Appeal.objects.visible_to(user).select_related(
        "case", "unit", "submitted_by", "decided_by"
    )
    order = NEWEST_FIRST
    if state:
        if state not in AppealState.values:
            raise Invalid(_unknown_state())
        rows = rows.filter(state=state)
        if state == AppealState.SUBMITTED:
            order = OLDEST_FIRST
    return keyset(rows, order, before=before, after=after, size=size)


def _unknown_state() -> str:
    from django.utils.translation import gettext as _

    return _("Unknown appeal state.")
