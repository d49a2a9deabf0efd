"""Keyset paging: a page is the rows after (or before) the last one seen, in an order
that an index serves, never "skip the first N" (OFFSET sorts and throws away N rows:
at a million cases a deep page took seconds).

An order is two fields, a timestamp (or a whole number: a category's or a unit's id)
and the id that breaks its ties, e.g. ``("-created_at", "-id")``. A cursor is the last
row's key, ``"<iso time>~<id>"`` (the id may be left out: "as the list stood at that
time"), ``"<number>~<id>"``, or ``"~<id>"`` for a row whose first field is empty: a
nullable first field (a deadline, a category) is paged with its empty rows last.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from django.db import connections
from django.db.models import DateTimeField, F, Model, Q, QuerySet
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


Key = datetime | int | None


def parse_cursor(
    text: str, field: str = "before", *, numeric: bool = False, nullable: bool = False
) -> tuple[Key, int | None]:
    """A cursor from a URL (the parameter ``field``); a person who edited it hears what is
    wrong (400): a time in the years ``inputs.moment`` takes (a whole number for a
    ``numeric`` order; nothing, with an id, for the empty rows of a ``nullable`` one), an
    id ``inputs.whole_number`` takes."""
    at_text, _sep, pk_text = text.partition("~")
    at: Key
    try:
        at_text = at_text.strip()
        pk = inputs.whole_number(pk_text, field, 1, inputs.ID_MAX) if pk_text else None
        if not at_text and nullable and pk is not None:
            return None, pk
        if numeric:
            return inputs.whole_number(at_text, field, 0, inputs.ID_MAX), pk
        if "T" in at_text:  # a "+" of the time zone read from an unquoted URL as a space
            at_text = at_text.replace(" ", "+")
        at = inputs.moment(datetime.fromisoformat(at_text), field)
    except (ValueError, Invalid):
        raise Invalid(
            _("This page marker is not valid; start from the first page."),
            field=field,
            kind="cursor",
        ) from None
    if timezone.is_naive(at):
        at = timezone.make_aware(at)
    return at, pk


def _beyond(
    order: Order, cursor: tuple[Key, int | None], *, forward: bool, nullable: bool = False
) -> Q:
    """The rows past ``cursor`` in ``order`` (``forward``) or before it: as a range on the
    first field (which the index serves) and the tie broken by the second. A
    ``nullable`` first field's empty rows come last, in the order of the second."""
    (first, second), (at, pk) = ((name.lstrip("-") for name in order), cursor)
    descending = order[0].startswith("-")
    later = descending != forward  # the rows we want have a greater first field
    strict, loose = ("gt", "gte") if later else ("lt", "lte")
    if nullable and at is None:
        empty_after = Q(**{f"{first}__isnull": True, f"{second}__{strict}": pk})
        return empty_after if forward else Q(**{f"{first}__isnull": False}) | empty_after
    if pk is None:
        return Q(**{f"{first}__{strict}": at})
    found = Q(**{f"{first}__{loose}": at}) & (
        Q(**{f"{first}__{strict}": at}) | Q(**{f"{second}__{strict}": pk})
    )
    if nullable and forward:
        found |= Q(**{f"{first}__isnull": True})
    return found


def _ordering(order: Order, *, nullable: bool) -> list[Any]:
    """``order`` for ``order_by``: a ``nullable`` first field with its empty rows last."""
    if not nullable:
        return list(order)
    name = order[0].lstrip("-")
    first = (
        F(name).desc(nulls_last=True) if order[0].startswith("-") else F(name).asc(nulls_last=True)
    )
    return [first, order[1]]


def _reversed(order: Order) -> Order:
    first, second = (name[1:] if name.startswith("-") else f"-{name}" for name in order)
    return first, second


