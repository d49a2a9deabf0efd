"""The words search at a city's scale: the cases' two-character pieces, written by the
worker, found through an index (see docs/architecture.md, "Lists at scale").

A words search keeps the cases whose title or text holds the word (``icontains``).
Alone, that reads the viewer's scope newest first until a page is full: quick for a
common word, but a word few cases hold (a place's name) reads the whole scope, and a
street's at ten million cases is cut off at 3 s. So:

- **The worker writes each case's pieces** (``CaseWords.pieces``: every two adjacent
  characters of its upper-cased title and of its text, as numbers), off intake's path:
  the sweep enqueues ``cases.tasks.write_words``, which writes the new cases' pieces in
  batches (``write``). ``WordsMark`` says how far: every case below ``through_id`` has
  them.
- **On PostgreSQL a GIN index** (migration ``cases/0027``) finds the cases holding
  every piece of a word (``pieces @> …``). A case that holds the word holds its pieces,
  so these cases, with those the mark says are not written yet, include every match;
  the word itself (``icontains``) then decides (``condition``).
- **A common word reads as before.** When more than ``FEW`` cases hold the pieces
  (``FEW_IN_PART`` for a scope that is part of the tree, whose own index finds a page of
  the word's cases more slowly), or the planner knows them to be held by more than
  ``COMMON``, the scope's own index finds a page of them sooner than the list of ids
  would.
- A word of one character has no pieces, and SQLite has no GIN: both read as before.
- A word without letter case (Chinese) is matched as it is, not upper-cased with every
  text, in a list of ids and in a walk of the whole tree (``said``).
"""

from __future__ import annotations

import json
import unicodedata
from datetime import datetime, timedelta
from itertools import count

from django.db import connection, transaction
from django.db.models import Q, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from civicgrid.cases.lookups import Kept, ids_q
from civicgrid.cases.models import Case, CaseWords, WordsMark

# A word held by more cases than this is common: read through the scope's index.
FEW = 10_000
# …when the scope is part of the tree (a street, a community, a department): its index
# holds a street's cases, one in 21 of a district's, and reading it for a page of a word
# 16,000 of ten million cases hold took over 3 s (cut off); listing them, a tenth of it.
FEW_IN_PART = 30_000
# A word the planner expects in more cases than this is taken as common without asking
# the index (PostgreSQL keeps the frequencies of the commonest pieces; it guesses at most
# 0.5 % of the cases for any other, 50,000 of ten million).
COMMON = 100_000
# Cases past the mark read as a list with the word's (more: by their id's range).
PAST = 2_000
BATCH = 2_000
# Batches one run of the task writes at most (the next sweep enqueues the rest).
RUN_BATCHES = 50
# How long a case's transaction may stay open and still be found: the mark moves to
# the newest case the writer saw only this long after it saw it.
MARGIN = timedelta(minutes=10)
MARK = 1  # WordsMark's one row


def _upper(text: str) -> str:
    # Character by character, each keeping its place (``"ß".upper()`` is two), as
    # PostgreSQL's UPPER does for the ``icontains`` that checks the word.
    return "".join(u if len(u := c.upper()) == 1 else c for c in text)


def grams(*texts: str) -> set[str]:
    """Every two adjacent characters of each of ``texts``, upper-cased."""
    found: set[str] = set()
    for text in texts:
        upper = _upper(text)
        found.update(upper[i : i + 2] for i in range(len(upper) - 1))
    return found


def _number(gram: str) -> int:
    # Two characters of the Basic Multilingual Plane (every Chinese character in use) as
    # one 32-bit number, signed as PostgreSQL's integer; others share numbers with them,
    # which only lets the word's own check see a few cases more.
    code = (ord(gram[0]) & 0xFFFF) << 16 | (ord(gram[1]) & 0xFFFF)
    return code - (1 << 32) if code >= 1 << 31 else code


def pieces(*texts: str) -> list[int]:
    """``grams`` of ``texts`` as the numbers ``CaseWords.pieces`` keeps, sorted: four
    bytes each (the JSON of the two characters took ten)."""
    return sorted({_number(gram) for gram in grams(*texts)})


# Characters without letter case: ideographs, kana and other letters of no case ("Lo")
# and digits ("Nd"). No character's upper case is one of them.
UNCASED = frozenset({"Lo", "Nd"})


def said(word: str, *, as_it_is: bool = False) -> Q:
    """The cases whose title or text holds ``word`` (letter case aside). ``as_it_is``: a
    word of characters without case (Chinese, digits) is matched as it is, the same
    cases without upper-casing every text read (a district's page of a word at ten
    million cases read 50,000 texts: 47 ms with ``UPPER``, 17 without). Not in a walk
    of part of the tree (``condition``): PostgreSQL checks the cheaper-looking condition
    first, and a plain ``LIKE`` looks cheaper than the scope's list of units, which
    rejects 13 rows in 14 (a street's topic at ten million cases: 104 ms against 52)."""
    if as_it_is and all(unicodedata.category(c) in UNCASED for c in word):
        return Q(title__contains=word) | Q(text__contains=word)
    return Q(title__icontains=word) | Q(text__icontains=word)


