"""The console benchmark's fixture: the demo district with N cases shaped like a real
history, bulk-loaded by the database itself (the fixture, never what is timed).

``months`` of cases (36 by default), about 90 % closed and the open ones recent (some
overdue); each
located in a grid and owned at its tier (grid, community, street, district) or by a
department, with a contact, 1–6 events along its path, and whistle tasks for a few
street- and district-level ones (a department's tasks lie outside its own tree).

The columns the indicators read (docs/indicators.md) are filled as a real history
would fill them: acknowledged a few hours after submission (about one in five after
its deadline), resolved within days (about one in five late), follow-up outcomes on
closed cases (solved in the resident's words, not solved, unreachable, closed by
hand), star ratings, reopens, a few cases left out by an upheld appeal, and whistle
tasks checked in (some late). The rankings' benchmark (``bench/rankings.py``) times
the indicators over these rows.

Rows are generated in SQL (``generate_series`` on PostgreSQL, a recursive series on
SQLite) from the units and categories ``generate_demo`` wrote: 10 million cases load
in minutes, not hours.
"""

from __future__ import annotations

import time
from collections.abc import Callable

# A case's path through the loop: the actions of its events, in order, by final state.
PATHS = {
    "submitted": ["submit"],
    "dispatched": ["submit", "triage", "dispatch"],
    "returned": ["submit", "triage", "dispatch", "return"],
    "handling": ["submit", "triage", "dispatch", "acknowledge"],
    "resolved": ["submit", "triage", "dispatch", "acknowledge", "resolve"],
    "follow_up": ["submit", "triage", "dispatch", "acknowledge", "resolve", "verify"],
    "closed": ["submit", "triage", "dispatch", "acknowledge", "resolve", "rate"],
    "rejected": ["submit", "reject"],
    "merged": ["submit", "merge"],
}
STATES = list(PATHS)
# Open states by share among open cases; final states among the rest.
OPEN_MIX = [
    ("submitted", 0.05),
    ("dispatched", 0.25),
    ("returned", 0.03),
    ("handling", 0.45),
    ("resolved", 0.10),
    ("follow_up", 0.12),
]
FINAL_MIX = [("closed", 0.93), ("rejected", 0.04), ("merged", 0.03)]
TEMPORARY = ("bench_grid", "bench_dept", "bench_cat", "bench_text", "bench_rand", "bench_case")
# Each category's cases take their title and text from this many the demo's writer
# wrote for it (``demo.texts.training_set``): a word is as common as in a district's
# history, where every case reading the same would make any word match every case.
TEXTS_PER_CATEGORY = 40


def _series(vendor: str, n: int) -> str:
    """``n`` rows of independent uniform random numbers (``RANDOMS``): age, open or not,
    tier, grid, category, state mix, located or not, channel, department; then the
    delays to acknowledge and to resolve, the follow-up outcome, the rating, the text
    and whether it has a whistle task."""
    if vendor == "postgresql":
        randoms = ", ".join(f"random() AS {r}" for r in RANDOMS)
        return f"SELECT i, {randoms} FROM generate_series(1, {n}) AS i"
    uniform = "(abs(random() % 1000000007) / 1000000007.0)"
    randoms = ", ".join(f"{uniform} AS {r}" for r in RANDOMS)
    return (
        f"WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < {n}) "
        f"SELECT i, {randoms} FROM s"
    )


RANDOMS = ("ra", "rs", "rt", "rg", "rc", "rx", "ru", "rh", "rd", "rk", "rr", "rf", "rv", "rw", "rq")
# A month as the fixture counts it, for the ages of cases.
MONTH_DAYS = 365.25 / 12


