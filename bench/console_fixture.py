"""The console benchmark's fixture: the demo district with N cases shaped like a real
history, bulk-loaded by the database itself (the fixture, never what is timed).

36 months of cases, about 90 % closed and the open ones recent (some overdue); each
located in a grid and owned at its tier (grid, community, street, district) or by a
department, with a contact, 1–6 events along its path, and whistle tasks for a few
street- and district-level ones (a department's tasks lie outside its own tree).

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
TEMPORARY = ("bench_grid", "bench_dept", "bench_cat", "bench_rand", "bench_case")
TITLES = ["路灯不亮", "楼道堆放杂物", "噪声扰民", "道路坑洼", "垃圾清运不及时", "违章停车"]


def _series(vendor: str, n: int) -> str:
    """``n`` rows of independent uniform random numbers (``RANDOMS``): age, open or not,
    tier, grid, category, state mix, located or not, channel, department."""
    if vendor == "postgresql":
        randoms = ", ".join(f"random() AS {r}" for r in RANDOMS)
        return f"SELECT i, {randoms} FROM generate_series(1, {n}) AS i"
    uniform = "(abs(random() % 1000000007) / 1000000007.0)"
    randoms = ", ".join(f"{uniform} AS {r}" for r in RANDOMS)
    return (
        f"WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < {n}) "
        f"SELECT i, {randoms} FROM s"
    )


RANDOMS = ("ra", "rs", "rt", "rg", "rc", "rx", "ru", "rh", "rd")


def _cases_select(vendor: str, base: int) -> str:
    """The case plan: one row per row of ``bench_rand``, given the temporary tables
    ``bench_grid`` (idx, grid, community, street, district), ``bench_dept`` (idx, id)
    and ``bench_cat`` (idx, id); ids ``base + i``."""
    seconds_ago = "r.ra * 1095 * 86400"
    if vendor == "postgresql":
        created = f"now() - make_interval(secs => {seconds_ago})"

        def due(hours: int) -> str:
            return f"{created} + make_interval(hours => {hours})"

        code = f"'B' || lpad((r.i + {base})::text, 9, '0')"

        def pick(table: str, rand: str) -> str:
            return f"1 + floor({rand} * (SELECT count(*) FROM {table}))::int"

    else:
        ago = f"'-' || CAST({seconds_ago} AS INTEGER) || ' seconds'"
        created = f"strftime('%Y-%m-%d %H:%M:%f', 'now', {ago})"

        def due(hours: int) -> str:
            return f"strftime('%Y-%m-%d %H:%M:%f', 'now', {ago}, '+{hours} hours')"

        code = f"'B' || substr('000000000' || (r.i + {base}), -9, 9)"

        def pick(table: str, rand: str) -> str:
            return f"1 + CAST({rand} * (SELECT count(*) FROM {table}) AS INTEGER)"

    age_days = "r.ra * 1095"
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
               r.rt, r.rc, r.rg, r.rx, r.ru, r.rh, g.grid, g.community, g.street, g.district,
               d.id AS department, k.id AS category
        FROM bench_rand r
        JOIN bench_grid g ON g.idx = {pick("bench_grid", "r.rg")}
        JOIN bench_dept d ON d.idx = {pick("bench_dept", "r.rd")}
        JOIN bench_cat k ON k.idx = {pick("bench_cat", "r.rc")}
    """


def load(connection, n: int, say: Callable[[str], None] = print) -> dict[str, float]:  # type: ignore[no-untyped-def]
    """Write ``n`` cases and what belongs to them; returns seconds per table."""
    vendor = connection.vendor
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
        cursor.execute(
            """CREATE TEMP TABLE bench_cat AS SELECT row_number() OVER (ORDER BY id) AS idx, id
               FROM cases_category c
               WHERE NOT EXISTS (SELECT 1 FROM cases_category k WHERE k.parent_id = c.id)"""
        )
        cursor.execute("SELECT coalesce(max(id), 0) FROM cases_case")
        base = cursor.fetchone()[0]
        run("random numbers", f"CREATE TEMP TABLE bench_rand AS {_series(vendor, n)}")
        run("case plan", f"CREATE TEMP TABLE bench_case AS {_cases_select(vendor, base)}")
        # where each case sits: located in its grid (95 %), owned at its tier
        owner = """CASE
            WHEN state = 'submitted' OR ru < 0.05 THEN district
            WHEN rt < 0.25 THEN grid WHEN rt < 0.65 THEN community
            WHEN rt < 0.93 THEN street WHEN rt < 0.97 THEN district ELSE department END"""
        tier = """CASE WHEN rt < 0.25 THEN 'micro' WHEN rt < 0.65 THEN 'minor'
            WHEN rt < 0.93 THEN 'moderate' ELSE 'major' END"""
        final = "state IN ('closed', 'rejected', 'merged')"
        versions = " ".join(f"WHEN '{s}' THEN {len(p)}" for s, p in PATHS.items())
        run(
            "cases",
            f"""INSERT INTO cases_case (tracking_code, channel, title, text, category_id, urgency,
                   tier, lon, lat, address, grid_id, owner_unit_id, dispatcher_unit_id, state,
                   version, acknowledge_due, resolve_due, follow_up_due, due_at, acknowledged_at,
                   resolved_at, closed_at, reply, rating, solved, returns, reopens, escalations,
                   reminders, supervised, excluded_by_appeal, created_at, updated_at)
                SELECT tracking_code,
                   (CASE WHEN rh < 0.4 THEN 'hotline' WHEN rh < 0.8 THEN 'web'
                         WHEN rh < 0.9 THEN 'patrol' ELSE 'api' END),
                   '{TITLES[0]}', '基准测试工单的描述。',
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
                   NULL, NULL, CASE WHEN {final} THEN resolve_due ELSE NULL END,
                   '', CASE WHEN state = 'closed' THEN 4 ELSE NULL END, NULL, 0, 0, 0, 0,
                   NOT ({final}) AND rh < 0.05, {"false" if vendor == "postgresql" else "0"},
                   created_at, created_at
                FROM bench_case ORDER BY i""",
        )
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
                   checked_in_at, done_at, note, created_at)
                SELECT c.id, b.department, {"true" if vendor == "postgresql" else "1"},
                       CASE WHEN c.state IN ('closed', 'rejected', 'merged') THEN 'done'
                            ELSE 'working' END,
                       c.acknowledge_due, NULL, NULL, '', c.created_at
                FROM cases_case c JOIN bench_case b ON b.tracking_code = c.tracking_code
                WHERE c.id > {base} AND b.rt >= 0.65 AND b.rt < 0.97 AND b.rx < 0.1""",
        )
        for table in TEMPORARY:
            cursor.execute(f"DROP TABLE IF EXISTS {table}")
        # What autovacuum does for tables that grew over years: statistics for the
        # planner and the visibility map that lets counts read indexes alone.
        started = time.perf_counter()
        cursor.execute("VACUUM ANALYZE" if vendor == "postgresql" else "ANALYZE")
        seconds["vacuum analyze"] = round(time.perf_counter() - started, 1)
    return seconds
