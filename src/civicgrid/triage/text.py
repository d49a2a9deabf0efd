"""Text utilities of triage: one jieba, one notion of a content character, the stop words.

Triage reads request text in four places: the classifier (``textmodel``), hot issues
(``hot``), likely duplicates (``duplicates``) and reply checks (``replies``). What they
have in common lives here, so that a change (jieba's set-up, what counts as punctuation,
a stop word) is made once; what is one reader's own (place phrases, reply stock
phrases, synonyms, the classifier's number placeholders) stays with that reader.

jieba is imported only here, and lazily: loading its dictionary takes about a second,
which a process pays once, on the first cut, not at start-up.
"""

from __future__ import annotations

import logging
import re
import threading
import unicodedata
from collections.abc import Callable, Iterable
from typing import Any

__all__ = [
    "CONTENT_CHARS",
    "DUPLICATE_STOP_PHRASES",
    "HOT_STOPWORDS",
    "NON_CONTENT",
    "REPLY_STOPWORDS",
    "REQUEST_STOPWORDS",
    "char_ngrams",
    "compact",
    "content_length",
    "content_words",
    "cut",
    "fold",
    "general_idf",
    "is_content_only",
    "normalise",
    "tokenizer",
    "word_set",
]

# --- jieba ------------------------------------------------------------------------------

_jieba_lock = threading.Lock()
_jieba_ready = False


def tokenizer() -> Any:
    """jieba's default tokenizer with the dictionary shipped with jieba (no user
    dictionary, nothing downloaded), initialised once per process and without its
    chatter on stderr."""
    global _jieba_ready
    import jieba

    if not _jieba_ready:
        with _jieba_lock:
            if not _jieba_ready:
                jieba.setLogLevel(logging.WARNING)
                jieba.dt.initialize()
                _jieba_ready = True
    return jieba.dt


def cut(text: str, *, hmm: bool = True) -> list[str]:
    """jieba's words of ``text``, in order, punctuation and spaces included.

    ``hmm``: let jieba's hidden Markov model join characters its dictionary does not
    know into words (names, new words). Hot issues cut without it: it is slower, and
    their place phrases are rebuilt from the pieces anyway.
    """
    return tokenizer().lcut(text, HMM=hmm)


def general_idf(word: str) -> float:
    """The IDF of ``word`` in jieba's bundled table (general Chinese text), the table's
    median for a word it lacks: a weight that needs no corpus of our own."""
    from jieba import analyse

    table = analyse.default_tfidf
    return float(table.idf_freq.get(word, table.median_idf))


# --- characters -------------------------------------------------------------------------

#: Characters that carry meaning in a request, as a regular-expression class: digits,
#: ASCII letters and the CJK Unified Ideographs. The rest is punctuation, symbols and
#: space (after :func:`fold` or :func:`compact`, full-width letters and digits are ASCII).
CONTENT_CHARS = "0-9A-Za-z\u4e00-\u9fff"
#: A run of characters that are not content characters.
NON_CONTENT = re.compile(f"[^{CONTENT_CHARS}]+")
_CONTENT_CHAR = re.compile(f"[{CONTENT_CHARS}]")
_CONTENT_ONLY = re.compile(f"^[{CONTENT_CHARS}]+$")
_SPACE = re.compile(r"\s+")


def fold(text: str) -> str:
    """NFKC (full-width letters and digits to ASCII, compatibility forms to plain ones),
    then lower case."""
    return unicodedata.normalize("NFKC", text).lower()


def normalise(text: str) -> str:
    """:func:`fold`, runs of white space to one space, stripped: the classifier's text
    (a space still separates Latin words)."""
    return _SPACE.sub(" ", fold(text)).strip()


def compact(text: str | None) -> str:
    """NFKC with all white space removed, case kept: the text hot issues and reply checks
    cut into words (a space in Chinese text separates nothing; capitals mark district
    codes such as A2区)."""
    return _SPACE.sub("", unicodedata.normalize("NFKC", text or ""))


def is_content_only(word: str) -> bool:
    """Whether ``word`` is made of content characters only (no punctuation or symbols)."""
    return _CONTENT_ONLY.match(word) is not None


def content_length(text: str) -> int:
    """How many content characters ``text`` has."""
    return len(_CONTENT_CHAR.findall(text))


def char_ngrams(text: str, *sizes: int) -> list[str]:
    """The character n-grams of ``text`` of each size in ``sizes``, size by size, left to
    right (``char_ngrams("路灯坏", 1, 2)`` is 路, 灯, 坏, 路灯, 灯坏)."""
    return [text[i : i + n] for n in sizes for i in range(len(text) - n + 1)]


# --- stop words ---------------------------------------------------------------------------


