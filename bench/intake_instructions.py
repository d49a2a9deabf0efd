"""bench/intake.py's comparison counted in instructions, not seconds: the server runs
under valgrind's callgrind, and one client sends the same requests to the bare insert
and to POST /api/requests. Instruction counts repeat to the last digit whatever else
the machine does (this machine's speed swings twofold within seconds, so req/s ratios
move by ±0.05 from run to run); they do not see the kernel, cache misses or the
interpreter lock, so the throughput ratio is usually a little higher than this one.

    .venv/bin/python bench/intake_instructions.py [--database-url URL] [--requests 150]

Needs valgrind (Debian's package). Prints instructions per request of the server
process (waitress + Django + our code + psycopg/sqlite3) for both, and their ratio.
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

from intake import Client, free_port, prepare, request_for, wait_until_listening  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default="")
    parser.add_argument("--requests", type=int, default=150)
    args = parser.parse_args()
    if shutil.which("valgrind") is None:
        sys.exit("valgrind is not installed (apt-get install valgrind)")
    data_dir = tempfile.mkdtemp()
    points = prepare(args.database_url, data_dir)
    out = os.path.join(data_dir, "callgrind.out")
    port = free_port()
    env = {
        **os.environ,
        "PYTHONPATH": f"{BENCH}{os.pathsep}{os.environ.get('PYTHONPATH', '')}",
        "PYTHONHASHSEED": "0",  # the same dict layouts, so the same count, run after run
    }
    server = subprocess.Popen(
        [
            *("valgrind", "--tool=callgrind", "--instr-atstart=no", f"--callgrind-out-file={out}"),
            *(sys.executable, "-m", "civicgrid", "serve", "--no-migrate", "--port", str(port)),
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )

    def control(*flags: str) -> None:
        subprocess.run(["callgrind_control", *flags, str(server.pid)], capture_output=True)

    counts: dict[str, float] = {}
    try:
        client = Client(port)
        wait_until_listening(port, seconds=300)  # starting under valgrind is slow
        rng = random.Random(1)
        for kind in ("bare", "ours"):
            for _ in range(30):  # warm: imports, caches, the statement plans
                assert client.post(*request_for(kind, points, rng)) in (200, 201)
            control("-z")
            control("-i", "on")
            for _ in range(args.requests):
                assert client.post(*request_for(kind, points, rng)) in (200, 201)
            control("-i", "off")
            control("-d", kind)
            time.sleep(1)
    finally:
        server.terminate()
        server.wait(60)
    for path in sorted(glob.glob(out + "*")):
        text = Path(path).read_text()
        kind = re.search(r"^desc: Trigger: .*?(bare|ours)", text, re.M)
        total = re.search(r"^totals: (\d+)", text, re.M)
        if kind and total:
            counts[kind.group(1)] = int(total.group(1)) / args.requests
    print(
        json.dumps(
            {
                "benchmark": "intake_instructions",
                "database": "postgresql" if args.database_url else "sqlite",
                "requests": args.requests,
                "ours_instructions_per_request": round(counts["ours"]),
                "bare_instructions_per_request": round(counts["bare"]),
                "ratio": round(counts["bare"] / counts["ours"], 3),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
