"""Keyset paging: a page is the rows after (or before) the last one seen, in an order
that an index serves, never "skip the first N" (OFFSET sorts and throws away N rows:
at a million cases a deep page took seconds).

An order is two fields, a timestamp and the id that breaks its ties, e.g.
``("-created_at", "-id")``. A cursor is the last row's key, ``"<iso time>~<id>"``
(the id may be left out: "as the list stood at that time").
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from django.db.models import Model, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from civicgrid.errors import Invalid

M = TypeVar("M", bound=Model)
Order = tuple[str, str]


@dataclass(frozen=True)
class Page(Generic[M]):
    items: list[M]
    next: str | None  # the cursor of the page after this one (older), if any
    previous: str | None  # the cursor of the page before it (newer), if any


def cursor_of(row: Model, order: Order) -> str:
    first, second = (name.lstrip("-") for name in order)
    at = getattr(row, first)
    return f"{at.isoformat()}~{getattr(row, second)}"


def parse_cursor(text: str) -> tuple[datetime, int | None]:
    """A cursor from a URL; a person who edited it hears what is wrong (400)."""
    at_text, _sep, pk_text = text.partition("~")
    try:
        at_text = at_text.strip()
        if "T" in at_text:  # a "+" of the time zone read from an unquoted URL as a space
            at_text = at_text.replace(" ", "+")
        at = datetime.fromisoformat(at_text)
        pk = int(pk_text) if pk_text else None
    except ValueError:
        raise Invalid(_("This page marker is not valid; start from the first page.")) from None
    if pk is not None and not 0 < pk < 2**63:
        raise Invalid(_("This page marker is not valid; start from the first page."))
    if timezone.is_naive(at):
        at = timezone.make_aware(at)
    return at, pk


def _beyond(order: Order, cursor: tuple[datetime, int | None], *, forward: bool) -> Q:
    """The rows past ``cursor`` in ``order`` (``forward``) or before it: as a range on the
    first field (which the index serves) and the tie broken by the second."""
    (first, second), (at, pk) = ((name.lstrip("-") for name in order), cursor)
    descending = order[0].startswith("-")
    later = descending != forward  # the rows we want have a greater first field
    strict, loose = ("gt", "gte") if later else ("lt", "lte")
    if pk is None:
        return Q(**{f"{first}__{strict}": at})
    return Q(**{f"{first}__{loose}": at}) & (
        Q(**{f"{first}__{strict}": at}) | Q(**{f"{second}__{strict}": pk})
    )


def keyset(
    rows: QuerySet[M],
    order: Order,
    *,
    before: str | None = None,
    after: str | None = None,
    size: int = 30,
) -> Page[M]:
    """One page of ``rows`` in ``order``: the first, the one past ``before`` (the next
    page's cursor), or the one before ``after`` (the previous page's)."""
    reverse = tuple(name[1:] if name.startswith("-") else f"-{name}" for name in order)
    if after:
        found = list(
            rows.filter(_beyond(order, parse_cursor(after), forward=False)).order_by(*reverse)[
                : size + 1
            ]
        )
        more_before = len(found) > size
        items = list(reversed(found[:size]))
        return Page(
            items,
            next=cursor_of(items[-1], order) if items else None,
            previous=cursor_of(items[0], order) if items and more_before else None,
        )
    query: Any = rows
    if before:
        query = rows.filter(_beyond(order, parse_cursor(before), forward=True))
    found = list(query.order_by(*order)[: size + 1])
    items = found[:size]
    return Page(
        items,
        next=cursor_of(items[-1], order) if len(found) > size else None,
        previous=cursor_of(items[0], order) if before and items else None,
    )
