"""The rankings' and the cockpit's aggregates at a city's scale (issue #15, "Scale and
speed"): each timed over N cases and compared, in the same run, with a naive aggregate
over the case table whose figures must be identical.

    .venv/bin/python bench/rankings.py [--cases 10000000] [--months 24]
        [--db postgres|sqlite] [--database-url URL] [--reuse] [--only NAME]
        [--repeat 5] [--naive-repeat 3]

The database is the demo district with ``--cases`` cases over ``--months`` bulk-loaded
by ``console_fixture.load`` (not timed; without their events and contacts, which no
figure reads), then their stored working seconds written by ``civicgrid
working-seconds`` (as after an upgrade; not timed either): on PostgreSQL
``civicgrid_bench_rankings_<N>``, on SQLite a file under ``--data-dir``. ``--reuse``
keeps a database already loaded with that many cases.

What is timed, as the district's leader sees it (the last complete month, "now" fixed
for the run):

* ``month_streets``: the month's indicators for every street/town
  (``indicators.by_unit(…, level="street")``), what the monthly ranking is built on;
* ``month_departments``: the same for every department, with the check-in rate of
  their whistle tasks;
* ``street_trend``: one street's last 12 months, month by month (``by_month``);
* ``month_rankings``: the month's three lists as the rankings page computes them live
  (``rankings.compute``: streets/towns, communities within their street, departments,
  scored and ranked), with the month before published, as a district publishes every
  month (the bench publishes it through ``publishing.publish_month``, not timed, when
  it is not yet; otherwise its scores would be computed live too);
* ``cockpit``: the cockpit's counts: today's intake, open and overdue cases, by tier,
  category and channel.

Each is compared with ``tests/evaluation/naive.py``'s one plain SQL statement (cases
joined to the working-day table, rolled up by unit path in Python) or, for the cockpit,
a plain grouped count over the whole table. The JSON gives per measurement the p50 and
p95 of both, their ratio and ``identical``; the script exits 1 when any figure differs.
Targets: ≤ 1 s at 10 M cases on PostgreSQL, ≤ 2 s at 1 M on SQLite.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import date, datetime, timedelta
from datetime import time as clock
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
sys.path.insert(0, str(BENCH.parent))

MEASUREMENTS = ("month_streets", "month_departments", "street_trend", "month_rankings", "cockpit")
TARGETS_S = {"postgresql": 1.0, "sqlite": 2.0}


# The cases' stored working seconds (``civicgrid working-seconds``), as after an upgrade:
# the bulk-loaded rows have none. Not timed; skipped when they are there and current.
STORE_SECONDS = """
import django
django.setup()
from django.core.management import call_command
from civicgrid.cases.models import Case
from civicgrid.evaluation import hours
missing = Case.objects.filter(acknowledged_at__isnull=False, acknowledge_seconds__isnull=True)
if missing.exists() or not hours.stored_current():
    call_command("working_seconds")
    # what autovacuum does after a table's rows were all rewritten: the old versions'
    # space freed, the planner's statistics renewed
    from django.db import connection
    with connection.cursor() as cursor:
        pg = connection.vendor == "postgresql"
        cursor.execute("VACUUM ANALYZE cases_case" if pg else "ANALYZE")