def _cases_select(vendor: str, base: int, months: int = 36) -> str:
    """The case plan: one row per row of ``bench_rand``, given the temporary tables
    ``bench_grid`` (idx, grid, community, street, district), ``bench_dept`` (idx, id)
    and ``bench_cat`` (idx, id); ids ``base + i``."""
    days = round(months * MONTH_DAYS, 2)
    seconds_ago = f"r.ra * {days} * 86400"
    if vendor == "postgresql":
        # (whole seconds, as the working hours are counted)
        created = f"date_trunc('second', now() - make_interval(secs => {seconds_ago}))"

        def due(hours: int) -> str:
            return f"{created} + make_interval(hours => {hours})"

        code = f"'B' || lpad((r.i + {base})::text, 9, '0')"

        def pick(table: str, rand: str) -> str:
            return f"1 + floor({rand} * (SELECT count(*) FROM {table}))::int"

    else:
        ago = f"'-' || CAST({seconds_ago} AS INTEGER) || ' seconds'"
        created = f"strftime('%Y-%m-%d %H:%M:%S', 'now', {ago})"

        def due(hours: int) -> str:
            return f"strftime('%Y-%m-%d %H:%M:%S', 'now', {ago}, '+{hours} hours')"

        code = f"'B' || substr('000000000' || (r.i + {base}), -9, 9)"

        def pick(table: str, rand: str) -> str:
            return f"1 + CAST({rand} * (SELECT count(*) FROM {table}) AS INTEGER)"

    age_days = f"r.ra * {days}"
    # open with a probability that falls with age: the open ones are recent
    p_open = (
        f"CASE WHEN {age_days} < 7 THEN 1.0 WHEN {age_days} < 30 THEN 0.8 "
        f"WHEN {age_days} < 90 THEN 0.2 ELSE 0.03 END"
    )

    def mix(pairs: list[tuple[str, float]], rand: str) -> str:
        parts, acc = [], 0.0
        for name, share in pairs[:-1]:
            acc += share
            parts.append(f"WHEN {rand} < {acc:.4f} THEN '{name}'")
        return f"CASE {' '.join(parts)} ELSE '{pairs[-1][0]}' END"

    state = (
        f"CASE WHEN r.rs < {p_open} THEN {mix(OPEN_MIX, 'r.rx')} ELSE {mix(FINAL_MIX, 'r.rx')} END"
    )
    return f"""
        SELECT r.i, {code} AS tracking_code, {created} AS created_at,
               {due(4)} AS acknowledge_due, {due(48)} AS resolve_due,
               {due(96)} AS follow_up_due, {state} AS state,
               r.rt, r.rc, r.rg, r.rx, r.ru, r.rh, r.rk, r.rr, r.rf, r.rv, r.rw, r.rq,
               g.grid, g.community, g.street, g.district,
               d.id AS department, k.id AS category, k.idx AS category_idx
        FROM bench_rand r
        JOIN bench_grid g ON g.idx = {pick("bench_grid", "r.rg")}
        JOIN bench_dept d ON d.idx = {pick("bench_dept", "r.rd")}
        JOIN bench_cat k ON k.idx = {pick("bench_cat", "r.rc")}
    """


# The shares of all cases that ``focus`` gives to the units of the people whose pages
# are timed, in the console benchmark's reference database: their queues then hold
# about as many rows at 20,000 cases as at 10 million with a uniform spread (uniform,
# a grid worker's grid holds 3 cases of 20,000 and 1,400 of 10 million; an empty page
# is no reference for a full one).
FOCUS_SHARES = {"grid": 0.08, "community": 0.15, "department": 0.30}


