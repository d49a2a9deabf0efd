"""Reply quality over the challenge's 2,816 government replies: flags, relevance, completeness.

    .venv/bin/python bench/replies.py [--sample]

Reads ``messages/replies.csv`` from the shared data folder (``../shared/data``
next to the repository, or ``$CIVICGRID_SHARED_DATA``); prints ``{"skipped": ...}``
and exits 0 when it is absent. The data is research-only: nothing of it is kept,
and examples are printed as ids with the first 60 characters of the reply.

The thresholds in ``civicgrid.triage.replies`` were chosen by reading a fixed
random sample of 300 replies (``random.Random(2024).sample``). By default the
figures are over the other 2,516 (held out) and, for comparison, over all;
``--sample`` reports the tuning sample alone.

Prints one JSON object.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import random
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from civicgrid.triage.replies import Flag, ReplyCheck, check_reply  # noqa: E402

SAMPLE_SEED = 2024
SAMPLE_SIZE = 300


def data_dir() -> Path:
    return Path(os.environ.get("CIVICGRID_SHARED_DATA") or ROOT.parent / "shared" / "data")


def quantiles(values: list[float]) -> dict[str, float]:
    if not values:
        return {}
    qs = statistics.quantiles(values, n=20, method="inclusive")
    return {
        "min": round(min(values), 3),
        "p10": round(qs[1], 3),
        "p25": round(qs[4], 3),
        "p50": round(qs[9], 3),
        "p75": round(qs[14], 3),
        "p90": round(qs[17], 3),
        "max": round(max(values), 3),
        "mean": round(statistics.fmean(values), 3),
    }


def summary(rows: list[dict[str, str]], checks: list[ReplyCheck]) -> dict[str, object]:
    n = len(checks)
    flags = Counter(f for c in checks for f in c.flags)
    examples: dict[str, list[dict[str, str]]] = {}
    for row, check in zip(rows, checks, strict=True):
        for flag in check.flags:
            bucket = examples.setdefault(flag, [])
            if len(bucket) < 2:
                reply = " ".join(row["reply"].split())
                bucket.append({"id": row["id"], "reply_first_60": reply[:60]})
    return {
        "replies": n,
        "ok": {
            "count": sum(c.ok for c in checks),
            "share": round(sum(c.ok for c in checks) / n, 4),
        },
        "flags": {
            str(flag): {"count": flags[str(flag)], "share": round(flags[str(flag)] / n, 4)}
            for flag in Flag
        },
        "relevance": quantiles([c.relevance for c in checks]),
        "completeness": quantiles([c.completeness for c in checks]),
        "completeness_elements": {
            e: round(sum(e in c.elements for c in checks) / n, 4)
            for e in ("done", "result", "who", "when", "contact")
        },
        "examples": {str(f): examples.get(str(f), []) for f in Flag},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sample", action="store_true", help="the 300-reply tuning sample only")
    args = parser.parse_args()

    path = data_dir() / "messages" / "replies.csv"
    if not path.is_file():
        print(json.dumps({"skipped": f"no {path}"}))
        return
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    sample_ids = {r["id"] for r in random.Random(SAMPLE_SEED).sample(rows, SAMPLE_SIZE)}

    import jieba

    jieba.setLogLevel(60)
    jieba.initialize()  # dictionary load (~1 s) is start-up, not per reply

    started = time.perf_counter()
    checks = [check_reply(r["title"], r["detail"], r["reply"]) for r in rows]
    elapsed = time.perf_counter() - started

    held_out = [i for i, r in enumerate(rows) if r["id"] not in sample_ids]
    tuning = [i for i, r in enumerate(rows) if r["id"] in sample_ids]
    out: dict[str, object] = {
        "benchmark": "replies",
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count()},
        "replies": len(rows),
        "seconds": round(elapsed, 2),
        "ms_per_reply": round(elapsed / len(rows) * 1000, 2),
        "thresholds_from": f"random.Random({SAMPLE_SEED}).sample(rows, {SAMPLE_SIZE})",
    }
    if args.sample:
        out["tuning_sample"] = summary([rows[i] for i in tuning], [checks[i] for i in tuning])
    else:
        out["held_out"] = summary([rows[i] for i in held_out], [checks[i] for i in held_out])
        out["all"] = {
            k: v
            for k, v in summary(rows, checks).items()
            if k in ("replies", "ok", "flags", "relevance", "completeness")
        }
    print(json.dumps(out, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