else:
    print("current")
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=10_000_000)
    parser.add_argument("--months", type=int, default=24)
    parser.add_argument("--db", choices=("postgres", "sqlite"), default="postgres")
    parser.add_argument("--database-url", help="default: a database of its own per size")
    parser.add_argument("--data-dir", default=str(BENCH.parent / "var" / "bench_rankings"))
    parser.add_argument("--reuse", action="store_true", help="keep a database already loaded")
    parser.add_argument("--only", choices=MEASUREMENTS, action="append")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--naive-repeat", type=int, default=3)
    parser.add_argument(
        "--no-store",
        action="store_true",
        help="leave the cases' stored working seconds unwritten (the figures compute them)",
    )
    parser.add_argument("--measure", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:  # internal: in the database's own process
        import django

        django.setup()
        from civicgrid.org.models import User

        result = measure(
            User.objects.get(username="leader"),
            only=args.only,
            repeat=args.repeat,
            naive_repeat=args.naive_repeat,
        )
        print(json.dumps(result))
        return

    import console

    url = args.database_url or (
        f"sqlite:///{args.data_dir}/rankings_{args.cases}.sqlite3"
        if args.db == "sqlite"
        else f"postgres://postgres@127.0.0.1:5432/civicgrid_bench_rankings_{args.cases}"
    )
    env = console._env(url, args.data_dir)
    started = time.perf_counter()
    options = {"months": args.months, "history": False}
    fixture = console.prepare(url, args.cases, args.reuse, args.data_dir, options)
    fixture_s = round(time.perf_counter() - started, 1)
    started = time.perf_counter()
    stored_said = "not written (--no-store)"
    if not args.no_store:
        stored = subprocess.run(
            [sys.executable, "-c", STORE_SECONDS], capture_output=True, text=True, env=env
        )
        if stored.returncode:
            sys.exit(stored.stderr[-3000:])
        stored_said = stored.stdout.strip().splitlines()[-1]
    stored_s = round(time.perf_counter() - started, 1)
    command = [sys.executable, __file__, "--measure", "--repeat", str(args.repeat)]
    command += ["--naive-repeat", str(args.naive_repeat)]
    for name in args.only or ():
        command += ["--only", name]
    out = subprocess.run(command, capture_output=True, text=True, env=env)
    if out.returncode:
        sys.exit(out.stderr[-3000:])
    result = json.loads(out.stdout.strip().splitlines()[-1])
    result["fixture"] = {
        "seconds": fixture,
        "prepare_s": fixture_s,
        "months": args.months,
        "stored_seconds": stored_said,
        "stored_seconds_s": stored_s,
    }
    print(json.dumps(result, indent=2))
    if not result["identical"]:
        sys.exit(1)


# --- the measurement -----------------------------------------------------------------------------


def _timed(run: Callable[[], Any], repeat: int) -> tuple[Any, dict[str, float]]:
    """``run``'s answer and its p50 / p95 over ``repeat`` runs (after one to warm up
    the caches; that first answer is the one returned)."""
    answer = run()
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    times.sort()
    return answer, {
        "p50_s": round(statistics.median(times), 3),
        "p95_s": round(times[min(len(times) - 1, int(0.95 * len(times)))], 3),
    }


def measure(  # type: ignore[no-untyped-def]
    user,
    *,
    only: list[str] | None = None,
    repeat: int = 5,
    naive_repeat: int = 3,
    at: datetime | None = None,
) -> dict[str, Any]:
    """Time each measurement as ``user`` (who sees the whole district) and compare it
    with the naive aggregate; ``at``: "now" (default: the clock)."""
    from django.db import connection

    from civicgrid.cases.models import Case

    at = at or _now()
    month, year_start, month_end = _months(at)
    work = _Work(user, at, month, year_start, month_end)
    results: dict[str, Any] = {}
    if "month_rankings" in (only or MEASUREMENTS):
        results["month_before"] = work.publish_month_before()
    for name in only or MEASUREMENTS:
        ours, naive = getattr(work, name), getattr(work, f"naive_{name}")
        got, ours_times = _timed(ours, repeat)
        wanted, naive_times = _timed(naive, naive_repeat)
        identical = got == wanted
        results[name] = {
            "ours": ours_times,
            "naive": naive_times,
            "ratio_naive_over_ours": round(
                naive_times["p50_s"] / max(ours_times["p50_s"], 1e-6), 1
            ),
            "identical": identical,
            "rows": len(got),
            "target_s": TARGETS_S[connection.vendor],
            "meets_target": ours_times["p50_s"] <= TARGETS_S[connection.vendor],
        }
        if not identical:
            results[name]["differences"] = _differences(got, wanted)
    return {
        "benchmark": "rankings",
        "database": connection.vendor,
        "cases": Case.objects.count(),
        "at": at.isoformat(),
        "month": f"{month:%Y-%m}",
        "trend": f"{year_start:%Y-%m} – {month_end:%Y-%m}",
        "month_before": results.pop("month_before", None),
        "measurements": results,
        "identical": all(r["identical"] for r in results.values()),
    }


def _now() -> datetime:
    from django.utils import timezone

    return timezone.now()


def _months(at: datetime) -> tuple[date, date, date]:
    """The last complete month's first day, the first day of the 12 months ending with
    it, and its last day."""
    from django.utils import timezone

    month_end = timezone.localdate(at).replace(day=1) - timedelta(days=1)
    month = year_start = month_end.replace(day=1)
    for _ in range(11):
        year_start = (year_start - timedelta(days=1)).replace(day=1)
    return month, year_start, month_end


def _differences(got: dict[Any, Any], wanted: dict[Any, Any]) -> list[Any]:
    found = []
    for key in sorted({*got, *wanted}, key=str):
        if got.get(key) != wanted.get(key):
            ours, naive = got.get(key) or {}, wanted.get(key) or {}
            found.append(
                {
                    "row": str(key),
                    "ours": {k: v for k, v in ours.items() if naive.get(k) != v},
                    "naive": {k: v for k, v in naive.items() if ours.get(k) != v},
                }
            )
    return found[:10]


def _flat(figures: Any) -> dict[str, int]:
    """A row's ``Figures`` as the raw counts the naive aggregate gives."""
    flat = {"cases": figures.cases}
    flat.update({f"x_{key}": value for key, value in figures.excluded.items()})
    for key, figure in figures.figures.items():
        flat[f"n_{key}"] = figure.numerator
        flat[f"d_{key}"] = figure.denominator
    return flat


def _nonzero(row: dict[str, int]) -> dict[str, int]:
    return {k: v for k, v in row.items() if v}


class _Work:
    """The measurements, ours and naive, over one "now"."""

    def __init__(self, user: Any, at: datetime, month: Any, year_start: Any, end: Any) -> None:
        from civicgrid.org.models import STREET_KINDS, Unit

        self.user, self.at = user, at
        self.month, self.year_start, self.end = month, year_start, end
        self.street = Unit.objects.filter(kind__in=STREET_KINDS).order_by("path").first()

    # ours: the indicators' code, as the rankings and the cockpit call it

    def _month_table(self, level: str) -> dict[str, dict[str, int]]:
        from civicgrid.evaluation import indicators
        from civicgrid.evaluation.selection import selection_for

        selection = selection_for(self.user, period=f"{self.month:%Y-%m}")
        table = indicators.by_unit(selection, self.at, level=level)
        return {row.key: _nonzero(_flat(row.figures)) for row in table.rows}

    def month_streets(self) -> dict[str, dict[str, int]]:
        return self._month_table("street")

    def month_departments(self) -> dict[str, dict[str, int]]:
        return self._month_table("department")

    def street_trend(self) -> dict[str, dict[str, int]]:
        from civicgrid.evaluation import indicators
        from civicgrid.evaluation.selection import selection_for

        selection = selection_for(
            self.user,
            unit=self.street.code,
            start=self.year_start.isoformat(),
            end=self.end.isoformat(),
        )
        table = indicators.by_month(selection, self.at)
        return {row.key: _nonzero(_flat(row.figures)) for row in table.rows}

    def publish_month_before(self) -> str:
        """The month before the measured one published (as every past month is in a
        district), unless it is: how its scores reach ``month_rankings``."""
        from civicgrid.evaluation import publishing
        from civicgrid.evaluation.rankings import previous_month
        from civicgrid.evaluation.selection import Period

        before = previous_month(Period(self.month, self.end))
        if publishing.published(before.key) is not None:
            return f"{before.key} (published before)"
        publishing.publish_month(self.user, before, early=True)
        return f"{before.key} (published now)"

    def month_rankings(self) -> dict[str, dict[str, int]]:
        from civicgrid.evaluation import rankings
        from civicgrid.evaluation.selection import Period

        ranking = rankings.compute(Period(self.month, self.end), at=self.at)
        assert ranking.previous["revision"] is not None, "the month before is published"
        table = {}
        for rows in ranking.lists.values():
            for row in rows:
                flat = {"cases": row["cases"]}
                flat.update({f"x_{key}": value for key, value in row["excluded"].items()})
                for key, (numerator, denominator) in row["figures"].items():
                    flat[f"n_{key}"], flat[f"d_{key}"] = numerator, denominator
                table[row["unit"]] = _nonzero(flat)
        return table

    def cockpit(self) -> dict[str, dict[str, int]]:
        """Today's intake, open and overdue, by tier, category and channel: two grouped
        counts (today's cases; the open ones) through the ORM."""
        from django.db.models import Count, Q
        from django.utils import timezone

        from civicgrid.cases.models import OPEN_STATES, Case
        from civicgrid.cases.queues import RUNNING

        midnight = datetime.combine(
            timezone.localdate(self.at), clock(), tzinfo=timezone.get_default_timezone()
        )
        cases = Case.objects.visible_to(self.user).order_by()
        dims = ("tier", "category_id", "channel")
        found: dict[str, dict[str, int]] = {}

        def add(rows: Any) -> None:
            for row in rows:
                for dim in dims:
                    slot = found.setdefault(f"{dim}={row[dim]}", {})
                    for name in ("intake", "open", "overdue"):
                        if row.get(name):
                            slot[name] = slot.get(name, 0) + row[name]

        today = cases.filter(created_at__gte=midnight).values(*dims)
        add(today.annotate(intake=Count("pk")))
        open_cases = cases.filter(state__in=OPEN_STATES).values(*dims)
        overdue = Q(state__in=RUNNING, due_at__lt=self.at)
        add(open_cases.annotate(open=Count("pk"), overdue=Count("pk", filter=overdue)))
        return found

    # naive: plain SQL over the case table

    def _naive_month(self, *levels: str, listed: bool = False) -> dict[str, dict[str, int]]:
        """The month's figures of every unit of ``levels``, each over its subtree;
        ``listed``: only the units a ranking lists (active, or with cases that month,
        counted or excluded)."""
        from django.db import connection

        from civicgrid.cases.deadlines import calendar
        from civicgrid.evaluation.selection import Period
        from civicgrid.org.models import COMMUNITY_KINDS, STREET_KINDS, Unit, UnitKind
        from tests.evaluation import naive

        kinds_of = {
            "street": STREET_KINDS,
            "community": COMMUNITY_KINDS,
            "department": {UnitKind.DEPARTMENT},
        }
        kinds = set().union(*(kinds_of[level] for level in levels))
        start, end = Period(self.month, self.end).bounds()
        by_owner = naive.sql_tally(connection, start, end, self.at, calendar(), "owner")
        if "department" in levels:
            for department, row in naive.sql_task_tally(connection, start, end, self.at).items():
                by_owner.setdefault(department, {}).update(row)
        units = list(Unit.objects.values_list("pk", "code", "kind", "path", "active"))
        table = {}
        for _pk, code, kind, path, active in units:
            if kind not in kinds:
                continue
            total: dict[str, int] = {}
            for pk, _code, _kind, inner, _active in units:
                if inner.startswith(path):
                    for name, value in by_owner.get(pk, {}).items():
                        total[name] = total.get(name, 0) + value
            excluded = any(value for name, value in total.items() if name.startswith("x_"))
            if not listed or active or total.get("cases") or excluded:
                table[code] = _nonzero(total)
        return table

    def naive_month_rankings(self) -> dict[str, dict[str, int]]:
        return self._naive_month("street", "community", "department", listed=True)

    def naive_month_streets(self) -> dict[str, dict[str, int]]:
        return self._naive_month("street")

    def naive_month_departments(self) -> dict[str, dict[str, int]]:
        return self._naive_month("department")

    def naive_street_trend(self) -> dict[str, dict[str, int]]:
        from django.db import connection

        from civicgrid.cases.deadlines import calendar
        from civicgrid.evaluation.selection import Period
        from tests.evaluation import naive

        start, end = Period(self.year_start, self.end).bounds()
        found = naive.sql_tally(
            connection, start, end, self.at, calendar(), "month", owner_path=self.street.path
        )
        table = {}
        for part in Period(self.year_start, self.end).months():
            key = f"{part.start:%Y-%m}"
            table[key] = _nonzero(found.get(key, {}))
        return table

    def naive_cockpit(self) -> dict[str, dict[str, int]]:
        from django.db import connection
        from django.utils import timezone

        midnight = datetime.combine(
            timezone.localdate(self.at), clock(), tzinfo=timezone.get_default_timezone()
        )
        ops = connection.ops
        params = [ops.adapt_datetimefield_value(midnight), ops.adapt_datetimefield_value(self.at)]
        opened = (
            "c.state IN ('submitted', 'dispatched', 'returned', 'handling', 'resolved',"
            " 'follow_up')"
        )
        found: dict[str, dict[str, int]] = {}
        with connection.cursor() as cursor:
            for dim in ("tier", "category_id", "channel"):
                cursor.execute(
                    f"""SELECT c.{dim},
                          SUM(CASE WHEN c.created_at >= %s THEN 1 ELSE 0 END),
                          SUM(CASE WHEN {opened} THEN 1 ELSE 0 END),
                          SUM(CASE WHEN c.state IN ('dispatched', 'handling')
                                   AND c.due_at < %s THEN 1 ELSE 0 END)
                        FROM cases_case c GROUP BY c.{dim}""",
                    params,
                )
                for value, intake, open_, overdue in cursor.fetchall():
                    row = {"intake": intake or 0, "open": open_ or 0, "overdue": overdue or 0}
                    if any(row.values()):
                        found[f"{dim}={value}"] = _nonzero(row)
        return found


if __name__ == "__main__":
    main()