def _weigh(cursor, focus: dict[str, int]) -> None:  # type: ignore[no-untyped-def]
    """Repeat the rows of ``bench_grid`` and ``bench_dept`` that belong to ``focus`` so
    that a uniform pick lands on them with ``FOCUS_SHARES``: the grid (``focus["grid"]``)
    8 % of the cases, its community with all its grids 15 %, the department 30 % of the
    departments' picks."""
    cursor.execute("SELECT grid, community, street, district FROM bench_grid ORDER BY idx")
    grids = cursor.fetchall()
    mine = [row for row in grids if row[1] == focus.get("community")]
    one = [row for row in mine if row[0] == focus.get("grid")]
    rest = [row for row in mine if row[0] != focus.get("grid")]
    others = len(grids) - len(mine)
    total = others / (1 - FOCUS_SHARES["community"])  # the weight of every pick
    copies: dict[int, int] = {row[0]: 1 for row in grids}
    for row in one:
        copies[row[0]] = max(1, round(FOCUS_SHARES["grid"] * total))
    for row in rest:
        share = FOCUS_SHARES["community"] - (FOCUS_SHARES["grid"] if one else 0)
        copies[row[0]] = max(1, round(share * total / len(rest)))
    cursor.execute("DELETE FROM bench_grid")
    rows = [row for row in grids for _ in range(copies[row[0]])]
    cursor.executemany(
        "INSERT INTO bench_grid (idx, grid, community, street, district)"
        " VALUES (%s, %s, %s, %s, %s)",
        [(k + 1, *row) for k, row in enumerate(rows)],
    )
    cursor.execute("SELECT id FROM bench_dept ORDER BY idx")
    departments = [row[0] for row in cursor.fetchall()]
    if focus.get("department") in departments:
        share = FOCUS_SHARES["department"]
        extra = round(share * (len(departments) - 1) / (1 - share))
        departments = [d for d in departments if d != focus["department"]]
        departments += [focus["department"]] * extra
        cursor.execute("DELETE FROM bench_dept")
        cursor.executemany(
            "INSERT INTO bench_dept (idx, id) VALUES (%s, %s)",
            [(k + 1, d) for k, d in enumerate(departments)],
        )


def _later(vendor: str, column: str, seconds: str) -> str:
    """``column`` plus ``seconds`` (an expression), to the whole second."""
    if vendor == "postgresql":
        return f"{column} + make_interval(secs => floor({seconds}))"
    return (
        f"strftime('%Y-%m-%d %H:%M:%S', {column}, '+' || CAST({seconds} AS INTEGER) || ' seconds')"
    )


def _texts(cursor) -> None:  # type: ignore[no-untyped-def]
    """``bench_text`` (category_idx, k, title, text): ``TEXTS_PER_CATEGORY`` requests
    written for each category of ``bench_cat`` (a category the writer has no topic for
    takes the first topic's)."""
    from civicgrid.demo.phrases import TOPICS
    from civicgrid.demo.texts import training_set

    cursor.execute(
        """CREATE TEMP TABLE bench_text (category_idx integer, k integer, title varchar(120),
           text text)"""
    )
    cursor.execute("SELECT b.idx, c.name FROM bench_cat b JOIN cases_category c ON c.id = b.id")
    rows = []
    for idx, name in cursor.fetchall():
        topic = name if name in TOPICS else next(iter(TOPICS))
        texts, _labels, titles = training_set(f"bench {name}", TEXTS_PER_CATEGORY, [topic])
        rows += [
            (idx, k, title[:120], text)
            for k, (title, text) in enumerate(zip(titles, texts, strict=True))
        ]
    cursor.executemany("INSERT INTO bench_text VALUES (%s, %s, %s, %s)", rows)


