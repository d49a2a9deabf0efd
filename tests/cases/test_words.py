"""The words of cases for the search (``cases.words``): written by the worker, never on
intake's path; the search through them finds exactly what reading every text finds,
whether a case's words are written yet or not, and the mark never skips a case."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from civicgrid.cases import search, words
from civicgrid.cases.models import Case, CaseWords, WordsMark
from civicgrid.cases.tasks import schedule_words, write_words
from civicgrid.org.scoping import scope_of
from tests.cases.conftest import Staff
from tests.cases.test_queue_search import WORDS_TEXTS
from tests.factories import case_as_it_stands

LISTED = '"cases_case"."id" = ANY('  # the page reads the listed cases
SEARCHED = ["路灯", "灯", "abc", "ABC", "Abc小区", "50%", "_", "a_b", "路 灯", "5", "没有这样的话"]


def test_the_pieces_are_every_two_adjacent_characters_upper_cased_once() -> None:
    assert words.grams("路灯不亮") == {"不亮", "灯不", "路灯"}
    assert words.grams("abab", "b") == {"AB", "BA"}, "each text apart"
    assert words.grams("灯") == set(), "one character has no piece"
    assert words.grams("straße") == {"ST", "TR", "RA", "Aß", "ßE"}, (
        "a character whose capital is two letters keeps its place, as UPPER does"
    )


def test_a_piece_is_one_signed_32_bit_number_per_two_characters() -> None:
    code = ord("路") << 16 | ord("灯")  # 0x8DEF706F: above 2**31, so negative as an integer
    assert words.pieces("路灯") == [code - (1 << 32)]
    assert words.pieces("ab") == [ord("A") << 16 | ord("B")]
    assert len(words.pieces("路灯", "灯路")) == 2, "the order of the two counts"
    assert words.pieces("abab", "ba") == words.pieces("AB", "BA"), "each piece once"
    every = words.pieces("路灯不亮", "\uffff\uffff", "\U0002000b\U0002000b")
    assert all(-(1 << 31) <= n < 1 << 31 for n in every), "each fits PostgreSQL's integer"


def _cases(staff: Staff) -> list[Case]:
    owner = staff.tree.communities[0]
    now = timezone.now()
    return Case.objects.bulk_create(
        [case_as_it_stands(owner, now, title=t, text=x) for t, x in WORDS_TEXTS]
    )


def _found(staff: Staff, word: str) -> set[str]:
    found = search.narrowed(Case.objects.all(), search.Filters(words=word), staff.operator)
    return set(found.values_list("title", flat=True))


def _expected(word: str) -> set[str]:
    return {t for t, x in WORDS_TEXTS if word.upper() in t.upper() or word.upper() in x.upper()}


@pytest.mark.parametrize("written", ["none", "half", "all"])
@pytest.mark.parametrize("path", ["index", "more than few", "known common", "writer behind"])
def test_the_search_finds_exactly_what_reading_every_text_finds(
    staff: Staff, monkeypatch: pytest.MonkeyPatch, written: str, path: str
) -> None:
    """Written or not, past the mark or not, a rare word (through the index) or a common
    one (more than ``FEW`` cases, or the planner expecting more than ``COMMON``: through
    the scope's index), the cases past the mark as a list or as a range (more than
    ``PAST``): the same cases as a Python scan."""
    if path == "more than few":
        monkeypatch.setattr(words, "FEW", 1)
    if path == "known common":
        monkeypatch.setattr(words, "COMMON", -1)
    if path == "writer behind":
        monkeypatch.setattr(words, "PAST", 0)
    cases = _cases(staff)
    half = cases[len(cases) // 2].pk
    if written != "none":
        words.write(batches=None)
        through = half if written == "half" else cases[-1].pk + 1
        CaseWords.objects.filter(case_id__gte=through).delete()
        WordsMark.objects.filter(pk=words.MARK).update(through_id=through)
    for word in SEARCHED:
        assert _found(staff, word) == _expected(word), word


@pytest.mark.skipif("connection.vendor != 'postgresql'")
def test_a_rare_word_is_looked_up_in_the_index_and_the_rest_read_from_the_mark(
    staff: Staff,
) -> None:
    cases = _cases(staff)
    words.write(batches=None)
    WordsMark.objects.filter(pk=words.MARK).update(through_id=cases[-1].pk + 1)
    assert scope_of(staff.operator).reach.everywhere  # (read once per request, first)
    with CaptureQueriesContext(connection) as queries:
        assert _found(staff, "路灯") == _expected("路灯")
    estimate, lookup, page = (q["sql"] for q in queries.captured_queries)
    assert estimate.startswith("EXPLAIN") and "@>" in estimate, estimate
    assert "@>" in lookup and "UNION ALL" in lookup and "cases_wordsmark" in lookup, lookup
    assert "ANY(" in page and "cases_wordsmark" not in page, "one list, no range: " + page


@pytest.mark.skipif("connection.vendor != 'postgresql'")
def test_a_word_too_common_to_list_for_the_whole_tree_is_listed_for_part_of_it(
    staff: Staff, monkeypatch: pytest.MonkeyPatch
) -> None:
    """More than ``FEW`` cases hold the word: the whole tree reads its own index (a page
    of the word's cases is found soon among all of them); a community lists them, up to
    ``FEW_IN_PART`` (its own index would read long for a page), and finds the same."""
    monkeypatch.setattr(words, "FEW", 1)
    cases = _cases(staff)
    words.write(batches=None)
    WordsMark.objects.filter(pk=words.MARK).update(through_id=cases[-1].pk + 1)
    held = len(_expected("abc"))
    assert held > 1, "more than FEW hold it"
    for user, listed in [(staff.operator, False), (staff.community_handler, True)]:
        with CaptureQueriesContext(connection) as queries:
            found = search.narrowed(
                Case.objects.visible_to(user), search.Filters(words="abc"), user
            )
            assert set(found.values_list("title", flat=True)) == _expected("abc"), user
        page = queries.captured_queries[-1]["sql"]
        assert (LISTED in page and "LIKE" in page) is listed, (user.username, page)
        assert "@>" in " ".join(q["sql"] for q in queries.captured_queries)
    monkeypatch.setattr(words, "FEW_IN_PART", 1)
    with CaptureQueriesContext(connection) as queries:
        narrowed = search.narrowed(
            Case.objects.visible_to(staff.community_handler),
            search.Filters(words="abc"),
            staff.community_handler,
        )
        assert set(narrowed.values_list("title", flat=True)) == _expected("abc")
    assert LISTED not in queries.captured_queries[-1]["sql"], "read as common"
    # the whole tree narrowed to a unit in the filters is part of it too: listed
    monkeypatch.undo()
    monkeypatch.setattr(words, "FEW", 1)
    community = staff.tree.communities[0]
    with CaptureQueriesContext(connection) as queries:
        narrowed = search.narrowed(
            Case.objects.visible_to(staff.operator),
            search.Filters(words="abc", unit=community),
            staff.operator,
        )
        assert set(narrowed.values_list("title", flat=True)) == _expected("abc")
    assert LISTED in queries.captured_queries[-1]["sql"], "a unit chosen: listed"


def test_write_writes_each_new_case_once_and_moves_the_mark_only_after_the_margin(
    staff: Staff,
) -> None:
    cases = _cases(staff)
    start = timezone.now()
    assert words.write(now=start) == len(cases)
    assert CaseWords.objects.get(case=cases[0]).pieces == words.pieces(
        cases[0].title, cases[0].text
    )
    mark = WordsMark.objects.get()
    assert mark.seen_id == cases[-1].pk and mark.through_id <= cases[0].pk, (
        "the newest case is only seen: its transaction's neighbours may still be open"
    )
    assert words.write(now=start + words.MARGIN / 2) == 0, "written once"
    assert WordsMark.objects.get().through_id == mark.through_id, "not before the margin"
    words.write(now=start + words.MARGIN)
    assert WordsMark.objects.get().through_id == cases[-1].pk + 1
    assert words.not_written() == 0


def test_the_mark_stops_at_a_case_seen_without_its_words(staff: Staff) -> None:
    """A case whose transaction was still open when the writer passed (its words not
    written) holds the mark back, so the search reads it by its text."""
    cases = _cases(staff)
    start = timezone.now()
    words.write(now=start)
    late = cases[2]
    CaseWords.objects.filter(case=late).delete()
    words.move_mark(start + words.MARGIN)
    assert WordsMark.objects.get().through_id == late.pk
    assert late.title in _found(staff, late.title[:2])
    assert words.write(now=start + 2 * words.MARGIN) == 1
    words.move_mark(start + 4 * words.MARGIN)
    assert WordsMark.objects.get().through_id == cases[-1].pk + 1


def test_the_sweep_enqueues_the_writer_once_and_its_run_writes(staff: Staff) -> None:
    cases = _cases(staff)
    assert schedule_words() is True
    assert schedule_words() is False, "one run waiting is enough"
    waiting = DBTaskResult.objects.filter(
        task_path=write_words.module_path, status=TaskResultStatus.READY
    )
    assert waiting.count() == 1 and waiting.get().queue_name == "triage"
    assert write_words.call() == {"written": len(cases)}


def test_the_command_writes_them_all_and_says_how_many_are_past_the_mark(staff: Staff) -> None:
    cases = _cases(staff)
    out = StringIO()
    call_command("words", "--check", stdout=out)
    assert f"{len(cases)} cases past the mark" in out.getvalue()
    assert not CaseWords.objects.exists(), "--check writes nothing"
    out = StringIO()
    call_command("words", "--batch", "2", stdout=out)
    assert f"{len(cases)} cases' words written" in out.getvalue()
    assert CaseWords.objects.count() == len(cases)
    assert "until the worker's first run from" in out.getvalue(), "it says when the mark moves"
    words.move_mark(timezone.now() + words.MARGIN)
    out = StringIO()
    call_command("words", "--check", stdout=out)
    assert out.getvalue().strip() == "0 cases past the mark, read by their text"


def test_a_word_without_letter_case_is_matched_as_it_is_where_asked() -> None:
    """Chinese (and digits) have no letter case: matched as they are, the same cases
    without ``UPPER`` on every text; any other word is matched letter case aside."""
    assert [c[0] for c in words.said("路灯", as_it_is=True).children] == [
        "title__contains",
        "text__contains",
    ]
    assert [c[0] for c in words.said("路灯").children] == ["title__icontains", "text__icontains"]
    for cased in ["abc", "Abc小区", "ß路", "Ⓐ"]:
        assert words.said(cased, as_it_is=True).children[0][0] == "title__icontains", cased


def test_a_walk_of_part_of_the_tree_matches_letter_case_aside(staff: Staff) -> None:
    """Walking the whole tree, a Chinese word is matched as it is; walking part of it,
    with ``UPPER``, which PostgreSQL checks after the scope's units (one case in 14 is a
    street's), not before them on every case read."""
    assert words.condition("灯", whole_tree=True).q.children[0][0] == "title__contains"
    assert words.condition("灯", whole_tree=False).q.children[0][0] == "title__icontains"
    assert not words.condition("灯", whole_tree=True).listed, "one character: walked"
