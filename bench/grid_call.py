"""A grid call (一呼百应) to every volunteer of a grid: the caller's request, and the
outbox's fan-out after it (issue #18, "Scale").

    .venv/bin/python bench/grid_call.py [--volunteers 5000] [--rounds 30] [--database-url URL]

Creates a scratch PostgreSQL database (``civicgrid_bench_grid_call``), a district with
one street, one community and two grids: the big grid with ``--volunteers`` volunteers
with accounts, the small one (the reference, in the same run) with 5. The fixture is
bulk-inserted, not timed. Then the community's handler broadcasts calls through the
Django test client (the whole request: middleware, session, the view, the action with
its event and the enqueued fan-out task, the redirect), alternating big and small grid
``--rounds`` times each: p50/p95/p99 in ms. Finally the fan-out task of one big call is
run as the worker runs it and timed; it must queue exactly one message per volunteer
(the log adapter) and, run again, add none.
Target: the request answered within 200 ms (p95) whatever the grid's size.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

import psycopg

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/civicgrid_bench_grid_call"
TARGET_MS = 200


def percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)

    def at(q: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 1)

    return {
        "p50_ms": round(statistics.median(ordered), 1),
        "p95_ms": at(0.95),
        "p99_ms": at(0.99),
        "max_ms": round(ordered[-1], 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--volunteers", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--database-url", default=DEFAULT_URL)
    args = parser.parse_args()

    admin_url = args.database_url.rsplit("/", 1)[0] + "/postgres"
    db_name = args.database_url.rsplit("/", 1)[1]
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{db_name}"')
        conn.execute(f'CREATE DATABASE "{db_name}"')

    env = {
        **os.environ,
        "CIVICGRID_DATA_DIR": tempfile.mkdtemp(),
        "CIVICGRID_DATABASE_URL": args.database_url,
        "CIVICGRID_ALLOWED_HOSTS": "testserver",
        "CIVICGRID_NOTIFY_ADAPTERS": "log",
    }
    os.environ.update(env)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "civicgrid.settings")
    subprocess.run([sys.executable, "-m", "civicgrid", "migrate", "-v", "0"], check=True, env=env)

    import django

    django.setup()
    from django.contrib.auth.hashers import make_password
    from django.test import Client
    from django_tasks_db.models import DBTaskResult

    from civicgrid.notify.models import Notification
    from civicgrid.org import actions as org
    from civicgrid.org.models import Role, UnitKind, User
    from civicgrid.people import calls
    from civicgrid.people.call_models import GridCall
    from civicgrid.people.models import Person

    district = org.create_unit(code="B", name="基准区", kind=UnitKind.DISTRICT, parent=None)
    street = org.create_unit(code="B01", name="基准街道", kind=UnitKind.STREET, parent=district)
    community = org.create_unit(
        code="B01001", name="基准社区", kind=UnitKind.COMMUNITY, parent=street
    )
    big = org.create_unit(code="B01001001", name="大网格", kind=UnitKind.GRID, parent=community)
    small = org.create_unit(code="B01001002", name="小网格", kind=UnitKind.GRID, parent=community)
    handler = User.objects.create(username="bench-handler", password=make_password(None))
    org.grant_membership(user=handler, unit=community, role=Role.HANDLER)

    started = time.perf_counter()
    unusable = make_password(None)
    for grid, n, prefix in ((big, args.volunteers, "v"), (small, 5, "s")):
        users = User.objects.bulk_create(
            [User(username=f"{prefix}{i}", password=unusable) for i in range(n)], batch_size=2000
        )
        Person.objects.bulk_create(
            [
                Person(name=f"志愿者{i}", home_grid=grid, volunteer=True, user=user)
                for i, user in enumerate(users)
            ],
            batch_size=2000,
        )
    fixture_s = time.perf_counter() - started

    client = Client()
    client.force_login(handler)

    def broadcast(grid_id: int) -> float:
        began = time.perf_counter()
        answer = client.post(
            "/people/calls/broadcast/",
            {"grid": grid_id, "title": "清理楼道杂物", "wanted": "10", "hours": "1", "points": "5"},
        )
        took = (time.perf_counter() - began) * 1000
        if answer.status_code != 302 or "/people/calls/" not in answer["Location"]:
            raise SystemExit(f"broadcast failed: {answer.status_code}")
        return took

    for grid in (big, small, big, small):  # warm up (imports, templates, connections)
        broadcast(grid.pk)
    timings: dict[str, list[float]] = {"big": [], "small": []}
    for _ in range(args.rounds):
        timings["big"].append(broadcast(big.pk))
        timings["small"].append(broadcast(small.pk))

    call = GridCall.objects.filter(grid=big).order_by("-pk").first()
    assert call is not None
    enqueued = DBTaskResult.objects.filter(
        task_path=calls.fan_out_call.module_path, args_kwargs__args=[call.pk]
    ).count()
    began = time.perf_counter()
    result = calls.fan_out_call.call(call.pk)
    fan_out_s = time.perf_counter() - began
    queued = Notification.objects.filter(topic=f"grid_call:{call.pk}").count()
    began = time.perf_counter()
    calls.fan_out_call.call(call.pk)  # a worker that ran it twice
    again_s = time.perf_counter() - began
    queued_again = Notification.objects.filter(topic=f"grid_call:{call.pk}").count()

    big_ms, small_ms = percentiles(timings["big"]), percentiles(timings["small"])
    meets = big_ms["p95_ms"] < TARGET_MS and queued == args.volunteers == queued_again
    print(
        json.dumps(
            {
                "benchmark": "grid_call",
                "database": "postgresql",
                "volunteers": args.volunteers,
                "rounds": args.rounds,
                "fixture_s": round(fixture_s, 1),
                "broadcast_request": {
                    f"grid_of_{args.volunteers}": big_ms,
                    "reference_grid_of_5": small_ms,
                    "ratio_p50": round(big_ms["p50_ms"] / small_ms["p50_ms"], 2),
                },
                "fan_out_task": {
                    "enqueued_with_the_call": enqueued,
                    "seconds": round(fan_out_s, 2),
                    "people": result["people"],
                    "notifications_queued": queued,
                    "run_again_seconds": round(again_s, 2),
                    "notifications_after_running_again": queued_again,
                },
                "target": {"request_p95_ms": TARGET_MS, "queued": args.volunteers},
                "meets_target": meets,
            },
            indent=2,
            ensure_ascii=False,
        )
    )
    sys.exit(0 if meets else 1)


if __name__ == "__main__":
    main()