def keyset(
    rows: QuerySet[M],
    order: Order,
    *,
    before: str | None = None,
    after: str | None = None,
    size: int = 30,
    nullable: bool = False,
    parts: Sequence[Q] | None = None,
) -> Page[M]:
    """One page of ``rows`` in ``order``: the first, the one past ``before`` (the next
    page's cursor), or the one before ``after`` (the previous page's). ``nullable``: the
    order's first field may be empty; those rows come last. ``parts``: only the rows of
    their union (None: all of ``rows``), e.g. a scope's (``CaseQuerySet.scope_parts``).

    Keys first, rows second: the page's ids are found in the order's index without
    the joins ``rows`` may carry (a join planned before the sort would join every
    candidate row), then those rows are read by id. Over ``parts``, each part's page
    of keys is found on its own, in its own index, and the pages are merged: a page of
    their union is among the first ``size`` keys of its parts. (PostgreSQL reads the
    parts in one statement, ``UNION ALL``; SQLite, whose compound statements take no
    ``LIMIT`` in their parts, one statement each.)"""
    first, second = (name.lstrip("-") for name in order)
    numeric = not isinstance(rows.model._meta.get_field(first), DateTimeField)
    backwards = bool(after)
    reverse = _reversed(order)
    if after:
        mark = parse_cursor(after, "after", numeric=numeric, nullable=nullable)
        query = rows.filter(_beyond(order, mark, forward=False, nullable=nullable))
        if nullable:  # (the empty rows, last going forward, come first going back)
            name = reverse[0].lstrip("-")
            direction = F(name).desc if reverse[0].startswith("-") else F(name).asc
            query = query.order_by(direction(nulls_first=True), reverse[1])
        else:
            query = query.order_by(*reverse)
    elif before:
        mark = parse_cursor(before, "before", numeric=numeric, nullable=nullable)
        query = rows.filter(_beyond(order, mark, forward=True, nullable=nullable))
        query = query.order_by(*_ordering(order, nullable=nullable))
    else:
        query = rows.order_by(*_ordering(order, nullable=nullable))
    keys = _keys(query, (first, second), size + 1, parts)
    if parts is not None and len(parts) > 1:
        ordering = reverse if backwards else order
        keys = _merged(keys, ordering, size + 1, nulls_first=nullable and backwards)
    more = len(keys) > size
    keys = keys[:size]
    if backwards:
        keys.reverse()
    found = rows.in_bulk([pk for pk, _first, _second in keys])
    items = [found[pk] for pk, _first, _second in keys if pk in found]

    def cursor(key: tuple[Any, Any, Any]) -> str:
        value = key[1]
        shown = "" if value is None else value.isoformat() if hasattr(value, "isoformat") else value
        return f"{shown}~{key[2]}"

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


def _keys(
    query: QuerySet[M], fields: tuple[str, str], limit: int, parts: Sequence[Q] | None
) -> list[tuple[Any, Any, Any]]:
    """The first ``limit`` keys (pk and the order's fields) of ``query``, or of each of
    ``parts`` within it (unmerged)."""
    if parts is None:
        return list(query.values_list("pk", *fields)[:limit])
    pieces = [query.filter(part).values_list("pk", *fields)[:limit] for part in parts]
    if len(pieces) > 1 and connections[query.db].features.supports_slicing_ordering_in_compound:
        return list(pieces[0].union(*pieces[1:], all=True))
    return [key for piece in pieces for key in piece]


def _merged(
    keys: list[tuple[Any, Any, Any]], order: Order, limit: int, *, nulls_first: bool
) -> list[tuple[Any, Any, Any]]:
    """The first ``limit`` of the parts' ``keys`` in ``order``, each row once (the parts
    may overlap), as the database orders them: an empty first field last (``nulls_first``:
    first), ties by the second field."""
    unique = list({key[0]: key for key in keys}.values())
    unique.sort(key=lambda key: key[2], reverse=order[1].startswith("-"))
    filled = [key for key in unique if key[1] is not None]
    filled.sort(key=lambda key: key[1], reverse=order[0].startswith("-"))  # (stable)
    empty = [key for key in unique if key[1] is None]
    return (empty + filled if nulls_first else filled + empty)[:limit]
