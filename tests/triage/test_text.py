"""Triage's text utilities: one jieba, the normalisations, content words, the stop-word
lists that hot issues, reply checks and duplicates each read with (no database)."""

from __future__ import annotations

import jieba

from civicgrid.triage import hot, replies
from civicgrid.triage.text import (
    DUPLICATE_STOP_PHRASES,
    HOT_STOPWORDS,
    REPLY_STOPWORDS,
    REQUEST_STOPWORDS,
    char_ngrams,
    compact,
    content_length,
    content_words,
    cut,
    fold,
    general_idf,
    is_content_only,
    normalise,
    tokenizer,
    word_set,
)


def test_jieba_is_set_up_once_with_its_own_dictionary() -> None:
    assert tokenizer() is tokenizer() is jieba.dt
    assert jieba.dt.initialized
    assert jieba.dt.dictionary is None  # the one shipped with jieba, not set_dictionary's
    assert cut("路灯坏了") == ["路灯", "坏", "了"]


def test_cut_without_hmm_leaves_unknown_names_in_pieces() -> None:
    # 滨河苑 is no dictionary word: with the HMM jieba guesses words, without it a
    # name falls apart (hot issues rebuild place names from the pieces).
    with_hmm = cut("伊景园滨河苑捆绑销售车位")
    without = cut("伊景园滨河苑捆绑销售车位", hmm=False)
    assert "".join(with_hmm) == "".join(without) == "伊景园滨河苑捆绑销售车位"
    assert "车位" in without and "销售" in without
    assert len(without) >= len(with_hmm)


def test_the_three_normalisations() -> None:
    assert fold("ＡＢ小区三单元") == "ab小区三单元"  # full-width to ASCII, lower case
    assert normalise("  ＡＢＣ  小区\t１２３ \n") == "abc 小区 123"  # spaces folded, stripped
    assert compact(" Ａ２区 丽发新城\n小区 ") == "A2区丽发新城小区"  # no spaces, case kept
    assert compact(None) == ""


def test_content_characters() -> None:
    assert is_content_only("A2区") and is_content_only("110kv")
    assert not is_content_only("50%") and not is_content_only("路灯！")
    assert content_length("您好！路灯 坏了, 3天。") == 8
    assert char_ngrams("路灯坏", 1, 2) == ["路", "灯", "坏", "路灯", "灯坏"]
    assert char_ngrams("路", 2) == []


def test_content_words_drop_short_stop_and_punctuated_words_and_bare_numbers() -> None:
    words = ["路灯", "坏", "问题", "50%", "2019", "110", "A2区", "的", "3.5"]
    assert content_words(words, REQUEST_STOPWORDS) == ["路灯", "A2区"]
    # Only the first character checked (the reply check keeps 3.5 and 50%), and the
    # numbers someone chose to keep.
    kept = content_words(
        words, REQUEST_STOPWORDS, whole=False, keep_number=lambda n: not n.startswith("20")
    )
    assert kept == ["路灯", "50%", "110", "A2区", "3.5"]


def test_the_word_lists_share_their_core_and_differ_where_their_readers_do() -> None:
    assert REQUEST_STOPWORDS < HOT_STOPWORDS and REQUEST_STOPWORDS < REPLY_STOPWORDS
    # What a request asks for is the subject of a hot issue, but every reply says it.
    assert "处理" in REPLY_STOPWORDS and "处理" not in HOT_STOPWORDS
    assert replies.content_words("希望尽快处理路灯") == ["路灯"]
    assert "处理" in hot._analyse("希望尽快处理路灯", "").words
    # Dates tie a city's messages together in hot issues only.
    assert {"今年", "年", "月"} <= HOT_STOPWORDS and not {"今年", "年", "月"} & REPLY_STOPWORDS
    # Duplicates cut phrases out of the characters, so its list has particles and
    # fillers the word lists never see as words of their own.
    assert {"吗", "呢", "昨天", "管一管"} <= DUPLICATE_STOP_PHRASES
    assert word_set(" 的  了 的\n是 ") == frozenset({"的", "了", "是"})


def test_general_idf_weighs_rare_words_above_common_ones() -> None:
    assert general_idf("搅拌站") > general_idf("问题")
    assert general_idf("不在词表里的词xyz") == general_idf("另一个不在词表里的词xyz")
