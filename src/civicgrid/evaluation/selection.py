"""What a set of figures is over: a period of submission, a unit's subtree (within the
viewer's scope), and optionally a category and a channel.

One ``Selection`` is read from the same parameters by the console pages and the API
(``selection_for``), refused in the same words when it reaches outside the viewer's
scope, and turned back into the parameters of a drill-down link (``params``).
"""

from __future__ import annotations

import calendar as months
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from functools import cached_property

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from civicgrid import inputs
from civicgrid.cases.lookups import ids_q
from civicgrid.cases.models import CHANNELS, TASKS_COPY_OF_CASE, Case, Category, WhistleTask
from civicgrid.errors import Forbidden, Invalid, NotFound
from civicgrid.org.models import Unit, UnitKind, User
from civicgrid.org.scoping import Scope, scope_of
from civicgrid.web import access

# Who may see indicators: the people who answer for units' work (the console's table,
# ``web.access.EVALUATION``). Field roles (grid workers, volunteers) and hotline
# operators have their queues, not their units' figures.
EVALUATION_ROLES = access.EVALUATION
# A longer period would aggregate more than a year of a unit's cases on one page.
LONGEST_PERIOD = timedelta(days=366)
NO_CATEGORY = "-"


@dataclass(frozen=True)
class Period:
    """Dates of submission, ``start`` to ``end`` inclusive, in the district's time zone."""

    start: date
    end: date

    @classmethod
    def month(cls, year: int, month: int) -> Period:
        return cls(date(year, month, 1), date(year, month, months.monthrange(year, month)[1]))

    @classmethod
    def current_month(cls) -> Period:
        today = timezone.localdate()
        return cls.month(today.year, today.month)

    @property
    def is_month(self) -> bool:
        return self.start.day == 1 and self == Period.month(self.start.year, self.start.month)

    @property
    def key(self) -> str:
        """``2025-03`` for a month, ``2025-01-01~2025-03-31`` otherwise."""
        if self.is_month:
            return f"{self.start:%Y-%m}"
        return f"{self.start.isoformat()}~{self.end.isoformat()}"

    def bounds(self) -> tuple[datetime, datetime]:
        """The period as instants: from its first midnight to the midnight after it."""
        tz = timezone.get_default_timezone()
        return (
            datetime.combine(self.start, time(), tzinfo=tz),
            datetime.combine(self.end + timedelta(days=1), time(), tzinfo=tz),
        )

    def months(self) -> list[Period]:
        """The calendar months the period touches, each cut to the period."""
        parts, first = [], self.start.replace(day=1)
        while first <= self.end:
            whole = Period.month(first.year, first.month)
            parts.append(Period(max(whole.start, self.start), min(whole.end, self.end)))
            first = whole.end + timedelta(days=1)
        return parts

    def params(self) -> dict[str, str]:
        if self.is_month:
            return {"period": f"{self.start:%Y-%m}"}
        return {"start": self.start.isoformat(), "end": self.end.isoformat()}


def recent_months(count: int = 12) -> list[Period]:
    """The current month and the ones before it, newest first (the period picker)."""
    found, current = [], Period.current_month()
    for _step in range(count):
        found.append(current)
        before = current.start - timedelta(days=1)
        current = Period.month(before.year, before.month)
    return found


BAD_PERIOD = gettext_lazy(
    "A period is a month (2025-03) or a first and a last date (2025-01-01, 2025-03-31)."
)


def parse_period(period: str | None, start: str | None, end: str | None) -> Period:
    """A month (``period=2025-03``, ASCII digits: ``inputs.month``), two dates
    (``start``, ``end``, inclusive), or the current month; refused (400) when it cannot
    be read, ends before it starts, lies outside 2000–2099 or is longer than a year."""
    if not (start or end):
        if not period:
            return Period.current_month()
        return Period.month(*inputs.month(period.strip(), "period"))
    try:
        found = Period(date.fromisoformat(start or ""), date.fromisoformat(end or ""))
    except ValueError:
        raise Invalid(str(BAD_PERIOD)) from None
    if found.end < found.start:
        raise Invalid(_("The period ends before it starts."))
    if found.start.year < 2000 or found.end.year > 2099:
        raise Invalid(_("Figures cover the years 2000 to 2099."))
    if found.end - found.start >= LONGEST_PERIOD:
        raise Invalid(_("A period is at most a year (366 days)."))
    return found