def condition(word: str, *, whole_tree: bool) -> Kept:
    """What a words search keeps (``search.narrowing``): the cases holding ``word``,
    found through the index where it serves; ``whole_tree``: the list's scope is every
    case (else a list of up to ``FEW_IN_PART`` ids beats reading the scope). Two queries
    here on PostgreSQL (the planner's estimate; the ids, at most ``FEW_IN_PART`` +
    ``PAST`` + 2), whatever the size."""
    few = FEW if whole_tree else FEW_IN_PART
    walked = said(word, as_it_is=whole_tree)  # (read through the scope's index)
    held = pieces(word)
    if not held or connection.vendor != "postgresql":
        return Kept(walked)
    holding = CaseWords.objects.filter(pieces__holds=held)
    # The planner's estimate, from the statistics of the commonest pieces: a word it
    # knows to be common is read as one (listing even FEW of its cases reads all the
    # index holds of them: 12 ms for one held by 160,000 cases of ten million).
    if json.loads(holding.explain(format="json"))[0]["Plan"]["Plan Rows"] > COMMON:
        return Kept(walked)
    # The cases holding the pieces, and those past the mark (not written yet), in one
    # statement; each list at most one more than it may hold.
    mark = Coalesce(Subquery(WordsMark.objects.filter(pk=MARK).values("through_id")), 0)
    found = (
        holding.annotate(past=Value(False))
        .values_list("case_id", "past")[: few + 1]
        .union(
            Case.objects.filter(pk__gte=mark)
            .order_by("pk")  # (from the mark up the primary key, whatever the planner guesses)
            .annotate(past=Value(True))
            .values_list("pk", "past")[: PAST + 1],
            all=True,
        )
    )
    written, past = [], []
    for pk, is_past in found:
        (past if is_past else written).append(pk)
    if len(written) > few:
        return Kept(walked)
    if len(past) > PAST:  # (the writer is behind: read the cases past the mark by range)
        return Kept((ids_q(written, "pk") | Q(pk__gte=mark)) & said(word))
    # One list of ids: an OR of the list and the range made PostgreSQL combine bitmaps
    # of the scope's index (95 ms for a street's word at ten million cases, 28 without)
    return Kept(ids_q(written + past, "pk") & said(word, as_it_is=True), listed=True)


def _mark() -> WordsMark:
    # (No row until the writer's first run: nothing is written, every case is past it.)
    return WordsMark.objects.filter(pk=MARK).first() or WordsMark(pk=MARK)


def write(
    *, batches: int | None = RUN_BATCHES, size: int = BATCH, now: datetime | None = None
) -> int:
    """Write the pieces of the cases that have none, from the mark on, at most
    ``batches`` transactions of ``size`` cases (None: all); then move the mark. Returns
    how many cases were written. Safe beside another writer (a case written twice is
    written once)."""
    after = _mark().through_id - 1
    done = 0
    for _ in range(batches) if batches is not None else count():
        rows = list(
            Case.objects.filter(pk__gt=after, words__isnull=True)
            .order_by("pk")
            .values_list("pk", "title", "text")[:size]
        )
        if not rows:
            break
        CaseWords.objects.bulk_create(
            [CaseWords(case_id=pk, pieces=pieces(title, text)) for pk, title, text in rows],
            ignore_conflicts=True,
        )
        done += len(rows)
        after = rows[-1][0]
        if len(rows) < size:
            break
    move_mark(now or timezone.now())
    return done


@transaction.atomic
def move_mark(now: datetime) -> WordsMark:
    """Move the mark as far as the written cases reach, keeping ``MARGIN``: to the newest
    case seen at least that long ago, or to the first case below it without pieces (one
    whose transaction was open then, or a batch not written yet); then remember the
    newest case now."""
    mark = WordsMark.objects.select_for_update().get_or_create(pk=MARK)[0]
    if mark.seen_at is not None and now - mark.seen_at < MARGIN:
        return mark
    unwritten = (
        Case.objects.filter(pk__gte=mark.through_id, pk__lte=mark.seen_id, words__isnull=True)
        .order_by("pk")
        .values_list("pk", flat=True)
        .first()
    )
    mark.through_id = max(mark.through_id, unwritten if unwritten else mark.seen_id + 1)
    mark.seen_id = Case.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    mark.seen_at = now
    mark.save()
    return mark


def not_written() -> int:
    """How many cases the search reads by their text alone (from the mark on)."""
    return Case.objects.filter(pk__gte=_mark().through_id).count()


def mark_moves_at() -> datetime | None:
    """When the writer's next run may move the mark past the cases it has seen."""
    seen = _mark().seen_at
    return seen + MARGIN if seen is not None else None
