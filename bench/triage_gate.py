"""When the machine may triage alone: confident and familiar, against confident only.

    .venv/bin/python bench/triage_gate.py

Trains ``TextClassifier`` on the shared data's train + dev split (``messages/labelled.csv``
from ``../shared/data`` or ``$CIVICGRID_SHARED_DATA``; prints ``{"skipped": ...}`` and
exits 0 when it is absent; nothing of it is kept or printed), then reads two sets:

- ``test``: the split's test messages, worded like the training ones;
- ``unlike``: our own messages (``tests/triage/data/unlike_training.jsonl``, 154, written
  for civicgrid, seven categories): short, colloquial, on newer subjects.

For each, the share the machine would triage alone (coverage) and how many of those it
gets wrong, under two rules in the same run: the reference, confidence ≥ 0.9 alone (the
rule before issue #16), and ours, confidence ≥ 0.9 and ``Prediction.familiar``.
Targets (issue #16 §2): no wrong automatic triage on ``unlike``; macro-F1 on ``test``
unchanged by the check (it only withholds, never changes, a reading); ≤ 2 ms a message.
"""

from __future__ import annotations

import csv
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from civicgrid.triage.textmodel import Prediction, TextClassifier, score  # noqa: E402

THRESHOLD = 0.9
UNLIKE = ROOT / "tests" / "triage" / "data" / "unlike_training.jsonl"


def data_dir() -> Path:
    return Path(os.environ.get("CIVICGRID_SHARED_DATA") or ROOT.parent / "shared" / "data")


def rule_figures(readings: list[Prediction], truth: list[str], familiar: bool) -> dict:
    auto = [
        (p, t)
        for p, t in zip(readings, truth, strict=True)
        if p.confidence >= THRESHOLD and (p.familiar or not familiar)
    ]
    return {
        "coverage": round(len(auto) / len(truth), 4),
        "automatic": len(auto),
        "wrong": sum(p.label != t for p, t in auto),
    }


def main() -> int:
    path = data_dir() / "messages" / "labelled.csv"
    if not path.is_file():
        print(json.dumps({"skipped": f"shared data absent ({path})"}))
        return 0
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    # Train, then dev, as bench/classify.py has them (the order moves macro-F1 by ±0.01).
    train = [r for r in rows if r["split"] == "train"] + [r for r in rows if r["split"] == "dev"]
    test = [r for r in rows if r["split"] == "test"]
    with UNLIKE.open(encoding="utf-8") as fh:
        unlike = [json.loads(line) for line in fh]

    started = time.perf_counter()
    model = TextClassifier().fit(
        [r["text"] for r in train], [r["label"] for r in train], [r["title"] for r in train]
    )
    training_seconds = time.perf_counter() - started
    sets = {
        "test": ([r["text"] for r in test], [r["title"] for r in test], [r["label"] for r in test]),
        "unlike": ([m["text"] for m in unlike], [""] * len(unlike), [m["label"] for m in unlike]),
    }
    out: dict = {
        "threshold": THRESHOLD,
        "typical": vars(model.typical) if model.typical else None,
        "training_seconds": round(training_seconds, 1),
    }
    for name, (texts, titles, truth) in sets.items():
        for text, title in zip(texts[:50], titles[:50], strict=True):  # warm up
            model.predict(text, title)
        readings, times = [], []
        for text, title in zip(texts, titles, strict=True):
            t0 = time.perf_counter()
            readings.append(model.predict(text, title))
            times.append((time.perf_counter() - t0) * 1000)
        out[name] = {
            "n": len(truth),
            "macro_f1": round(score(truth, [p.label for p in readings]).macro_f1, 4),
            "familiar": round(sum(p.familiar for p in readings) / len(readings), 4),
            "reference_confidence_only": rule_figures(readings, truth, familiar=False),
            "ours_confident_and_familiar": rule_figures(readings, truth, familiar=True),
            "ms_per_message": {
                "median": round(statistics.median(times), 3),
                "mean": round(statistics.fmean(times), 3),
            },
        }
    out["targets_met"] = {
        "no_wrong_automatic_on_unlike": out["unlike"]["ours_confident_and_familiar"]["wrong"] == 0,
        "ms_per_message": out["test"]["ms_per_message"]["mean"] <= 2.0,
    }
    print(json.dumps(out, ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
