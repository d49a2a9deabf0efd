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

from civicgrid import inputs
from civicgrid.errors import Invalid

M = TypeVar("M", bound=Model)
Order = tuple[str, str]


@dataclass(frozen=True)
class Page(Generic[M]):
    items: list[M]
    next: str | None  # the cursor of the page after this one (older), if any
    previous: str | None  # the cursor of the page before it (newer), if any


def parse_cursor(text: str, field: str = "before") -> tuple[datetime, int | None]:
    """A cursor from a URL (the parameter ``field``); a person who edited it hears what is
    wrong (400): a time in the years ``inputs.moment`` takes, an id ``inputs.whole_number``
    takes."""
    at_text, _sep, pk_text = text.partition("~")
    try:
        at_text = at_text.strip()
        if "T" in at_text:  # a "+" of the time zone read from an unquoted URL as a space
            at_text = at_text.replace(" ", "+")
        at = inputs.moment(datetime.fromisoformat(at_text), field)
        pk = inputs.whole_number(pk_text, field, 1, inputs.ID_MAX) if pk_text else None
    except (ValueError, Invalid):
        raise Invalid(
            _("This page marker is not valid; start from the first page."),
            field=field,
            kind="cursor",
        ) from None
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
    page's cursor), or the one before ``after`` (the previous page's).

    Keys first, rows second: the page's ids are found in the order's index without
    the joins ``rows`` may carry (a join planned before the sort would join every
    candidate row), then those rows are read by id."""
    first, second = (name.lstrip("-") for name in order)
    backwards = bool(after)
    if after:
        reverse = tuple(name[1:] if name.startswith("-") else f"-{name}" for name in order)
        mark = parse_cursor(after, "after")
        query = rows.filter(_beyond(order, mark, forward=False)).order_by(*reverse)
    elif before:
        mark = parse_cursor(before, "before")
        query = rows.filter(_beyond(order, mark, forward=True)).order_by(*order)
    else:
        query = rows.order_by(*order)
    keys = list(query.values_list("pk", first, second)[: size + 1])
    more = len(keys) > size
    keys = keys[:size]
    if backwards:
        keys.reverse()
    found = rows.in_bulk([pk for pk, _first, _second in keys])
    items = [found[pk] for pk, _first, _second in keys if pk in found]

    def cursor(key: tuple[Any, Any, Any]) -> str:
        return f"{key[1].isoformat()}~{key[2]}"

    if backwards:
        return Page(
            items,
            next=cursor(keys[-1]) if keys else None,
            previous=cursor(keys[0]) if keys and more else None,
        )
    return Page(
        items,
        next=cursor(keys[-1]) if more else None,
        previous=cursor(keys[0]) if before and keys else None,
    )
