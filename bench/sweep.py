"""The deadline sweep: N cases past their acknowledge deadline, swept by two
``civicgrid worker --once`` processes at once on PostgreSQL.

    .venv/bin/python bench/sweep.py [--cases 100000] [--workers 2] [--database-url URL]

Creates a scratch database (``civicgrid_bench_sweep``), a small district and the
cases (inserted in bulk: the fixture, not what is measured), then times the
workers from start to exit and checks exactly-once: one escalation, one
supervision and one mark per case. The reference in the same run is a bare SQL
statement marking every case at once (the floor no per-case logic can beat).
Target (issue #3): 100,000 cases in ≤ 10 s.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import timedelta

import psycopg

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/civicgrid_bench_sweep"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--database-url", default=DEFAULT_URL)
    args = parser.parse_args()

    admin_url = args.database_url.rsplit("/", 1)[0] + "/postgres"
    db_name = args.database_url.rsplit("/", 1)[1]
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{db_name}"')
        conn.execute(f'CREATE DATABASE "{db_name}"')

    tmp = tempfile.mkdtemp()
    env = {**os.environ, "CIVICGRID_DATA_DIR": tmp, "CIVICGRID_DATABASE_URL": args.database_url}
    os.environ.update(env)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "civicgrid.settings")
    subprocess.run([sys.executable, "-m", "civicgrid", "migrate", "-v", "0"], check=True, env=env)

    import django

    django.setup()
    from django.db import connection
    from django.utils import timezone

    from civicgrid.cases.models import Case, CaseEvent, DeadlineMark, ResidentContact, State
    from civicgrid.demo.build import generate_demo
    from civicgrid.org.models import Unit, UnitKind

    generate_demo(seed=1, scale=0.05)
    communities = list(Unit.objects.filter(kind=UnitKind.COMMUNITY))
    district = Unit.objects.get(kind=UnitKind.DISTRICT)
    now = timezone.now()
    started = time.perf_counter()
    batch = 5000
    for offset in range(0, args.cases, batch):
        n = min(batch, args.cases - offset)
        cases = Case.objects.bulk_create(
            [
                Case(
                    channel="web",
                    title="基准测试工单",
                    text="签收超时的工单。",
                    tier="minor",
                    owner_unit=communities[i % len(communities)],
                    dispatcher_unit=district,
                    state=State.DISPATCHED,
                    version=1,
                    acknowledge_due=now - timedelta(minutes=5),
                    resolve_due=now + timedelta(days=5),
                    created_at=now - timedelta(hours=3),
                    tracking_code=f"B{offset + i:09d}",
                )
                for i in range(n)
            ]
        )
        CaseEvent.objects.bulk_create(
            [
                CaseEvent(
                    case=c,
                    seq=1,
                    action="dispatch",
                    at=c.created_at,
                    from_state="",
                    to_state=State.DISPATCHED,
                    from_unit=district,
                    to_unit=c.owner_unit,
                )
                for c in cases
            ]
        )
        ResidentContact.objects.bulk_create([ResidentContact(case=c) for c in cases])
    with connection.cursor() as cursor:
        # What autovacuum does for a table that grew over days: without statistics the
        # planner guesses a few dozen due cases and sorts all 100,000 in every batch.
        cursor.execute("ANALYZE")
    fixture_s = time.perf_counter() - started

    started = time.perf_counter()
    workers = [
        subprocess.Popen(
            [sys.executable, "-m", "civicgrid", "worker", "--once", "--interval", "0.05"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(args.workers)
    ]
    errors = [w.communicate()[1] for w in workers]
    sweep_s = time.perf_counter() - started

    escalations = dict(
        CaseEvent.objects.filter(action="escalate")
        .values_list("case")
        .annotate(n=django.db.models.Count("pk"))
        .values_list("case", "n")
    )
    supervisions = CaseEvent.objects.filter(action="supervise").count()
    marks = DeadlineMark.objects.count()
    exactly_once = (
        len(escalations) == args.cases
        and set(escalations.values()) == {1}
        and supervisions == args.cases
        and marks == args.cases
    )

    # Reference: one UPDATE touching every case, no per-case logic.
    with connection.cursor() as cursor:
        started = time.perf_counter()
        cursor.execute(
            "UPDATE cases_case SET supervised = true, version = version + 1 WHERE state = %s",
            [State.DISPATCHED],
        )
        reference_s = time.perf_counter() - started

    print(
        json.dumps(
            {
                "benchmark": "sweep",
                "database": "postgresql",
                "cases": args.cases,
                "workers": args.workers,
                "fixture_insert_s": round(fixture_s, 2),
                "sweep_s": round(sweep_s, 2),
                "cases_per_s": round(args.cases / sweep_s, 1),
                "reference_single_update_s": round(reference_s, 3),
                "exactly_once": exactly_once,
                "escalated_cases": len(escalations),
                "supervise_events": supervisions,
                "marks": marks,
                "worker_errors": [e[-500:] for e in errors if e.strip()],
                "target_s": 10,
                "meets_target": exactly_once and sweep_s <= 10,
            },
            ensure_ascii=False,
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
