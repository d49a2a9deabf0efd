"""The console at a city's scale: every queue, list and board timed per role at N cases
and at 20,000 in the same run.

    .venv/bin/python bench/console.py [--cases 10000000] [--small 20000] [--repeat 20]
        [--database-url postgres://postgres@127.0.0.1:5432/civicgrid_bench_console]
        [--reuse]

Two scratch databases (``<name>_big`` and ``<name>_small``; on SQLite two files under
``--data-dir``), each the demo district with its cases bulk-loaded by
``console_fixture.load`` (not timed; ``--reuse`` keeps a database already loaded with
that many cases; ``--load-only`` stops there). In the 20,000-case reference the timed
people's own units hold a fixed share of the cases (``console_fixture.FOCUS_SHARES``),
so that their pages hold about as many rows there as in the uniform N: each page's rows
are printed at both sizes. Then, for each role (district and street dispatcher, community
handler, grid worker, department handler, leader), in-process through Django's test
client: every queue tab's first page and a deep page, a case page, ``/triage/``,
``/triage/hot/``, ``/tasks/``, the queue sorted, filtered and searched (by code, by a
word few cases hold and by one many hold, the same words at both sizes: those of the
role's case at N; and, for the roles that may, the phone's last digits), ``GET
/api/cases`` with and without filters, and the public Open311 reads. Each page is timed
``--repeat`` times (p50, p95) and its queries counted.

Targets (issue #14, PostgreSQL): every page's p50 at N at most 2 × its p50 at 20,000,
every p95 at N ≤ 300 ms, and query counts that do not grow with N (where a page is
empty at 20,000 and not at N, its one more query is the read of its rows, which an
empty page skips; such a row says ``reference_empty``). On SQLite (give
``--database-url sqlite`` and ``--cases 1000000``) the figures are printed without a
verdict.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

BENCH = Path(__file__).resolve().parent
ROLES = {
    "district_dispatcher": "district dispatcher",
    "street_dispatcher": "street dispatcher",
    "community_handler": "community handler",
    "grid_worker": "grid worker",
    "dept_handler": "department handler",
    "leader": "leader",
}
TRIAGE_ROLES = {"district_dispatcher", "street_dispatcher", "leader"}
CONTACT_ROLES = {"district_dispatcher", "street_dispatcher", "leader"}  # may search by phone
# Whose units get a fixed share of the reference's cases (console_fixture.FOCUS_SHARES).
FOCUS = {"grid_worker": "grid", "community_handler": "community", "dept_handler": "department"}
DEEP_DAYS = 900  # a deep page: the queue as it stood this many days ago


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=10_000_000)
    parser.add_argument("--small", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument(
        "--database-url",
        default="postgres://postgres@127.0.0.1:5432/civicgrid_bench_console",
        help="a PostgreSQL URL (its name gets _big and _small), or 'sqlite'",
    )
    parser.add_argument("--data-dir", default=str(BENCH.parent / "var" / "bench_console"))
    parser.add_argument("--reuse", action="store_true", help="keep databases already loaded")
    parser.add_argument("--load-only", action="store_true", help="load both, time nothing")
    parser.add_argument("--measure", help=argparse.SUPPRESS)  # internal: one database
    parser.add_argument("--words", default="{}", help=argparse.SUPPRESS)  # internal
    parser.add_argument("--choose", help=argparse.SUPPRESS)  # internal: the words searched
    args = parser.parse_args()
    if args.choose:
        print(json.dumps(choose_words()))
        return
    if args.measure:
        print(json.dumps(measure(args.measure, args.repeat, json.loads(args.words))))
        return

    fixtures = {}
    for label, n in (("small", args.small), ("big", args.cases)):
        url = _url(args.database_url, args.data_dir, label)
        # Only the reference is focused: at N the people's units are the size a uniform
        # spread gives them (a grid of a few thousand cases in ten million, the case whose
        # plan went wrong in #14), at 20,000 they hold full pages as they do at N.
        fixtures[label] = prepare(url, n, args.reuse, args.data_dir, {"focus": label == "small"})
        if args.load_only:
            print(json.dumps({label: fixtures[label]}))
    if args.load_only:
        return
    # The same searches at both sizes: the words are those of the cases at N.
    big_url = _url(args.database_url, args.data_dir, "big")
    words = _run([sys.executable, __file__, "--choose", big_url], big_url, args.data_dir)
    runs = {}
    for label, n in (("small", args.small), ("big", args.cases)):
        url = _url(args.database_url, args.data_dir, label)
        fixture = fixtures[label]
        started = time.perf_counter()
        pages = _run(
            [
                sys.executable,
                __file__,
                "--measure",
                url,
                "--repeat",
                str(args.repeat),
                "--words",
                json.dumps(words),
            ],
            url,
            args.data_dir,
        )
        runs[label] = {
            "cases": n,
            "fixture": fixture,
            "pages": pages,
            "measure_s": round(time.perf_counter() - started, 1),
        }
    print(json.dumps(report(runs, words, postgres=args.database_url != "sqlite"), indent=2))


def _run(command: list[str], url: str, data_dir: str) -> Any:
    """The JSON that ``command`` (this script, on the database at ``url``) prints last."""
    out = subprocess.run(command, capture_output=True, text=True, env=_env(url, data_dir))
    if out.returncode:
        sys.exit(out.stderr[-3000:])
    return json.loads(out.stdout.strip().splitlines()[-1])


def _url(base: str, data_dir: str, label: str) -> str:
    if base == "sqlite":
        return f"sqlite:///{data_dir}/{label}.sqlite3"
    return f"{base}_{label}"


def _env(url: str, data_dir: str) -> dict[str, str]:
    media = Path(data_dir) / "media"
    media.mkdir(parents=True, exist_ok=True)
    return {
        **os.environ,
        "CIVICGRID_DATABASE_URL": url,
        "CIVICGRID_DATA_DIR": data_dir,
        "DJANGO_SETTINGS_MODULE": "civicgrid.settings",
        "CIVICGRID_ALLOWED_HOSTS": "testserver,127.0.0.1,localhost",
    }


# --- the fixture (not timed) ------------------------------------------------------------------


def prepare(
    url: str, n: int, reuse: bool, data_dir: str, options: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Create and load a database of ``n`` cases, unless ``reuse`` finds one loaded;
    ``options``: keyword arguments of ``console_fixture.load`` (months, history)."""
    script = f"""
import json, sys
sys.path.insert(0, {str(BENCH)!r})
FOCUS = {FOCUS!r}
import django
django.setup()
from django.core.management import call_command
from django.db import connection
call_command("migrate", verbosity=0)
from civicgrid.cases.models import Case
have = Case.objects.count()
if have != {n}:
    from civicgrid.demo.build import generate_demo
    from civicgrid.org.models import Unit
    if not Unit.objects.exists():
        generate_demo(seed=1, scale=1.0)
    import console_fixture
    say = lambda line: print(line, file=sys.stderr)  # noqa: E731
    options = {options or {}!r}
    if options.pop("focus", False):  # the timed people's units (console_fixture.FOCUS_SHARES)
        from civicgrid.org.models import Membership
        homes = {{m.user.username: m.unit_id for m in Membership.objects.filter(
            user__username__in=FOCUS).select_related("user")}}
        options["focus"] = {{kind: homes[name] for name, kind in FOCUS.items()}}
    seconds = console_fixture.load(connection, {n} - have, say=say, **options)
else:
    seconds = {{"reused": True}}
import console_fixture
seconds.update(console_fixture.words(connection, lambda line: print(line, file=sys.stderr)))
print(json.dumps(seconds))
"""
    if not reuse:
        _drop(url)
    _create(url)
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=_env(url, data_dir)
    )
    if out.returncode:
        sys.exit(out.stderr[-3000:])
    return json.loads(out.stdout.strip().splitlines()[-1])