@dataclass(frozen=True)
class UnitRow:
    """A unit as the figures need it (read once per selection): its columns only,
    since building a district's thousands of units as model instances costs more than
    summing a month of its cases."""

    pk: int
    code: str
    name: str
    kind: str
    path: str
    parent_id: int | None
    active: bool

    @classmethod
    def read(cls, units: QuerySet[Unit]) -> list[UnitRow]:
        """``units`` in path order."""
        columns = ("pk", "code", "name", "kind", "path", "parent_id", "active")
        return [cls(*values) for values in units.order_by("path").values_list(*columns)]


@dataclass(frozen=True)
class Selection:
    """The cases (and whistle tasks) a set of figures is over.

    ``unit`` None is the viewer's whole scope. ``own``: only the cases the unit owns
    itself, not those of the units below it. Every case counts to the unit that owns it
    and to every unit above (see docs/indicators.md, "Attribution")."""

    scope: Scope
    period: Period
    unit: Unit | None = None
    own: bool = False
    category: Category | None = None
    uncategorised: bool = False
    channel: str | None = None
    # the category tree, when the selection has read it (shared by narrowed copies)
    _categories: dict[int, Category] | None = field(default=None, compare=False, repr=False)

    # --- the units -------------------------------------------------------------------------

    @cached_property
    def units(self) -> list[UnitRow]:
        """The units the figures are over, in path order: the unit's subtree (or just
        the unit, ``own``), or the scope's units. One query."""
        if self.unit is not None and self.own:
            rows = Unit.objects.filter(pk=self.unit.pk)
        elif self.unit is not None:
            rows = Unit.objects.filter(path__startswith=self.unit.path)
        else:
            rows = Unit.objects.visible_to(self.scope)
        return UnitRow.read(rows)

    @cached_property
    def whole_tree(self) -> bool:
        """The selection is every unit there is: no owner filter is needed (a filter
        naming every unit made PostgreSQL scan a unit index over the whole table and
        check each case against thousands of ids). A root unit costs one query."""
        if not self.scope.reach.everywhere or self.own:
            return False
        if self.unit is None:
            return True
        if self.unit.parent_id is not None:
            return False
        return not Unit.objects.exclude(path__startswith=self.unit.path).exists()

    def owner_ids(self) -> list[int] | None:
        """The owner units' ids to filter by, within the scope's reach; None: no filter
        is needed (the whole tree, seen by someone who sees it all)."""
        if self.whole_tree:
            return None
        reach = self.scope.reach
        ids = [u.pk for u in self.units]
        if not reach.everywhere:
            allowed = set(reach.unit_ids)
            ids = [pk for pk in ids if pk in allowed]
        return ids

    def department_ids(self) -> list[int]:
        allowed = self.owner_ids()
        keep = None if allowed is None else set(allowed)
        return [
            u.pk
            for u in self.units
            if u.kind == UnitKind.DEPARTMENT and (keep is None or u.pk in keep)
        ]

    # --- the categories ----------------------------------------------------------------------

    @property
    def categories(self) -> dict[int, Category]:
        """Every category by id (one query, shared with narrowed copies)."""
        if self._categories is None:
            object.__setattr__(self, "_categories", Category.objects.in_bulk())
        assert self._categories is not None
        return self._categories

    def category_ids(self) -> list[int]:
        """The selected category and every category below it."""
        assert self.category is not None
        children: dict[int | None, list[int]] = {}
        for category in self.categories.values():
            children.setdefault(category.parent_id, []).append(category.pk)
        found, todo = [], [self.category.pk]
        while todo:
            pk = todo.pop()
            found.append(pk)
            todo.extend(children.get(pk, ()))
        return found

    # --- the rows ---------------------------------------------------------------------------

    def case_filter(self, prefix: str = "", received: str = "") -> Q:
        """The selection as a condition on cases (``prefix``: the path to the case;
        ``received``: a field of the row itself holding the case's ``created_at``, such
        as a whistle task's copy, read instead of joining every case of the period)."""
        start, end = self.period.bounds()
        received = received or f"{prefix}created_at"
        q = Q(**{f"{received}__gte": start, f"{received}__lt": end})
        if self.category is not None:
            q &= ids_q(self.category_ids(), f"{prefix}category_id")
        elif self.uncategorised:
            q &= Q(**{f"{prefix}category__isnull": True})
        if self.channel:
            q &= Q(**{f"{prefix}channel": self.channel})
        return q

    def cases(self) -> QuerySet[Case]:
        """The selection's cases, excluded ones included (the indicators leave them out)."""
        rows = Case.objects.filter(self.case_filter()).order_by()
        owners = self.owner_ids()
        if owners is not None:
            rows = rows.filter(ids_q(owners, "owner_unit_id"))
        return rows

    def tasks(self) -> QuerySet[WhistleTask]:
        """The whistle tasks of the selection's departments, in its cases' period."""
        departments = self.department_ids()
        if not departments:
            return WhistleTask.objects.none()
        received = TASKS_COPY_OF_CASE["created_at"]
        rows = WhistleTask.objects.filter(self.case_filter("case__", received)).order_by()
        if self.whole_tree:
            # every department: no filter (naming all of them made PostgreSQL read the
            # tasks through the department index, one value after another)
            return rows
        return rows.filter(ids_q(departments, "department_id"))

    # --- narrowing, and back to parameters ----------------------------------------------------

    def narrowed(self, **changes: object) -> Selection:
        """This selection with some parts replaced (a row of a table), sharing what was read."""
        narrowed = replace(self, **changes)
        object.__setattr__(narrowed, "_categories", self._categories)
        return narrowed

    def params(self) -> dict[str, str]:
        """The selection as query parameters (of a page, a drill-down or the API)."""
        params = self.period.params()
        if self.unit is not None:
            params["unit"] = self.unit.code
            if self.own:
                params["own"] = "1"
        if self.category is not None:
            params["category"] = self.category.code
        elif self.uncategorised:
            params["category"] = NO_CATEGORY
        if self.channel:
            params["channel"] = self.channel
        return params


