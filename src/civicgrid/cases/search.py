"""Search, filters and sorting over the work queues (the console's list, its Excel
export, the case API), built like the queues themselves for millions of cases (see
docs/architecture.md, "Lists at scale").

Every condition narrows ``queues.in_queue`` (the scoping rule stays first); every sort
is an order an index serves, paged by key:

- by tracking code: an equality on the unique index;
- by the phone's last four digits: ``ResidentContact.phone_tail`` (a column the database
  keeps, indexed) resolves the few cases first; only for those who may know residents
  (``permissions.known_residents``), and each case found is logged as a reveal;
- by words: ``icontains`` on the title and the description; on PostgreSQL a word few
  cases hold is found through the index of the cases' words first (``cases.words``),
  and the search runs under a statement timeout (``WORDS_TIMEOUT_MS``): a search cut
  off says so instead of holding a worker;
- by unit (a subtree of the viewer's scope), category (with its subcategories), tier,
  channel, the day submitted, and overdue.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db import OperationalError, connection, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from civicgrid import inputs
from civicgrid.cases import queues, words
from civicgrid.cases.lookups import Kept, ids_q
from civicgrid.cases.models import CHANNELS, Case, Category, ResidentContact, Tier
from civicgrid.cases.paging import Order, Page, keyset
from civicgrid.cases.permissions import known_residents
from civicgrid.cases.queues import RUNNING
from civicgrid.errors import Forbidden, Invalid, Unavailable
from civicgrid.org.models import Unit, User
from civicgrid.org.scoping import scope_of

# A words search that reads longer than this is cut off (PostgreSQL).
WORDS_TIMEOUT_MS = 3000
WORDS_MAX = 50
TIERS = frozenset(Tier.values)
PHONE_TAIL = re.compile(r"[0-9]{4}")


@dataclass(frozen=True)
class Sort:
    label: Promise
    order: Order
    # The order's first field may be empty (no category yet): those rows last.
    nullable: bool = False
    # The rows the order lists (its index holds only those), or all.
    only: Q | None = None


SORTS: dict[str, Sort] = {
    "created": Sort(gettext_lazy("newest first"), ("-created_at", "-id")),
    "oldest": Sort(gettext_lazy("oldest first"), ("created_at", "id")),
    # (the cases with a running deadline: a small part of the table, in an index of
    # their own; sorting every case for the few that have one read the whole table)
    "deadline": Sort(
        gettext_lazy("deadline, soonest first (only cases with one)"),
        ("due_at", "id"),
        only=Q(due_at__isnull=False),
    ),
    "category": Sort(gettext_lazy("by category"), ("category_id", "id"), nullable=True),
    "unit": Sort(gettext_lazy("by owner unit"), ("owner_unit_id", "id")),
}


@dataclass(frozen=True)
class Filters:
    """What a person asked the list for; empty fields ask nothing."""

    code: str = ""
    words: str = ""
    phone: str = ""  # the last four digits
    unit: Unit | None = None
    category: Category | None = None
    tier: str = ""
    channel: str = ""
    since: date | None = None
    until: date | None = None
    overdue: bool = False
    sort: str = ""
    given: dict[str, str] = field(default_factory=dict)  # as read, for links

    @property
    def narrowing(self) -> bool:
        """Whether any condition is set (a sort alone narrows nothing)."""
        return any(v for k, v in self.given.items() if k != "sort")


FIELDS = (
    "code",
    "words",
    "phone",
    "unit",
    "category",
    "tier",
    "channel",
    "since",
    "until",
    "overdue",
    "sort",
)


def _day(value: str, name: str) -> date:
    try:
        if not value.isascii():
            raise ValueError(value)
        day = date.fromisoformat(value)
    except ValueError:
        raise Invalid(
            _("The date %(value)s is not valid; write it as 2026-03-01.") % {"value": value},
            field=name,
            kind="date",
        ) from None
    if not inputs.YEARS[0] <= day.year <= inputs.YEARS[1]:
        raise Invalid(
            _("The date %(value)s is out of range.") % {"value": value}, field=name, kind="date"
        )
    return day


def read(params: Mapping[str, str], user: User) -> Filters:
    """The filters in ``params`` (a page's or the API's query), each checked: a value
    that means nothing is refused (400) with what is wrong, a unit outside the viewer's
    scope as if it did not exist, a phone search by someone who may not know residents
    with 403."""
    given: dict[str, str] = {}
    for name in FIELDS:
        value = params.get(name) or ""
        value = inputs.text(str(value), name, max_length=WORDS_MAX).strip()
        if value:
            given[name] = value
    code = given.get("code", "").upper()
    phone = given.get("phone", "")
    if phone:
        if not PHONE_TAIL.fullmatch(phone):
            raise Invalid(
                _("Enter the last 4 digits of the phone number."), field="phone", kind="phone"
            )
        if known_residents(user) is None:
            raise Forbidden(_("Your role may not search cases by the resident's phone number."))
    unit = None
    if "unit" in given:
        unit = Unit.objects.visible_to(user).filter(code=given["unit"]).first()
        if unit is None:
            raise Invalid(
                _("No unit %(code)s that you may see.") % {"code": given["unit"]},
                field="unit",
                kind="unit",
            )
    category = None
    if "category" in given:
        category = Category.objects.filter(code=given["category"]).first()
        if category is None:
            raise Invalid(
                _("No category %(code)s.") % {"code": given["category"]},
                field="category",
                kind="category",
            )
    tier = given.get("tier", "")
    if tier and tier not in TIERS:
        raise Invalid(_("No such tier: %(value)s.") % {"value": tier}, field="tier", kind="tier")
    channel = given.get("channel", "")
    if channel and channel not in CHANNELS:
        raise Invalid(
            _("No such channel: %(value)s.") % {"value": channel}, field="channel", kind="channel"
        )
    since = _day(given["since"], "since") if "since" in given else None
    until = _day(given["until"], "until") if "until" in given else None
    if since and until and since > until:
        raise Invalid(_("The start date is after the end date."), field="since", kind="date_range")
    overdue = given.get("overdue", "")
    if overdue not in ("", "1", "0"):
        raise Invalid(_("Overdue is either 1 or 0."), field="overdue", kind="overdue")
    sort = given.get("sort", "")
    if sort and sort not in SORTS:
        raise Invalid(_("No such order: %(value)s.") % {"value": sort}, field="sort", kind="sort")
    if overdue == "0":
        given.pop("overdue")
    return Filters(
        code=code,
        words=given.get("words", ""),
        phone=phone,
        unit=unit,
        category=category,
        tier=tier,
        channel=channel,
        since=since,
        until=until,
        overdue=overdue == "1",
        sort=sort,
        given=given,
    )


def _subcategories(category: Category) -> list[int]:
    """``category`` and every category below it (the tree is small: read once)."""
    children: dict[int | None, list[int]] = {}
    for pk, parent in Category.objects.values_list("pk", "parent_id"):
        children.setdefault(parent, []).append(pk)
    found, pending = [], [category.pk]
    while pending:
        pk = pending.pop()
        found.append(pk)
        pending.extend(children.get(pk, []))
    return found


def _midnight(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


# No case: the condition of a search that can find none.
NOTHING = Q(pk__in=[])


def narrowing(filters: Filters, user: User) -> Kept:
    """``filters``' conditions (and its sort's: the deadline lists the cases that have
    one), for a list that is scoped to ``user`` already, or paged within the user's
    scope (``paging.keyset``'s ``parts``): no condition here widens it."""
    kept, listed = Q(), False
    if filters.code:
        listed = True
        kept &= Q(tracking_code=filters.code)
    if filters.phone:
        listed = True
        known = known_residents(user)
        if known is None:  # (``read`` refuses first; a caller who skipped it finds nothing)
            kept &= NOTHING
        else:
            found = set(
                ResidentContact.objects.filter(phone_tail=filters.phone).values_list(
                    "case_id", flat=True
                )
            )
            kept &= ids_q(found, "pk") & known if found else NOTHING
    if filters.words:
        whole_tree = scope_of(user).reach.everywhere and filters.unit is None
        held = words.condition(filters.words, whole_tree=whole_tree)
        kept &= held.q
        listed = listed or held.listed
    if filters.unit is not None:
        units = Unit.objects.filter(path__startswith=filters.unit.path).values_list("pk", flat=True)
        kept &= ids_q(list(units), "owner_unit_id")
    if filters.category is not None:
        kept &= ids_q(_subcategories(filters.category), "category_id")
    if filters.tier:
        kept &= Q(tier=filters.tier)
    if filters.channel:
        kept &= Q(channel=filters.channel)
    if filters.since:
        kept &= Q(created_at__gte=_midnight(filters.since))
    if filters.until:
        kept &= Q(created_at__lt=_midnight(filters.until + timedelta(days=1)))
    if filters.overdue:
        kept &= Q(state__in=RUNNING, due_at__lt=timezone.now())
    if filters.sort and (only := SORTS[filters.sort].only) is not None:
        kept &= only
    return Kept(kept, listed)


def narrowed(cases: QuerySet[Case], filters: Filters, user: User) -> QuerySet[Case]:
    """``cases`` with ``filters``' conditions (``narrowing``)."""
    return cases.filter(narrowing(filters, user).q)


def sort_of(filters: Filters, default: Order) -> Sort:
    """The list's order: the one asked for, or the queue's own."""
    if filters.sort:
        return SORTS[filters.sort]
    return next(
        (s for s in SORTS.values() if s.order == default), Sort(gettext_lazy("default"), default)
    )


def page_of(
    user: User,
    queue: str,
    filters: Filters,
    sort: Sort,
    *,
    before: str | None,
    after: str | None,
    size: int,
    related: tuple[str, ...],
) -> Page[Case]:
    """One page of queue ``queue`` as the user sees it, searched and filtered by
    ``filters`` in ``sort``'s order (the console's list and ``GET /api/cases``): the
    filters' conditions (``narrowing``) find the keys in the queue's parts
    (``queues.queue_parts``; none for a list of ids), under the words search's time
    limit; the page's rows are read with ``related``."""
    with time_limited(filters):
        kept = narrowing(filters, user)
        rows, parts = queues.queue_parts(
            user, queue, sort.order, only_open=filters.overdue, listed=kept.listed
        )
        return keyset(
            rows.select_related(*related),
            sort.order,
            before=before,
            after=after,
            size=size,
            nullable=sort.nullable,
            parts=parts,
            kept=kept.q,
        )


class SearchTimedOut(Unavailable):
    """A search by words read too long and was cut off."""


TIMED_OUT = gettext_lazy(
    "The search by words took too long and was stopped. Narrow it down (a unit, a "
    "category, dates) or search by the tracking code."
)


@contextmanager
def time_limited(filters: Filters, ms: int | None = None) -> Iterator[None]:
    """Run the list's queries under a statement timeout when they search by words (on
    PostgreSQL; SQLite, the embedded database, holds a small district), and turn the
    timeout into a refusal a person reads (``SearchTimedOut``, 503)."""
    if not filters.words or connection.vendor != "postgresql":
        yield
        return
    try:
        with transaction.atomic():
            with connection.cursor() as cursor:
                # (SET LOCAL: for this transaction only; the value is ours, an int)
                cursor.execute(f"SET LOCAL statement_timeout = {int(ms or WORDS_TIMEOUT_MS)}")
            yield
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL statement_timeout TO DEFAULT")
    except OperationalError as error:
        if getattr(error.__cause__, "sqlstate", None) == "57014":  # query_canceled
            raise SearchTimedOut(str(TIMED_OUT), field="words", kind="timeout") from None
        raise
