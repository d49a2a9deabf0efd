"""The labelled examples of ``data/pii.txt`` and how a masker is scored on them.

Shared by the tests (which hold the masker to them) and ``bench/privacy.py`` (which
prints the scores beside a naive reference's).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DATA = Path(__file__).resolve().parent / "data" / "pii.txt"
KINDS = ("phone", "id", "account", "plate", "email", "room", "name")
MARK = re.compile(r"\[\[(?P<kind>[a-z]+):(?P<text>.+?)\]\]")
SPLIT = re.compile(r"^#!\s*split\s+(?P<split>\w+)\s*$")


@dataclass(frozen=True)
class Example:
    line: int
    split: str
    text: str
    names: tuple[str, ...]
    spans: tuple[tuple[int, int, str], ...]  # (start, end, kind), in order


def parse(raw: str, line: int = 0, split: str = "dev") -> Example:
    """One line: an optional ``@name `` prefix, then the text with ``[[kind:text]]`` marks."""
    names: tuple[str, ...] = ()
    if raw.startswith("@"):
        name, _sep, raw = raw[1:].partition(" ")
        names = (name.replace("_", " "),)
    text, spans, at = [], [], 0
    length = 0
    for match in MARK.finditer(raw):
        if match["kind"] not in KINDS:
            raise ValueError(f"line {line}: unknown kind {match['kind']}")
        before = raw[at : match.start()]
        text.append(before)
        length += len(before)
        spans.append((length, length + len(match["text"]), match["kind"]))
        text.append(match["text"])
        length += len(match["text"])
        at = match.end()
    text.append(raw[at:])
    plain = "".join(text)
    if "[[" in plain or "]]" in plain:
        raise ValueError(f"line {line}: a mark is not closed")
    return Example(line, split, plain, names, tuple(spans))


def load(path: Path = DATA) -> list[Example]:
    examples, split = [], "dev"
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if found := SPLIT.match(raw):
            split = found["split"]
            continue
        if not raw.strip() or raw.startswith("#"):
            continue
        examples.append(parse(raw.rstrip("\n"), number, split))
    return examples


Masker = Callable[[str, Sequence[str]], Iterable[tuple[int, int, str]]]


@dataclass
class Tally:
    gold: int = 0
    hidden: int = 0  # gold spans every character of which was masked
    found: int = 0  # predicted spans
    right: int = 0  # predicted spans that overlap a gold span
    exact: int = 0  # predicted spans equal to a gold span, kind included

    def figures(self) -> dict[str, Any]:
        return {
            "gold": self.gold,
            "predicted": self.found,
            "recall": round(self.hidden / self.gold, 4) if self.gold else None,
            "precision": round(self.right / self.found, 4) if self.found else None,
            "exact_matches": self.exact,
        }


@dataclass
class Score:
    all: Tally
    by_kind: dict[str, Tally]
    gold_chars: int
    gold_chars_hidden: int
    masked_chars: int
    masked_chars_gold: int
    negatives: int
    negatives_touched: int
    misses: list[dict[str, Any]]
    false_alarms: list[dict[str, Any]]

    def figures(self) -> dict[str, Any]:
        return {
            "spans": self.all.figures(),
            "by_kind": {k: t.figures() for k, t in self.by_kind.items() if t.gold or t.found},
            "characters": {
                "recall": round(self.gold_chars_hidden / self.gold_chars, 4),
                "precision": round(self.masked_chars_gold / self.masked_chars, 4)
                if self.masked_chars
                else None,
            },
            "negative_lines": self.negatives,
            "negative_lines_with_a_mask": self.negatives_touched,
        }


def score(examples: Iterable[Example], masker: Masker) -> Score:
    """Span recall: a gold span counts as hidden when every character of it is masked
    (by one span or several, of any kind): what matters is that nothing leaks. Span
    precision: a masked span counts as right when it overlaps a gold span. Per kind,
    recall is by the gold span's kind and precision by the masked span's."""
    total = Tally()
    kinds = {k: Tally() for k in KINDS}
    gold_chars = hidden_chars = masked_chars = masked_gold = 0
    negatives = touched = 0
    misses, alarms = [], []
    for example in examples:
        predicted = [(s, e, str(k)) for s, e, k in masker(example.text, example.names)]
        masked = {i for s, e, _k in predicted for i in range(s, e)}
        gold_at = {i for s, e, _k in example.spans for i in range(s, e)}
        gold_chars += len(gold_at)
        hidden_chars += len(gold_at & masked)
        masked_chars += len(masked)
        masked_gold += len(masked & gold_at)
        if not example.spans:
            negatives += 1
            touched += bool(predicted)
        for start, end, kind in example.spans:
            hidden = all(i in masked for i in range(start, end))
            for tally in (total, kinds[kind]):
                tally.gold += 1
                tally.hidden += hidden
            if not hidden:
                misses.append({"line": example.line, "kind": kind, "text": example.text[start:end]})
        for start, end, kind in predicted:
            right = any(s < end and start < e for s, e, _k in example.spans)
            exact = (start, end, kind) in example.spans
            for tally in (total, kinds.setdefault(kind, Tally())):
                tally.found += 1
                tally.right += right
                tally.exact += exact
            if not right:
                alarms.append({"line": example.line, "kind": kind, "text": example.text[start:end]})
    return Score(
        total,
        kinds,
        gold_chars,
        hidden_chars,
        masked_chars,
        masked_gold,
        negatives,
        touched,
        misses,
        alarms,
    )


def by_split(examples: Sequence[Example]) -> dict[str, list[Example]]:
    splits: dict[str, list[Example]] = {}
    for example in examples:
        splits.setdefault(example.split, []).append(example)
    return splits


def kinds_in(examples: Iterable[Example]) -> Counter[str]:
    return Counter(kind for e in examples for _s, _e, kind in e.spans)