def word_set(words: str) -> frozenset[str]:
    """A word set written as one space-separated string (long lists stay readable)."""
    return frozenset(words.split())


# Three lists, not one: each reader uses its list in its own way, and each list was
# tuned on its reader's data (bench/hot_issues.py, bench/replies.py, bench/duplicates.py).
# The two word lists share their core. Joined into one, they would change what the
# readers compute: on the shared challenge data, the relevance of 11 of 2,816 replies,
# the members of a few hot-issue clusters and the keywords of 144 of 391 (the
# benchmarks' summary figures happen to stay the same).

#: Function words and the words every request is written with (greetings, the act of
#: asking, the addressee): they say nothing about what a request is about.
REQUEST_STOPWORDS = word_set(
    "的 了 是 在 我 我们 你 你们 他 他们 它 这 那 和 与 及 或 对 为 被 把 让 给 从 到 "
    "也 都 就 还 又 再 很 非常 已经 没有 不 没 有 是否 什么 怎么 如何 为何 为什么 能否 "
    "可以 能 会 要 请 请问 希望 关于 问题 反映 投诉 举报 咨询 建议 尊敬 领导 您好 你好 "
    "市长 书记 政府 相关 部门 有关 情况 一个 一些 这个 这些 目前 现在 本人 我家 大家 "
    "居民 群众 老百姓 谢谢 感谢 严重 因为 所以 但是 而且 如果 由于 以及 其中 其他 进行 "
    "通过"
)
#: Hot issues: also dates and administrative levels (今年 年 月 市 区 A市), which the
#: messages of one city all name, and single characters (个 上 之 该 …) that
#: :mod:`civicgrid.triage.hot` also reads as the edge of a place name.
HOT_STOPWORDS = REQUEST_STOPWORDS | word_set(
    "她 那个 今年 去年 并且 已 于 等 该 此 其 之 个 上 下 中 内 外 后 前 时 年 月 日 号 "
    "A市 市 区 县 省"
)
#: Reply checks: also what a request asks and a reply acknowledges in the same words
#: (处理 解决 回复 收悉 支持 理解 …): a reply that repeats them has not yet answered
#: anything, so they must not count as the request's subject.
REPLY_STOPWORDS = REQUEST_STOPWORDS | word_set(
    "您 请求 恳请 要求 解决 处理 网友 留言 回复 答复 收悉 单位 工作 支持 理解 监督 关注 "
    "一下 能不能 是不是 可否 何时 多久 以来 之后 之前 现象 事情 事宜 事项 帮助 帮忙 麻烦 "
    "急需 尽快 强烈 呼吁 维护 权益"
)
#: Duplicates: phrases cut out of the text itself, wherever they occur (even inside a
#: longer word), before the rest is compared as characters, not words dropped after
#: jieba; so it holds particles, fillers and time words (吗 呢 一直 昨天) in which two
#: wordings of one problem differ, and was chosen on the dev pairs of
#: ``tests/triage/data/duplicates.jsonl`` for that use.
DUPLICATE_STOP_PHRASES = word_set(
    "您好 你好 请问 谢谢 感谢 麻烦 市民 本人 反映 投诉 举报 咨询 请求 要求 希望 尽快 "
    "处理 解决 相关部门 有关部门 部门 政府 领导 严重影响 影响 能不能 能否 可不可以 "
    "管一管 管管 怎么办 问题 情况 现象 我们 我家 我的 大家 居民 业主 住户 已经 多次 "
    "好几次 一直 到底 现在 最近 这两天 这几天 每天 天天 今天 昨天 前天 刚才 这个 那个 "
    "这是 那边 这边 旁边 附近 周边 一下 一些 还是 但是 而且 因为 所以 如果 什么 怎么 "
    "为什么 谁 请 都 也 就 还 又 很 太 真 的 了 着 过 吗 呢 吧 啊 呀 是 在 我 你 他 她 "
    "它 有 个 把 被 给 和 与 及 对 从 到 那 这 该"
)


def content_words(
    words: Iterable[str],
    stopwords: frozenset[str],
    *,
    whole: bool = True,
    keep_number: Callable[[str], bool] | None = None,
) -> list[str]:
    """The ``words`` that say something: two characters or more, not in ``stopwords``,
    made of content characters, and not a bare number.

    ``whole``: every character must be a content character; otherwise only the first
    (jieba's HMM cut returns 3.5 and 50% as one word, which the reply check keeps).
    ``keep_number``: which all-digit words to keep after all (a bus line, an amount).
    """
    out: list[str] = []
    for word in words:
        if len(word) < 2 or word in stopwords:
            continue
        if not (_CONTENT_ONLY.match(word) if whole else _CONTENT_CHAR.match(word)):
            continue
        if word.isdigit() and (keep_number is None or not keep_number(word)):
            continue
        out.append(word)
    return out
