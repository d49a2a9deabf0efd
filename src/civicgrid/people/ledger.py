"""The service ledger (志愿服务时长与积分): hours and points earned by grid calls and
activities, points spent at a public-welfare supermarket.

These functions write ``LedgerEntry`` rows and nothing else; they are called inside the
action that earns or spends (completing a grid call, attendance at an activity, a
redemption), within that action's transaction, and that action writes the one event.
A line is never changed: a correction is a new line (``LedgerSource.ADJUSTMENT``).

The readers at the end give a month's lines to the pages and the API: the hours earned
in a community's units (the community's view, the activities list) and the lines of
the monthly recognition list (``recognition.rank``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from civicgrid.cases import clock
from civicgrid.errors import Conflict, Invalid
from civicgrid.org.models import Unit
from civicgrid.people import recognition
from civicgrid.people.models import LedgerEntry, LedgerSource, Person

# Hours of one grid call or activity at most (a typo of 80 for 8 is refused).
MAX_HOURS = Decimal("24")


@dataclass(frozen=True)
class Totals:
    hours: Decimal
    points: int


def totals(person: Person, *, since: datetime | None = None) -> Totals:
    """A person's hours served and points to spend (earned less spent), all time or
    since ``since``."""
    rows = LedgerEntry.objects.filter(person=person)
    if since is not None:
        rows = rows.filter(at__gte=since)
    sums = rows.aggregate(
        hours=Coalesce(Sum("hours"), Decimal("0")), points=Coalesce(Sum("points"), 0)
    )
    return Totals(hours=Decimal(sums["hours"]), points=int(sums["points"]))


def _write(
    person: Person,
    *,
    source: str,
    source_key: str,
    hours: Decimal,
    points: int,
    unit: Unit | None,
    note: str,
    at: datetime | None,
) -> LedgerEntry:
    try:
        with transaction.atomic():
            return LedgerEntry.objects.create(
                person=person,
                at=at or clock.now(),
                source=source,
                source_key=source_key,
                hours=hours,
                points=points,
                unit=unit,
                note=note[:200],
            )
    except IntegrityError:
        raise Conflict(_("This has already been credited.")) from None


def credit(
    person: Person,
    *,
    source: str,
    source_key: str,
    hours: Decimal | int | str = 0,
    points: int = 0,
    unit: Unit | None = None,
    note: str = "",
    at: datetime | None = None,
) -> LedgerEntry:
    """Hours served and points earned for one grid call or activity (once per source)."""
    hours = Decimal(str(hours))
    if not Decimal("0") <= hours <= MAX_HOURS:
        raise Invalid(_("Service hours lie between 0 and 24."), field="hours")
    if points < 0:
        raise Invalid(_("Points earned cannot be negative."), field="points")
    return _write(
        person,
        source=source,
        source_key=source_key,
        hours=hours,
        points=points,
        unit=unit,
        note=note,
        at=at,
    )


def spend(
    person: Person,
    *,
    source_key: str,
    points: int,
    unit: Unit | None = None,
    note: str = "",
    at: datetime | None = None,
) -> LedgerEntry:
    """Points spent (a redemption): refused (409) when the person has fewer. Locks the
    person's row, so two redemptions at once cannot both spend the last points."""
    if points <= 0:
        raise Invalid(_("Points spent must be more than nothing."), field="points")
    Person.objects.select_for_update().filter(pk=person.pk).first()
    if totals(person).points < points:
        raise Conflict(_("Not enough points for this."))
    return _write(
        person,
        source=LedgerSource.REDEMPTION,
        source_key=source_key,
        hours=Decimal("0"),
        points=-points,
        unit=unit,
        note=note,
        at=at,
    )


# --- readers: a month's lines ----------------------------------------------------------------


def month_bounds(year: int, month: int) -> tuple[datetime, datetime]:
    zone = timezone.get_default_timezone()
    start = datetime(year, month, 1, tzinfo=zone)
    end = datetime(year + month // 12, month % 12 + 1, 1, tzinfo=zone)
    return start, end


def this_month() -> tuple[int, int]:
    day = clock.today()
    return day.year, day.month


def earned_this_month(units: tuple[int, ...] | None) -> tuple[Decimal, int]:
    """The service hours earned this month in ``units`` (None: everywhere), and by how
    many people."""
    start, end = month_bounds(*this_month())
    rows = LedgerEntry.objects.filter(at__gte=start, at__lt=end).exclude(
        source=LedgerSource.REDEMPTION
    )
    if units is not None:
        rows = rows.filter(unit_id__in=units)
    sums = rows.aggregate(hours=Coalesce(Sum("hours"), Decimal("0")))
    hours = Decimal(sums["hours"]).quantize(Decimal("0.1"))
    return hours, rows.values("person_id").distinct().count()


def recognition_lines(community: Unit, year: int, month: int) -> list[recognition.Line]:
    """The month's earning ledger lines of ``community`` (its grids included)."""
    start, end = month_bounds(year, month)
    rows = (
        LedgerEntry.objects.filter(unit__path__startswith=community.path, at__gte=start, at__lt=end)
        .exclude(source=LedgerSource.REDEMPTION)
        .values_list("person_id", "person__name", "hours", "points")
    )
    return [recognition.Line(pk, name, Decimal(hours), points) for pk, name, hours, points in rows]
