"""Likely duplicates on our labelled pairs: the product's rule against a TF-IDF reference.

    .venv/bin/python bench/duplicates.py [--errors dev|test]

Reads ``tests/triage/data/duplicates.jsonl`` (invented requests, written for this
bench; see the README beside it): pairs of an earlier and a new request with the
metres between them (or ``null``), whether they share a grid, the days between
them, the label, and a ``dev``/``test`` split.

- **ours**: ``civicgrid.triage.duplicates.is_duplicate`` on
  ``similarity(new, earlier)`` — the very functions ``likely_duplicates`` applies to
  each candidate. Its threshold is the product's ``MIN_SIMILARITY``; the threshold
  that is best on dev is printed beside it (they should agree: the constant is chosen
  there).
- **reference**: TF-IDF over jieba words (fitted on the dev texts), cosine, under the
  same place and time rule (``is_duplicate`` with the reference's score), threshold
  the best F1 on dev.
- **bigram_dice**: the Dice coefficient of the two texts' character bigrams
  (``duplicates.bigrams``, what ``similarity`` was before it masked places and
  boilerplate), same rule, threshold the best F1 on dev.

Figures on ``test`` are the ones to report; ``dev`` is for choosing. Time per
comparison: ours "cold" (neither text read before) and "hotline" (a new text against
all the set's earlier texts already read, as when the hotline asks again on the next
keystroke over the same candidates); the reference segments and vectorises both texts.

Prints one JSON object; ``--errors`` adds the misjudged pairs of a split.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "civicgrid.settings")

import django  # noqa: E402

django.setup()  # duplicates.py imports the Case model; no database is touched

from civicgrid.triage import duplicates  # noqa: E402

DATA = ROOT / "tests" / "triage" / "data" / "duplicates.jsonl"
THRESHOLDS = [round(0.01 * i, 2) for i in range(1, 100)]


@dataclass(frozen=True)
class Pair:
    id: str
    split: str
    kind: str
    earlier: str
    new: str
    metres: float | None
    same_grid: bool
    days: float
    duplicate: bool


def load_pairs(path: Path = DATA) -> list[Pair]:
    with path.open(encoding="utf-8") as fh:
        rows = [json.loads(line) for line in fh if line.strip()]
    return [
        Pair(
            r["id"],
            r["split"],
            r["kind"],
            r["earlier"],
            r["new"],
            r["metres"],
            r["same_grid"],
            r["days"],
            r["duplicate"],
        )
        for r in rows
    ]


def decide(pairs: Sequence[Pair], scores: Sequence[float], threshold: float) -> list[bool]:
    return [
        duplicates.is_duplicate(
            s, metres=p.metres, same_grid=p.same_grid, days=p.days, threshold=threshold
        )
        for p, s in zip(pairs, scores, strict=True)
    ]


def figures(pairs: Sequence[Pair], said: Sequence[bool]) -> dict[str, float | int]:
    tp = sum(p.duplicate and s for p, s in zip(pairs, said, strict=True))
    fp = sum(not p.duplicate and s for p, s in zip(pairs, said, strict=True))
    fn = sum(p.duplicate and not s for p, s in zip(pairs, said, strict=True))
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "pairs": len(pairs),
        "precision": round(precision, 3),
        "recall": round(recall, 3),
        "f1": round(f1, 3),
        "tp": tp,
        "fp": fp,
        "fn": fn,
    }


def best_threshold(pairs: Sequence[Pair], scores: Sequence[float]) -> float:
    """The middle of the widest-F1 run of thresholds (a plateau's edge overfits)."""
    f1s = [figures(pairs, decide(pairs, scores, t))["f1"] for t in THRESHOLDS]
    best = max(f1s)
    at = [t for t, f in zip(THRESHOLDS, f1s, strict=True) if f == best]
    return at[len(at) // 2]


class Reference:
    """TF-IDF over jieba words, cosine: what one would try first."""

    def __init__(self, texts: Sequence[str]) -> None:
        import jieba
        from sklearn.feature_extraction.text import TfidfVectorizer

        self._cut = jieba.lcut
        self.vectoriser = TfidfVectorizer(
            tokenizer=self.words, token_pattern=None, lowercase=False, sublinear_tf=True
        )
        self.vectoriser.fit(texts)

    def words(self, text: str) -> list[str]:
        return [w for w in self._cut(text) if w.strip() and any(c.isalnum() for c in w)]

    def score(self, a: str, b: str) -> float:
        x = self.vectoriser.transform([a, b])  # rows are L2-normalised
        return float(x[0].multiply(x[1]).sum())


def bigram_dice(a: str, b: str) -> float:
    x, y = duplicates.bigrams(a), duplicates.bigrams(b)
    return 2 * len(x & y) / (len(x) + len(y)) if x and y else 0.0


def timed(compare: Callable[[str, str], float], pairs: Sequence[Pair]) -> tuple[list, float]:
    started = time.perf_counter()
    scores = [compare(p.new, p.earlier) for p in pairs]
    return scores, (time.perf_counter() - started) * 1000 / len(pairs)


def hotline_ms(pairs: Sequence[Pair]) -> float:
    """Each new text (not read before) against every earlier text (read before)."""
    candidates = [p.earlier for p in pairs]
    for c in candidates:
        duplicates.similarity(c, c)
    started = time.perf_counter()
    for i, p in enumerate(pairs):
        new = f"{p.new} {i}"  # a text the cache has not seen
        for c in candidates:
            duplicates.similarity(new, c)
    return (time.perf_counter() - started) * 1000 / (len(pairs) * len(candidates))


def by_kind(pairs: Sequence[Pair], said: Sequence[bool]) -> dict[str, str]:
    """Right/all per kind of pair, to see where each method fails."""
    right, total = Counter(), Counter()
    for p, s in zip(pairs, said, strict=True):
        total[p.kind] += 1
        right[p.kind] += s == p.duplicate
    return {k: f"{right[k]}/{total[k]}" for k in sorted(total)}


def errors(pairs: Sequence[Pair], scores: Sequence[float], said: Sequence[bool]) -> list[dict]:
    return [
        {
            "id": p.id,
            "kind": p.kind,
            "label": p.duplicate,
            "score": round(s, 3),
            "earlier": p.earlier,
            "new": p.new,
        }
        for p, s, d in zip(pairs, scores, said, strict=True)
        if d != p.duplicate
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--errors", choices=("dev", "test"), help="list the misjudged pairs")
    args = parser.parse_args()

    pairs = load_pairs()
    dev = [p for p in pairs if p.split == "dev"]
    test = [p for p in pairs if p.split == "test"]

    import jieba

    jieba.setLogLevel(60)
    jieba.initialize()  # dictionary load (~1 s) is start-up, not per comparison
    duplicates.similarity("预热", "预热")  # imports and compiled patterns, not per comparison

    duplicates.clear_cache()
    ours_dev, _ = timed(duplicates.similarity, dev)
    duplicates.clear_cache()
    ours_test, ours_ms_cold = timed(duplicates.similarity, test)
    ours_ms_hotline = hotline_ms(pairs)

    reference = Reference([t for p in dev for t in (p.earlier, p.new)])
    ref_dev, _ = timed(reference.score, dev)
    ref_test, ref_ms = timed(reference.score, test)
    dice_dev, _ = timed(bigram_dice, dev)
    dice_test, dice_ms = timed(bigram_dice, test)

    ours_t = duplicates.MIN_SIMILARITY
    ref_t = best_threshold(dev, ref_dev)
    ours_said = decide(test, ours_test, ours_t)
    ref_said = decide(test, ref_test, ref_t)
    dice_t = best_threshold(dev, dice_dev)
    dice_said = decide(test, dice_test, dice_t)
    out: dict[str, object] = {
        "benchmark": "duplicates",
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count()},
        "data": str(DATA.relative_to(ROOT)),
        "pairs": {"dev": len(dev), "test": len(test)},
        "rule": {"radius_m": duplicates.RADIUS_M, "days": duplicates.DAYS},
        "ours": {
            "threshold": ours_t,
            "best_on_dev": best_threshold(dev, ours_dev),
            "dev": figures(dev, decide(dev, ours_dev, ours_t)),
            "test": figures(test, ours_said),
            "test_by_kind": by_kind(test, ours_said),
            "ms_per_comparison_cold": round(ours_ms_cold, 4),
            "ms_per_comparison_hotline": round(ours_ms_hotline, 4),
        },
        "reference": {
            "method": "TF-IDF (jieba words, fitted on dev) cosine, same place/time rule",
            "threshold": ref_t,
            "dev": figures(dev, decide(dev, ref_dev, ref_t)),
            "test": figures(test, ref_said),
            "test_by_kind": by_kind(test, ref_said),
            "ms_per_comparison": round(ref_ms, 4),
        },
        "bigram_dice": {
            "method": "Dice of character bigrams of the whole texts, same place/time rule",
            "threshold": dice_t,
            "dev": figures(dev, decide(dev, dice_dev, dice_t)),
            "test": figures(test, dice_said),
            "test_by_kind": by_kind(test, dice_said),
            "ms_per_comparison": round(dice_ms, 4),
        },
    }
    if args.errors:
        chosen = dev if args.errors == "dev" else test
        scores = ours_dev if args.errors == "dev" else ours_test
        out["errors"] = errors(chosen, scores, decide(chosen, scores, ours_t))
    print(json.dumps(out, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
