"""The full intake (validate, locate, route, persist case + contact + event + queued
reading + idempotency key) over HTTP, against a bare one-row-insert endpoint of the
same stack (waitress, Django, Django Ninja) in the same run, with a load generator on
loopback.

    .venv/bin/python bench/intake.py [--database-url URL] [--seconds 20] [--rate 200]

On a scratch SQLite file by default, or PostgreSQL with --database-url (a scratch
database ``civicgrid_bench_intake`` is created). Reports, for ours (POST /api/requests)
and the reference (POST /bench/bare): requests/s with 8 clients in a closed loop (in
``--rounds`` alternating rounds, bare then ours, so both see the same machine), the
ratio (of the totals, and per round), and p50/p99 latency at a fixed arrival rate
(default 200/s, open loop: latency counted from the scheduled send time, so queueing
shows). Target (issue #12, with public APIs only): median per-round ratio ≥ 0.5,
p99 < 50 ms on PostgreSQL (issue #4's 0.6 was met by going under the framework), the database a
district runs; on SQLite the figures are reported without a verdict (SQLite works inside
the server's process, so its five inserts against the bare one weigh on the ratio there).
"""

from __future__ import annotations

import argparse
import gc
import http.client
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

BENCH = Path(__file__).resolve().parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def prepare(database_url: str, data_dir: str) -> list[tuple[float, float]]:
    """Migrate, build a small demo district; return points inside its grids."""
    os.environ.update(
        {
            "CIVICGRID_DATA_DIR": data_dir,
            "DJANGO_SETTINGS_MODULE": "intake_settings",
            "CIVICGRID_INTAKE_RATE_PER_IP": "0/60",
            "CIVICGRID_INTAKE_RATE_PER_PHONE": "0/60",
        }
    )
    if database_url:
        os.environ["CIVICGRID_DATABASE_URL"] = database_url
        import psycopg

        admin, name = database_url.rsplit("/", 1)
        with psycopg.connect(f"{admin}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
            conn.execute(f'CREATE DATABASE "{name}"')
    else:
        os.environ.pop("CIVICGRID_DATABASE_URL", None)
    sys.path.insert(0, str(BENCH))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from civicgrid.demo.build import generate_demo
    from civicgrid.geo.models import Boundary
    from civicgrid.org.models import UnitKind

    generate_demo(seed=1, scale=0.05)
    import shapely

    points = []
    for geometry in Boundary.objects.filter(unit__kind=UnitKind.GRID).values_list(
        "geometry", flat=True
    ):
        p = shapely.geometry.shape(geometry).representative_point()
        points.append((p.x, p.y))
    from django.db import connection

    connection.close()
    return points


def wait_until_listening(port: int, seconds: float) -> None:
    """Until the server takes connections on ``port`` (or ``seconds`` have passed)."""
    give_up = time.monotonic() + seconds
    while time.monotonic() < give_up:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.1)


class Client:
    """One keep-alive connection per thread. A request that has no answer within
    ``TIMEOUT_S`` counts as failed (status 0) and its connection is dropped: a lost
    answer must not hold a round, or the whole run, forever."""

    TIMEOUT_S = 30.0

    def __init__(self, port: int) -> None:
        self.port = port
        self.local = threading.local()

    def post(self, path: str, body: dict, headers: dict[str, str]) -> int:
        conn = getattr(self.local, "conn", None)
        if conn is None:
            conn = self.local.conn = http.client.HTTPConnection(
                "127.0.0.1", self.port, timeout=self.TIMEOUT_S
            )
        data = json.dumps(body, ensure_ascii=False).encode()
        try:
            conn.request("POST", path, data, {"Content-Type": "application/json", **headers})
            response = conn.getresponse()
            response.read()
            return response.status
        except (http.client.HTTPException, OSError):
            self.local.conn = None
            conn.close()
            return 0


def request_for(kind: str, points: list[tuple[float, float]], rng: random.Random):  # type: ignore[no-untyped-def]
    lon, lat = rng.choice(points)
    text = f"小区{rng.randint(1, 99)}号楼门口路灯不亮，晚上出行不便，请尽快维修。"
    if kind == "bare":
        return "/bench/bare", {"text": text}, {}
    body = {
        "text": text,
        "lon": lon,
        "lat": lat,
        "phone": f"138{rng.randint(0, 99_999_999):08d}",
    }
    return "/api/requests", body, {"Idempotency-Key": uuid.uuid4().hex}


