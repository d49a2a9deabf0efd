"""Transitions per second through the case API, against a bare update endpoint of the
same stack (Django, Django Ninja, session auth) in the same run.

    .venv/bin/python bench/transitions.py [--requests 3000] [--database-url URL]

In-process (Django's test client: the whole request path without a socket), on a
scratch SQLite file by default or PostgreSQL with --database-url. Ours: POST
/api/cases/{code}/handle (lock, version check, permission check, save, one event)
round-robin over 100 cases. Reference: POST /bench/bare/{code}, one UPDATE of
the same row.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()

    tmp = tempfile.mkdtemp()
    os.environ["CIVICGRID_DATA_DIR"] = tmp
    if args.database_url:
        os.environ["CIVICGRID_DATABASE_URL"] = args.database_url
    else:
        os.environ.pop("CIVICGRID_DATABASE_URL", None)
    os.environ["DJANGO_SETTINGS_MODULE"] = "civicgrid.settings"
    sys.path.insert(0, str(Path(__file__).parent))
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    if connection.vendor == "postgresql":
        name = connection.settings_dict["NAME"]
        admin = connection.settings_dict | {"NAME": "postgres"}
        import psycopg

        with psycopg.connect(
            host=admin["HOST"] or "127.0.0.1",
            port=admin["PORT"] or 5432,
            user=admin["USER"],
            dbname="postgres",
            autocommit=True,
        ) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
            conn.execute(f'CREATE DATABASE "{name}"')
        connection.close()
    settings.ROOT_URLCONF = "transitions_urls"
    settings.ALLOWED_HOSTS = ["*"]
    call_command("migrate", verbosity=0)

    from django.test import Client

    from civicgrid.cases import actions
    from civicgrid.cases.actions import Submission, submit_case
    from civicgrid.cases.models import Case, Category, Urgency
    from civicgrid.demo.build import generate_demo
    from civicgrid.org.models import Unit, User

    generate_demo(seed=1, scale=0.05)
    district = Unit.objects.get(kind="district")
    admin = User.objects.get(username="admin")
    category = Category.objects.filter(children__isnull=True).first()
    cases = []
    for i in range(100):
        case = submit_case(
            Submission(channel="api", title=f"基准 {i}", text="基准测试诉求", urgency="normal"),
            actor=None,
            district=district,
        )
        case = actions.triage_case(case, actor=admin, category=category, urgency=Urgency.NORMAL)
        case = actions.dispatch_case(case, actor=admin, unit=district)
        cases.append(actions.acknowledge_case(case, actor=admin))

    client = Client()
    client.force_login(admin)
    versions = {c.tracking_code: c.version for c in cases}
    codes = list(versions)

    def ours(i: int) -> None:
        code = codes[i % len(codes)]
        response = client.post(
            f"/api/cases/{code}/handle",
            {"version": versions[code], "note": "处置中"},
            content_type="application/json",
        )
        assert response.status_code == 200, response.content[:300]
        versions[code] = response.json()["version"]

    def bare(i: int) -> None:
        response = client.post(
            f"/bench/bare/{codes[i % len(codes)]}", {}, content_type="application/json"
        )
        assert response.status_code == 200, response.content[:300]

    for fn in (ours, bare):  # warm up
        for i in range(50):
            fn(i)
    timings = {}
    for name, fn in (("ours", ours), ("bare", bare), ("ours_again", ours)):
        # The bare endpoint bumps versions too: start each run from what is stored.
        versions.update(
            Case.objects.filter(tracking_code__in=codes).values_list("tracking_code", "version")
        )
        started = time.perf_counter()
        for i in range(args.requests):
            fn(i)
        timings[name] = time.perf_counter() - started
    ours_rps = 2 * args.requests / (timings["ours"] + timings["ours_again"])
    bare_rps = args.requests / timings["bare"]
    events = sum(c.events.count() for c in Case.objects.filter(pk__in=[c.pk for c in cases]))
    print(
        json.dumps(
            {
                "benchmark": "transitions",
                "database": connection.vendor,
                "requests_each": args.requests,
                "ours_transitions_per_s": round(ours_rps, 1),
                "bare_updates_per_s": round(bare_rps, 1),
                "ratio": round(ours_rps / bare_rps, 3),
                "ours_ms_per_transition": round(1000 / ours_rps, 2),
                "bare_ms_per_update": round(1000 / bare_rps, 2),
                "events_written": events,
            },
            ensure_ascii=False,
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
