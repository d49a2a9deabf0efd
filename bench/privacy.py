"""The masker of personal data against a naive reference, on our labelled examples.

    .venv/bin/python bench/privacy.py [--errors]

Reads ``tests/privacy/data/pii.txt`` (examples written for civicgrid, personal spans
marked; see its header) and scores, in the same run:

- **ours**: ``civicgrid.privacy.masking.find_personal_data``, with the resident's name
  where the example gives one (as the public surfaces pass it);
- **reference**: mask every run of 7 or more digits (ASCII or full-width): what a
  quick fix for "phone numbers in the feed" would do.

Span recall: a marked span counts as hidden when every character of it is masked;
span precision: a masked span counts as right when it overlaps a marked one (per kind,
recall by the marked kind and precision by the masked one). Characters: the same at
character level. ``negative_lines_with_a_mask``: lines with nothing personal in which
something was masked anyway. ``dev`` lines are the ones the rules were tuned on,
``test`` lines were written after them (scored first at recall 0.977, precision
0.957; the one miss, a unit named by its side, 东单元, was then fixed). Time:
characters per second over the whole set, median of 5 rounds.

When the research data is present (``../shared/data/messages`` beside the
repository, or ``$CIVICGRID_SHARED_DATA``; never in the repository), the two are also
run over its messages and replies: no labels there, so only how many spans of each kind
each finds per 1,000 characters, and the speed.

Prints one JSON object; ``--errors`` adds ours' misses and false alarms.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import re
import statistics
import sys
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "civicgrid.settings")

import django  # noqa: E402

django.setup()  # gettext for the labels; no database is touched

from civicgrid.privacy.masking import find_personal_data  # noqa: E402
from tests.privacy.labelled import Example, Masker, by_split, kinds_in, load, score  # noqa: E402

RESEARCH = (
    Path(os.environ.get("CIVICGRID_SHARED_DATA") or ROOT.parent / "shared" / "data") / "messages"
)
DIGITS = re.compile(r"[0-9０-９]{7,}")


def ours(text: str, names: Sequence[str]) -> list[tuple[int, int, str]]:
    return [(s.start, s.end, str(s.kind)) for s in find_personal_data(text, names)]


def reference(text: str, names: Sequence[str]) -> list[tuple[int, int, str]]:
    return [(m.start(), m.end(), "digits") for m in DIGITS.finditer(text)]


def speed(masker: Masker, texts: Sequence[tuple[str, Sequence[str]]], rounds: int = 5) -> float:
    """Characters per second, median of ``rounds``."""
    chars = sum(len(t) for t, _n in texts)
    times = []
    for _round in range(rounds):
        start = time.perf_counter()
        for text, names in texts:
            masker(text, names)
        times.append(time.perf_counter() - start)
    return round(chars / statistics.median(times))


def labelled(examples: list[Example], errors: bool) -> dict:
    result: dict = {
        "examples": len(examples),
        "marked_spans": dict(kinds_in(examples)),
        "negative_lines": sum(not e.spans for e in examples),
    }
    for name, masker in (("ours", ours), ("reference", reference)):
        scored = score(examples, masker)
        result[name] = {"all": scored.figures()}
        for split, part in sorted(by_split(examples).items()):
            result[name][split] = score(part, masker).figures()["spans"]
        result[name]["chars_per_second"] = speed(masker, [(e.text, e.names) for e in examples])
        if errors and name == "ours":
            result[name]["misses"] = scored.misses
            result[name]["false_alarms"] = scored.false_alarms
    return result


def research() -> dict | None:
    if not RESEARCH.is_dir():
        return None
    texts: list[tuple[str, Sequence[str]]] = []
    for name, columns in (("replies.csv", ("detail", "reply")), ("labelled.csv", ("text",))):
        with (RESEARCH / name).open(encoding="utf-8") as f:
            for row in csv.DictReader(f):
                texts += [(row[c], ()) for c in columns if row.get(c)]
    chars = sum(len(t) for t, _n in texts)
    result: dict = {"texts": len(texts), "characters": chars}
    for name, masker in (("ours", ours), ("reference", reference)):
        found: Counter[str] = Counter(k for t, n in texts for _s, _e, k in masker(t, n))
        result[name] = {
            "spans_per_1000_chars": {k: round(1000 * v / chars, 3) for k, v in found.items()},
            "chars_per_second": speed(masker, texts, rounds=1),
        }
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--errors", action="store_true", help="list ours' misses and alarms")
    args = parser.parse_args()
    report = {
        "benchmark": "privacy masking",
        "python": platform.python_version(),
        "labelled": labelled(load(), args.errors),
        "research_data": research() or f"absent ({RESEARCH}): skipped",
    }
    print(json.dumps(report, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