def check_role(user: User | Scope) -> Scope:
    """The viewer's scope, if they may see indicators at all (403 otherwise)."""
    scope = scope_of(user)
    if not scope.has_role(*EVALUATION_ROLES):
        raise Forbidden(
            _("Only leaders, dispatchers, handlers and administrators may see indicators.")
        )
    return scope


def default_unit(user: User | Scope) -> Unit | None:
    """Where a viewer's figures start: their one top unit, or None (all of their scope)
    when they hold several."""
    tops = list(Unit.objects.tops_for(user)[:2])
    return tops[0] if len(tops) == 1 else None


def visible_unit(user: User | Scope, code: str) -> Unit:
    """The unit ``code`` if the viewer may see it; the same 404 otherwise, so a refusal
    does not tell whether it exists."""
    unit = Unit.objects.visible_to(user).filter(code=code).first()
    if unit is None:
        raise NotFound(_("No unit %(code)s that you may see.") % {"code": code})
    return unit


def selection_for(
    user: User | Scope,
    *,
    unit: str | None = None,
    own: bool = False,
    period: str | None = None,
    start: str | None = None,
    end: str | None = None,
    category: str | None = None,
    channel: str | None = None,
) -> Selection:
    """The selection these parameters name, for this viewer: refused with 403 (not a
    role that sees indicators), 404 (a unit outside their scope, an unknown category)
    or 400 (a period or channel that cannot be read)."""
    scope = check_role(user)
    found_period = parse_period(period, start, end)
    found_unit = visible_unit(user, unit) if unit else default_unit(user)
    if own and found_unit is None:
        raise Invalid(_("Name the unit whose own cases you want."))
    found_category, uncategorised = None, False
    if category == NO_CATEGORY:
        uncategorised = True
    elif category:
        found_category = Category.objects.filter(code=category).first()
        if found_category is None:
            raise NotFound(_("No category %(code)s.") % {"code": category})
    if channel and channel not in CHANNELS:
        raise Invalid(_("Unknown channel: %(c)s") % {"c": channel})
    return Selection(
        scope=scope,
        period=found_period,
        unit=found_unit,
        own=own,
        category=found_category,
        uncategorised=uncategorised,
        channel=channel or None,
    )