def load(  # type: ignore[no-untyped-def]
    connection,
    n: int,
    say: Callable[[str], None] = print,
    *,
    months: int = 36,
    history: bool = True,
    focus: dict[str, int] | None = None,
) -> dict[str, float]:
    """Write ``n`` cases over the last ``months`` and what belongs to them; returns
    seconds per table. ``history`` False leaves out each case's contact and events
    (nothing the indicators read: a 10-million-case load in a fraction of the time).
    ``focus`` ({"grid": id, "community": id, "department": id}) gives those units the
    fixed shares of ``FOCUS_SHARES`` (see ``_weigh``)."""
    vendor = connection.vendor
    true, false = ("true", "false") if vendor == "postgresql" else ("1", "0")
    seconds: dict[str, float] = {}
    with connection.cursor() as cursor:

        def run(label: str, sql: str) -> None:
            started = time.perf_counter()
            cursor.execute(sql)
            seconds[label] = round(time.perf_counter() - started, 1)
            say(f"  {label}: {seconds[label]} s")

        for table in TEMPORARY:
            cursor.execute(f"DROP TABLE IF EXISTS {table}")
        run(
            "units",
            """CREATE TEMP TABLE bench_grid AS
               SELECT row_number() OVER (ORDER BY g.id) AS idx, g.id AS grid, c.id AS community,
                      s.id AS street, d.id AS district
               FROM org_unit g JOIN org_unit c ON c.id = g.parent_id
               JOIN org_unit s ON s.id = c.parent_id JOIN org_unit d ON d.id = s.parent_id
               WHERE g.kind = 'grid'""",
        )
        cursor.execute(
            """CREATE TEMP TABLE bench_dept AS SELECT row_number() OVER (ORDER BY id) AS idx, id
               FROM org_unit WHERE kind = 'department'"""
        )
        if focus:
            _weigh(cursor, focus)
        cursor.execute(
            """CREATE TEMP TABLE bench_cat AS SELECT row_number() OVER (ORDER BY id) AS idx, id
               FROM cases_category c
               WHERE NOT EXISTS (SELECT 1 FROM cases_category k WHERE k.parent_id = c.id)"""
        )
        _texts(cursor)
        cursor.execute("SELECT coalesce(max(id), 0) FROM cases_case")
        base = cursor.fetchone()[0]
        run("random numbers", f"CREATE TEMP TABLE bench_rand AS {_series(vendor, n)}")
        run("case plan", f"CREATE TEMP TABLE bench_case AS {_cases_select(vendor, base, months)}")
        # Written in the order they were submitted, as a real table grows: a month's
        # cases lie together on disk (in random order, reading one month of 10 million
        # cases visits pages all over the table; no real table looks like that).
        # Where each case sits: located in its grid (95 %), owned at its tier
        owner = """CASE
            WHEN state = 'submitted' OR ru < 0.05 THEN district
            WHEN rt < 0.25 THEN grid WHEN rt < 0.65 THEN community
            WHEN rt < 0.93 THEN street WHEN rt < 0.97 THEN district ELSE department END"""
        tier = """CASE WHEN rt < 0.25 THEN 'micro' WHEN rt < 0.65 THEN 'minor'
            WHEN rt < 0.93 THEN 'moderate' ELSE 'major' END"""
        final = "state IN ('closed', 'rejected', 'merged')"
        text_k = (
            f"floor(rw * {TEXTS_PER_CATEGORY})"
            if vendor == "postgresql"
            else f"CAST(rw * {TEXTS_PER_CATEGORY} AS INTEGER)"
        )
        versions = " ".join(f"WHEN '{s}' THEN {len(p)}" for s, p in PATHS.items())
        # What the indicators read: acknowledged 0–5 h after submission (due at 4 h),
        # resolved 0–55 h after that (due at 48 h); of the closed cases 78 % solved in
        # the resident's words, 12 % not solved, 6 % unreachable, 4 % closed by hand;
        # ratings on the cases with the resident's word; 6 % of the resolved reopened
        # once; 0.4 % of the acknowledged left out by an upheld appeal.
        acknowledged = "state IN ('handling', 'resolved', 'follow_up', 'closed')"
        resolved = "state IN ('resolved', 'follow_up', 'closed')"
        ack_at = _later(vendor, "created_at", "rk * 5 * 3600")
        resolved_at = _later(vendor, "created_at", "rk * 5 * 3600 + rr * 55 * 3600")
        closed_at = _later(vendor, "created_at", "rk * 5 * 3600 + rr * 55 * 3600 + 86400")
        rating = """CASE WHEN rv < 0.6 THEN 5 WHEN rv < 0.85 THEN 4 WHEN rv < 0.93 THEN 3
            WHEN rv < 0.97 THEN 2 ELSE 1 END"""
        run(
            "cases",
            f"""INSERT INTO cases_case (tracking_code, channel, title, text, category_id, urgency,
                   tier, lon, lat, address, grid_id, owner_unit_id, dispatcher_unit_id, state,
                   version, acknowledge_due, resolve_due, follow_up_due, due_at, acknowledged_at,
                   resolved_at, closed_at, reply, rating, solved, follow_up_attempts,
                   unreachable, returns, reopens, escalations, reminders, supervised,
                   excluded_by_appeal, created_at, updated_at)
                SELECT tracking_code,
                   (CASE WHEN rh < 0.4 THEN 'hotline' WHEN rh < 0.8 THEN 'web'
                         WHEN rh < 0.9 THEN 'patrol' ELSE 'api' END),
                   t.title, t.text,
                   CASE WHEN state = 'submitted' THEN NULL ELSE category END,
                   CASE WHEN rx < 0.02 THEN 'emergency' WHEN rx < 0.1 THEN 'urgent'
                        ELSE 'normal' END,
                   {tier}, NULL, NULL, '',
                   CASE WHEN ru < 0.05 THEN NULL ELSE grid END,
                   {owner},
                   CASE WHEN state = 'submitted' THEN NULL ELSE district END,
                   state, CASE state {versions} END,
                   acknowledge_due, resolve_due, follow_up_due,
                   CASE state WHEN 'dispatched' THEN acknowledge_due
                     WHEN 'handling' THEN resolve_due WHEN 'follow_up' THEN follow_up_due END,
                   CASE WHEN {acknowledged} THEN {ack_at} END,
                   CASE WHEN {resolved} THEN {resolved_at} END,
                   CASE WHEN state = 'closed' THEN {closed_at}
                        WHEN {final} THEN resolve_due END,
                   '',
                   CASE WHEN state = 'closed' AND rf < 0.90 THEN {rating} END,
                   CASE WHEN state <> 'closed' THEN NULL
                        WHEN rf < 0.78 THEN {true} WHEN rf < 0.90 THEN {false} END,
                   CASE WHEN state = 'closed' AND rf >= 0.90 AND rf < 0.96 THEN 3
                        WHEN state = 'closed' AND rf < 0.90 THEN 1 ELSE 0 END,
                   state = 'closed' AND rf >= 0.90 AND rf < 0.96,
                   0, CASE WHEN {resolved} AND rv > 0.94 THEN 1 ELSE 0 END, 0, 0,
                   NOT ({final}) AND rh < 0.05,
                   {acknowledged} AND ru > 0.996,
                   created_at, created_at
                FROM bench_case JOIN bench_text t
                  ON t.category_idx = bench_case.category_idx AND t.k = {text_k}
                ORDER BY created_at, i""",
        )
        if history:
            run(
                "contacts",
                """INSERT INTO cases_residentcontact (case_id, name, phone, hide_identity)
                   SELECT id, '', '138' || lpad((id % 100000000)::text, 8, '0'), false
                   FROM cases_case
                   WHERE tracking_code LIKE 'B%' AND NOT EXISTS (
                     SELECT 1 FROM cases_residentcontact x WHERE x.case_id = cases_case.id)"""
                if vendor == "postgresql"
                else """INSERT INTO cases_residentcontact (case_id, name, phone, hide_identity)
                   SELECT id, '', printf('138%08d', id % 100000000), 0
                   FROM cases_case WHERE tracking_code LIKE 'B%'
                   AND id NOT IN (SELECT case_id FROM cases_residentcontact)""",
            )
            # one event per step of the case's path
            steps = " UNION ALL ".join(
                f"SELECT '{s}' AS state, {k + 1} AS seq, '{a}' AS action"
                for s, path in PATHS.items()
                for k, a in enumerate(path)
            )
            json_empty = "'{}'"
            run(
                "events",
                f"""INSERT INTO cases_caseevent (case_id, seq, action, actor_id, at, from_state,
                       to_state, from_unit_id, to_unit_id, note, data, attachments)
                    SELECT c.id, p.seq, p.action, NULL, c.created_at, '', c.state,
                           c.owner_unit_id, c.owner_unit_id, '', {json_empty}, '[]'
                    FROM cases_case c JOIN ({steps}) p ON p.state = c.state
                    WHERE c.tracking_code LIKE 'B%' AND c.id > {base}""",
            )
        run(
            "whistle tasks",
            f"""INSERT INTO cases_whistletask (case_id, department_id, lead, state, check_in_due,
                   checked_in_at, done_at, note, created_at, case_created_at)
                SELECT c.id, b.department, {true},
                       CASE WHEN c.state IN ('closed', 'rejected', 'merged') THEN 'done'
                            WHEN b.rk < 0.15 THEN 'notified' ELSE 'working' END,
                       c.acknowledge_due,
                       CASE WHEN c.state IN ('closed', 'rejected', 'merged') OR b.rk >= 0.15
                            THEN {_later(vendor, "c.created_at", "b.rr * 6 * 3600")} END,
                       NULL, '', c.created_at, c.created_at
                FROM cases_case c JOIN bench_case b ON b.tracking_code = c.tracking_code
                WHERE c.id > {base} AND b.rt >= 0.65 AND b.rt < 0.97 AND b.rq < 0.1
                  AND c.state NOT IN ('submitted', 'rejected', 'merged')""",
        )
        for table in TEMPORARY:
            cursor.execute(f"DROP TABLE IF EXISTS {table}")
        seconds.update(words(connection, say))
        # What autovacuum does for tables that grew over years: statistics for the
        # planner and the visibility map that lets counts read indexes alone.
        started = time.perf_counter()
        cursor.execute("VACUUM ANALYZE" if vendor == "postgresql" else "ANALYZE")
        seconds["vacuum analyze"] = round(time.perf_counter() - started, 1)
    return seconds