def closed_loop(client: Client, kind: str, points, seconds: float, clients: int = 8) -> dict:  # type: ignore[no-untyped-def]
    stop = time.perf_counter() + seconds
    counts = {"ok": 0, "failed": 0}
    lock = threading.Lock()

    def run(seed: int) -> None:
        rng = random.Random(seed)
        ok = failed = 0
        while time.perf_counter() < stop:
            path, body, headers = request_for(kind, points, rng)
            status = client.post(path, body, headers)
            if status in (200, 201):
                ok += 1
            else:
                failed += 1
        with lock:
            counts["ok"] += ok
            counts["failed"] += failed

    started = time.perf_counter()
    threads = [threading.Thread(target=run, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    return {"requests_per_s": round(counts["ok"] / elapsed, 1), **counts}


def open_loop(client: Client, kind: str, points, seconds: float, rate: float) -> dict:  # type: ignore[no-untyped-def]
    n = int(seconds * rate)
    latencies: list[float] = []
    failures = 0
    lock = threading.Lock()
    rng = random.Random(7)
    jobs = [request_for(kind, points, rng) for _ in range(n)]
    start = time.perf_counter() + 0.2

    def send(i: int) -> None:
        nonlocal failures
        due = start + i / rate
        delay = due - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        status = client.post(*jobs[i])
        took = time.perf_counter() - due
        with lock:
            latencies.append(took)
            failures += status not in (200, 201)

    with ThreadPoolExecutor(max_workers=64) as pool:
        list(pool.map(send, range(n)))
    latencies.sort()
    return {
        "rate_per_s": rate,
        "requests": n,
        "failed": failures,
        "p50_ms": round(1000 * statistics.median(latencies), 1),
        "p99_ms": round(1000 * latencies[int(0.99 * (n - 1))], 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default="")
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--rate", type=float, default=200.0)
    parser.add_argument("--threads", type=int, default=8, help="waitress threads")
    parser.add_argument(
        "--rounds",
        type=int,
        default=20,
        help="alternating closed-loop rounds (this machine's speed swings by 2x within seconds)",
    )
    parser.add_argument(
        "--switch-interval-ms", type=float, default=None, help="passed to civicgrid serve"
    )
    args = parser.parse_args()

    data_dir = tempfile.mkdtemp()
    points = prepare(args.database_url, data_dir)
    # The load generator's own full collections (the demo district is a large heap)
    # stopped its threads for up to 90 ms and showed as the server's latency.
    gc.collect()
    gc.freeze()
    port = free_port()
    env = {**os.environ, "PYTHONPATH": f"{BENCH}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "civicgrid",
            "serve",
            "--no-migrate",
            "--port",
            str(port),
            "--threads",
            str(args.threads),
            *(
                ["--switch-interval-ms", str(args.switch_interval_ms)]
                if args.switch_interval_ms is not None
                else []
            ),
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        client = Client(port)
        wait_until_listening(port, seconds=10)
        for kind in ("bare", "ours"):  # warm up both paths (imports, locator, caches)
            closed_loop(client, kind, points, 1.0, clients=2)
        # Closed loop in alternating rounds (bare, ours, bare, …): the machine's speed
        # drifts over a run, and a ratio of two phases measured a minute apart drifts
        # with it; rounds of a few seconds see the same machine.
        rounds: dict[str, list[dict]] = {"bare": [], "ours": []}
        for _ in range(args.rounds):
            for kind in ("bare", "ours"):
                rounds[kind].append(closed_loop(client, kind, points, args.seconds / args.rounds))
        results = {}
        for kind in ("bare", "ours"):
            ok = sum(r["ok"] for r in rounds[kind])
            results[kind] = {
                "closed_loop_8_clients": {
                    "requests_per_s": round(ok / args.seconds, 1),
                    "ok": ok,
                    "failed": sum(r["failed"] for r in rounds[kind]),
                    "per_round": [r["requests_per_s"] for r in rounds[kind]],
                },
                "fixed_rate": open_loop(client, kind, points, args.seconds, args.rate),
            }
    finally:
        server.terminate()
        server.wait(10)
    ours = results["ours"]["closed_loop_8_clients"]["requests_per_s"]
    bare = results["bare"]["closed_loop_8_clients"]["requests_per_s"]
    ratio = round(ours / bare, 3) if bare else None
    per_round = [
        round(o / b, 3)
        for o, b in zip(
            results["ours"]["closed_loop_8_clients"]["per_round"],
            results["bare"]["closed_loop_8_clients"]["per_round"],
            strict=True,
        )
        if b
    ]
    p99 = results["ours"]["fixed_rate"]["p99_ms"]
    median = statistics.median(per_round) if per_round else None
    meets = bool(median and median >= 0.5 and p99 < 50) if args.database_url else None
    print(
        json.dumps(
            {
                "benchmark": "intake",
                "database": "postgresql" if args.database_url else "sqlite",
                "server": f"waitress, {args.threads} threads, on loopback",
                "ours": results["ours"],
                "reference_bare_insert": results["bare"],
                "ratio": ratio,
                "ratio_per_round": per_round,
                "ratio_per_round_median": statistics.median(per_round) if per_round else None,
                "target": {"database": "postgresql", "median_ratio": 0.5, "p99_ms": 50},
                "meets_target": meets,
            },
            ensure_ascii=False,
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