def _admin(url: str) -> tuple[str, str]:
    base, name = url.rsplit("/", 1)
    return f"{base}/postgres", name


def _drop(url: str) -> None:
    if url.startswith("sqlite"):
        Path(url.removeprefix("sqlite:///")).unlink(missing_ok=True)
        return
    import psycopg

    admin, name = _admin(url)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')


def _create(url: str) -> None:
    if url.startswith("sqlite"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        return
    import psycopg

    admin, name = _admin(url)
    with psycopg.connect(admin, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


# --- the measurement (one database, in its own process) ---------------------------------------


def _their_case(user: Any) -> Any:
    """The case a person's case page shows: the newest being handled, owned by their own
    unit where there is one (the same kind of case at both sizes: the newest of all was at
    one size a case with a task and at the other one without, or one the grid worker's
    grid owns (its buttons read the case's surroundings: four queries) and one its
    community owns, a page with queries more or less for a reason that is not the size)."""
    from civicgrid.cases.models import Case, State
    from civicgrid.org.models import Membership

    visible = Case.objects.visible_to(user).order_by("-created_at")
    handled = visible.filter(state=State.HANDLING)
    home = Membership.objects.filter(user=user).values("unit_id")
    return handled.filter(owner_unit__in=home).first() or handled.first() or visible.first()


def choose_words() -> dict[str, dict[str, str]]:
    """Each role's two words (in the database of N cases, then searched at both sizes):
    the first two characters of their case's title (often a place's name: a word few
    cases hold) and of its category's name (a topic: many)."""
    import django

    django.setup()
    from civicgrid.org.models import User

    chosen = {}
    for username in ROLES:
        case = _their_case(User.objects.get(username=username))
        if case is not None:
            chosen[username] = choose_words_of(case)
    return chosen


def choose_words_of(case: Any) -> dict[str, str]:
    found = {"rare": case.title[:2]}
    if case.category is not None:
        found["topic"] = case.category.name[:2]
    return found


def measure(url: str, repeat: int, words: dict[str, dict[str, str]]) -> dict[str, Any]:
    import django

    django.setup()
    from datetime import timedelta

    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from civicgrid.cases.queues import QUEUE_NAMES
    from civicgrid.org.models import User
    from civicgrid.web.process import freeze_what_lives_as_long_as_the_process

    # As `civicgrid serve` does before serving: a full collection of the long-lived
    # heap stopped a request for 130 ms every fourth 1,000-entry Open311 page.
    freeze_what_lives_as_long_as_the_process()

    deep = quote((timezone.now() - timedelta(days=DEEP_DAYS)).isoformat())
    results: dict[str, Any] = {}

    def time_page(client: Client, key: str, path: str) -> None:
        response = client.get(path)
        if response.status_code != 200:  # (a words search cut off: 503) fails the page
            results[key] = {"path": path, "status": response.status_code}
            return
        with CaptureQueriesContext(connection) as queries:
            client.get(path)
        count = len(queries)  # now: the next request empties the log
        times = []
        for _ in range(repeat):
            started = time.perf_counter()
            client.get(path)
            times.append((time.perf_counter() - started) * 1000)
        times.sort()
        results[key] = {
            "path": path,
            "p50_ms": round(statistics.median(times), 1),
            # nearest rank: with 20 repeats the 19th time, not the slowest
            "p95_ms": round(times[math.ceil(0.95 * len(times)) - 1], 1),
            "queries": count,
            "rows": _rows(response),
            "bytes": len(response.content),
        }

    for username in ROLES:
        user = User.objects.get(username=username)
        client = Client()
        client.force_login(user)
        time_page(client, f"{username} /cases/", "/cases/")
        for name in QUEUE_NAMES:
            time_page(client, f"{username} /cases/?queue={name}", f"/cases/?queue={name}")
        for name in ("all", "handling"):
            time_page(
                client,
                f"{username} /cases/?queue={name} deep page",
                f"/cases/?queue={name}&before={deep}",
            )
        case = _their_case(user)
        if case is not None:
            time_page(client, f"{username} case page", f"/cases/{case.tracking_code}/")
            api_case = f"/api/cases/{case.tracking_code}"
            time_page(client, f"{username} GET /api/cases/{{code}}", api_case)
        if username in TRIAGE_ROLES:
            time_page(client, f"{username} /triage/", "/triage/")
            time_page(client, f"{username} /triage/hot/", "/triage/hot/")
        if username == "dept_handler":
            time_page(client, f"{username} /tasks/", "/tasks/")
        # The queue's sorts, filters and searches (cases/search.py), on "all": each
        # (its key in the results, the query); a search by value keyed by its name.
        fixed = ["sort=category", "sort=unit", "sort=deadline", "tier=minor", "overdue=1"]
        lists = [(extra, extra) for extra in [*fixed, "channel=hotline&sort=oldest"]]
        if case is not None:
            lists.append(("code", f"code={case.tracking_code}"))
            # two words (``choose_words``; as a role's case gives them where none are given)
            mine = words.get(username) or choose_words_of(case)
            lists.append(("words", f"words={quote(mine['rare'])}"))
            if "topic" in mine:
                lists.append(("words (a topic)", f"words={quote(mine['topic'])}"))
            if username in CONTACT_ROLES:
                lists.append(("phone", f"phone={case.contact.phone[-4:]}"))
        for key, extra in lists:
            time_page(client, f"{username} /cases/?queue=all&{key}", f"/cases/?queue=all&{extra}")
        time_page(client, f"{username} GET /api/cases", "/api/cases")
        time_page(client, f"{username} GET /api/cases?queue=handling", "/api/cases?queue=handling")
        time_page(
            client,
            f"{username} GET /api/cases deep page",
            f"/api/cases?queue=all&before={deep}",
        )
    public = Client()
    time_page(public, "public requests.json", "/open311/v2/requests.json")
    time_page(public, "public servicerequestupdates.json", "/open311/v2/servicerequestupdates.json")
    return results


def _rows(response: Any) -> int:
    """How many rows a page shows: a table's body rows (not the one that says there are
    none), or the items of a JSON list."""
    if response["Content-Type"].startswith("application/json"):
        data = json.loads(response.content)
        if isinstance(data, list):
            return len(data)
        return len(data.get("items", [])) if isinstance(data, dict) else 0
    html = response.content.decode()
    return html.count("<tr") - html.count("<thead") - html.count('<tr><td colspan="')


# --- the report ----------------------------------------------------------------------------------


def report(
    runs: dict[str, Any], words: dict[str, dict[str, str]], *, postgres: bool
) -> dict[str, Any]:
    small, big = runs["small"]["pages"], runs["big"]["pages"]
    table = []
    for key, at_big in big.items():
        at_small = small.get(key)
        if "status" in at_big or (at_small and "status" in at_small):  # refused: fails
            status_small = at_small and at_small.get("status", 200)
            status_big = at_big.get("status", 200)
            table.append(
                {"page": key, "status_small": status_small, "status_big": status_big, "ok": False}
            )
            continue
        row = {
            "page": key,
            f"p50_ms_{runs['small']['cases']}": at_small and at_small["p50_ms"],
            f"p50_ms_{runs['big']['cases']}": at_big["p50_ms"],
            f"p95_ms_{runs['big']['cases']}": at_big["p95_ms"],
            "queries_small": at_small and at_small["queries"],
            "queries_big": at_big["queries"],
            "rows_small": at_small and at_small["rows"],
            "rows_big": at_big["rows"],
        }
        if at_small:
            row["ratio_p50"] = round(at_big["p50_ms"] / max(at_small["p50_ms"], 0.1), 2)
            # A page with no rows sends no query for them (the queue reads its page's
            # rows by id, and no ids read nothing): where the reference's page is empty
            # and N's is not, one query more is that read, not growth with N.
            queries = at_small["queries"]
            if at_small["rows"] == 0 and at_big["rows"] > 0:
                row["reference_empty"] = True
                queries += 1
            row["ok"] = (
                at_big["p50_ms"] <= 2 * at_small["p50_ms"]
                and at_big["p95_ms"] <= 300
                and at_big["queries"] <= queries
            )
        table.append(row)
    return {
        "benchmark": "console",
        "database": "postgresql" if postgres else "sqlite",
        "cases": {"small": runs["small"]["cases"], "big": runs["big"]["cases"]},
        "fixture_s": {k: runs[k]["fixture"] for k in runs},
        "words_searched": words,
        "pages": table,
        "targets": {"p50_ratio_max": 2, "p95_ms_max_big": 300, "queries": "not growing"},
        "meets_targets": all(r.get("ok") for r in table) if postgres else None,
        "failing": [r["page"] for r in table if r.get("ok") is False],
    }


if __name__ == "__main__":
    main()