def words(connection, say: Callable[[str], None] = print) -> dict[str, float]:  # type: ignore[no-untyped-def]
    """The words of every case for the search, as the worker's ``cases.words.write``
    writes them (its own ``pieces`` of each distinct title and text, joined to the cases
    in SQL; on PostgreSQL the GIN index built after the rows), and the mark past the
    newest case. Nothing if every case has its words."""
    import importlib
    import json

    from django.utils import timezone

    from civicgrid.cases.models import Case, CaseWords, WordsMark
    from civicgrid.cases.words import MARK, pieces

    newest = Case.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    if CaseWords.objects.count() == Case.objects.count():
        return {}
    started = time.perf_counter()
    postgres = connection.vendor == "postgresql"
    migration = importlib.import_module("civicgrid.cases.migrations.0027_words")
    with connection.cursor() as cursor:
        if postgres:
            cursor.execute(migration.DROP)
            cursor.execute("SET maintenance_work_mem = '1GB'")
        cursor.execute("DROP TABLE IF EXISTS bench_words")
        cursor.execute(
            "CREATE TEMP TABLE bench_words (title varchar(120), text text, pieces "
            + ("integer[])" if postgres else "text)")
        )
        cursor.execute("SELECT DISTINCT title, text FROM cases_case")
        rows = [
            (t, x, pieces(t, x) if postgres else json.dumps(pieces(t, x)))
            for t, x in cursor.fetchall()
        ]
        cursor.executemany("INSERT INTO bench_words VALUES (%s, %s, %s)", rows)
        cursor.execute("DELETE FROM cases_casewords")
        cursor.execute(
            """INSERT INTO cases_casewords (case_id, pieces)
               SELECT c.id, w.pieces FROM cases_case c
               JOIN bench_words w ON w.title = c.title AND w.text = c.text"""
        )
        cursor.execute("DROP TABLE bench_words")
        if postgres:
            cursor.execute(migration.CREATE)
        cursor.execute("ANALYZE cases_casewords")
    WordsMark.objects.update_or_create(
        pk=MARK, defaults={"through_id": newest + 1, "seen_id": newest, "seen_at": timezone.now()}
    )
    took = round(time.perf_counter() - started, 1)
    say(f"  words: {took} s ({len(rows):,} distinct texts)")
    return {"words": took}
