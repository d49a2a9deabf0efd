"""Hot issues (热点问题): groups of requests about one concrete problem at one place.

Why this shape: a "hot issue" in citizen requests is many residents writing, within
weeks of each other, about the same thing at the same place — a mixing plant next to
one estate, one developer's parking-space sales. Text similarity alone merges the
same complaint about different estates (noise is noise everywhere) and keeps apart
messages that word one problem differently, so we cluster on three signals:

- **topic** — TF-IDF on jieba words and on character bigrams (bigrams survive
  jieba's mis-segmentation of names and variants such as 搅拌站/搅拌厂), cosine;
  place names are masked out of it, so two issues of one estate do not look alike
  only because they name the estate;
- **place** — place-like phrases extracted from the text (names ending in
  小区/花园/苑/城/路/街/村/广场/公寓/大厦/站 …), district codes, the item's
  ``place`` code and its coordinates. A shared place lowers the topic threshold a
  lot; a clearly different place forbids the link;
- **time** — two items link only if they are at most ``window_days`` apart, so a
  cluster is a run of activity with no gap longer than the window.

Clustering is single linkage over a sparse graph in three passes, which keeps
items that do not name a place from bridging two estates' clusters:

1. items whose places agree link when their topic similarity ≥ ``TOPIC_SAME_PLACE``
   (connected components);
2. items left alone after pass 1 join the cluster of their most similar neighbour
   whose place is unknown relative to them (neither agrees nor conflicts), if the
   topic similarity ≥ ``TOPIC_NO_PLACE``;
3. items still alone link with each other at ``TOPIC_NO_PLACE`` (components).

Similarities are computed in time-sorted blocks against the items within the
window only, so the cost is about ``n × (items per window)``, not ``n²``; the slow
part is jieba, which only sees the title and the start of the text.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np
from scipy import sparse
from scipy.sparse.csgraph import connected_components

from civicgrid.triage.text import (
    HOT_STOPWORDS,
    NON_CONTENT,
    char_ngrams,
    compact,
    content_words,
    cut,
    is_content_only,
    word_set,
)

__all__ = ["Cluster", "HeatParts", "Item", "heat", "hot_issues"]

# --- parameters ---------------------------------------------------------------------
# Set by reading the clusters they produce on the challenge's public messages (there
# is no ground truth to fit them to; bench/hot_issues.py) and on invented cases
# (tests/triage/test_hot.py). Topic cosines of one complaint reworded by different
# residents run 0.2–0.6; of two complaints about one estate, 0–0.2.

#: Characters of ``text`` that jieba sees after the title: the place and the
#: complaint are stated up front; jieba is ~10× slower than the rest together.
JIEBA_TEXT_CHARS = 80
#: Characters of ``text`` in the character-bigram features.
CHAR_TEXT_CHARS = 300
#: Topic cosine needed to link two items whose places agree.
TOPIC_SAME_PLACE = 0.22
#: Topic cosine needed when the places cannot be compared (one has none).
TOPIC_NO_PLACE = 0.5
#: Cosine of the place-phrase vectors at or above which two places agree.
PLACE_AGREE = 0.3
#: Coordinates closer than this agree; further apart they conflict.
GEO_RADIUS_M = 1000.0
#: Pseudo-documents in the IDF's denominator; see :func:`_weigh`.
BACKGROUND_DOCS = 500
#: Weight of the title against the text in the topic vector (titles state the issue).
TITLE_WEIGHT = 2
#: Weight of jieba words against character bigrams in the topic vector.
WORD_WEIGHT = 1.0
CHAR_WEIGHT = 0.8

#: Endings of place names. Two-character endings are matched first.
PLACE_SUFFIXES = (
    "小区",
    "花园",
    "家园",
    "新城",
    "广场",
    "公寓",
    "大厦",
    "社区",
    "街道",
    "大道",
    "公馆",
    "山庄",
    "名园",
    "苑",
    "城",
    "路",
    "街",
    "村",
    "站",
    "园",
    "庭",
    "湾",
    "府",
    "郡",
    "墅",
    "院",
    "镇",
    "里",
)


#: Words ending like a place that are not one (or name a facility, which is the topic).
NOT_PLACES = word_set(
    "道路 马路 公路 铁路 线路 思路 出路 网路 水路 电路 里 临街 沿街 上街 逛街 "
    "县城 城里 农村 乡村 山村 村里 农家院 校园 "
    "院里 医院 法院 学院 幼儿园 乐园 庭院 政府 市政府 区政府 县政府 人民政府 这里 那里 哪里 "
    "心里 家里 夜里 公里 千里 万里 搅拌站 加油站 充电站 中转站 收费站 变电站 基站 垃圾站 "
    "工作站 服务站 车站 网站 污水站 泵站 城市 全城 进城 商城 老城 县里 市里 "
    "小区里 停车场 菜园 果园 田园 物业 业主"
)

#: District codes as the challenge data writes them (A2区, A7县). Real district names
#: are not matched here; the ``place`` code and coordinates cover them.
_DISTRICT = re.compile(r"[A-Z]\d{1,2}[区县市]")

ItemId = Hashable


@dataclass(frozen=True, slots=True)
class Item:
    """One request as hot-issue detection sees it: text, time, where and who."""

    id: ItemId
    title: str
    text: str
    at: datetime
    lon: float | None = None
    lat: float | None = None
    #: A grid/community code or similar; equal codes count as the same place.
    place: str | None = None
    #: Who wrote it (phone, user name): repeat posts by one resident weigh less.
    residents: str | None = None
    #: Residents' support (点赞).
    likes: int = 0
    #: 1.0 ordinary; higher for safety/health risks, set by the caller's triage.
    severity: float = 1.0


@dataclass(frozen=True, slots=True)
class HeatParts:
    """What the heat index is made of, reported so a dashboard can explain it."""

    count: int
    #: (recent − before) / (recent + before), in [−1, 1]; see :func:`heat`.
    growth: float
    #: Distinct residents (unknown identities count as distinct).
    residents: int
    #: Mean member severity.
    severity: float
    #: Sum of member likes.
    likes: int
    #: Members in the recent window and in the window before it.
    recent: int
    before: int


@dataclass(frozen=True, slots=True)
class Cluster:
    """One hot issue: its members, heat, a representative title and a label."""

    #: In time order.
    member_ids: list[ItemId]
    heat: float
    parts: HeatParts
    #: The member title closest to the cluster's topic centroid.
    title: str
    #: Place phrases and keywords joined for display.
    label: str
    places: list[str]
    keywords: list[str]
    first_at: datetime
    last_at: datetime
    lon: float | None = None
    lat: float | None = None
    #: End of the window that ``parts.recent`` counts (``now``, or the cluster's peak).
    recent_until: datetime | None = field(default=None)

    @property
    def size(self) -> int:
        return len(self.member_ids)


def heat(
    count: int,
    growth: float = 0.0,
    residents: int | None = None,
    severity: float = 1.0,
    likes: int = 0,
) -> float:
    """The heat index of a cluster.

    ``heat = (R + 0.25·(N − R)) · (1 + 0.5·g) · s · (1 + 0.2·ln(1 + L))``

    - ``N`` = ``count`` messages, ``R`` = distinct ``residents`` (defaults to ``N``):
      the same person writing again is a quarter of a new person — campaigns of
      repeat posts should not outrank many residents, but persistence still counts;
    - ``g`` = ``growth`` in [−1, 1], ``(recent − before) / (recent + before)`` over
      the recent window and the one before it (see :func:`hot_issues`): all-new
      scores ×1.5, doubling ×1.17, steady ×1, gone quiet ×0.5;
    - ``s`` = mean ``severity`` (1 = ordinary);
    - ``L`` = total ``likes``: residents' support, on a log scale because a single
      viral message can collect thousands; 1,000 likes ≈ ×2.4, 50 ≈ ×1.8. Size
      still dominates: on the public-message data the two issues that dozens of
      residents wrote about outrank single messages with 2,000 likes.

    Strictly increasing in each of count, growth, residents, severity and likes
    separately (with ``R ≤ N``).
    """
    n = max(count, 0)
    r = n if residents is None else min(max(residents, 0), n)
    g = min(max(growth, -1.0), 1.0)
    return (
        (r + 0.25 * (n - r))
        * (1.0 + 0.5 * g)
        * max(severity, 0.0)
        * (1.0 + 0.2 * math.log1p(max(likes, 0)))
    )


# --- features --------------------------------------------------------------------


def _place_suffix(tok: str) -> str | None:
    for suffix in _SUFFIXES_BY_LAST.get(tok[-1:], ()):
        if tok.endswith(suffix):
            return suffix
    return None


_SUFFIXES_BY_LAST: dict[str, tuple[str, ...]] = {}
for _suffix in PLACE_SUFFIXES:
    _SUFFIXES_BY_LAST[_suffix[-1]] = (*_SUFFIXES_BY_LAST.get(_suffix[-1], ()), _suffix)


#: Generic place words that still mark a place when a name precedes them (X新城, X小区).
_GENERIC_MARKERS = word_set(
    "小区 花园 社区 家园 新城 广场 公园 街道 大道 城 园 苑 村 路 街 站 院 镇 府"
)
#: Characters that open a phrase without being part of the name (在X小区, 住X花园).
_LEADING_NOISE = "在于对向和与的是到住近旁边及"
_ADMIN_PREFIX = re.compile(r"^(?:[A-Z]?\d{0,2}[市区县省])+")
#: Stop words that can still be part of a name (幸福之城, 中心广场, 上城公寓).
_IN_NAMES = word_set("之 中 上 下 内 外 前 后 市 区 县 省 号")
#: Tokens that end a walk back over a place name (这条路, 一个小区).
_NAME_STOPS = word_set(
    "这条 那条 一条 这段 那段 这个 那个 一个 整个 我们 你们 他们 各个 所在 附近 周边 "
    "旁边 对面 门口 位于 地处 家住 住在 居住 进入 前往 经过 沿线 一带"
)


@dataclass(slots=True)
class _Doc:
    words: list[str]
    chars: str
    places: list[str]
    phrases: list[str]
    districts: frozenset[str]


def _analyse(title: str, text: str) -> _Doc:
    """Words, place phrases and the place-masked string of one item.

    A place is a jieba token ending in a place suffix (and not a common word such as
    道路 or 城市) together with the token before it, since jieba splits unknown
    estate names into pieces (金X/新城). From each phrase we keep its character
    n-grams ending at the suffix, of 3–6 characters, and its bigrams: the long ones
    match one estate exactly, the bigrams match its variants (金桂新城 vs 金桂小区),
    and IDF down-weights the generic parts (新城, 小区). The phrases are masked out of
    the topic features, everywhere in the text.
    """
    title, text = compact(title), compact(text)
    head = f"{title}。{text[:JIEBA_TEXT_CHARS]}"
    toks = cut(head, hmm=False)
    starts: list[int] = []
    pos = 0
    for tok in toks:
        starts.append(pos)
        pos += len(tok)
    masked = list(toks)
    grams: list[str] = []
    phrases: list[str] = []
    for k, tok in enumerate(toks):
        suffix = _place_suffix(tok)
        if suffix is None or tok in NOT_PLACES or not is_content_only(tok):
            continue
        # The name before a generic ending (X小区, X城): walk back over word tokens.
        # A token with its own name (翠竹苑) needs less of the tokens before it.
        own = 0 if tok in _GENERIC_MARKERS else len(tok) - len(suffix)
        first = k
        name = own
        while first > 0 and name < 3 and k - first < 3:
            prev = toks[first - 1]
            if prev in _NAME_STOPS or (prev in HOT_STOPWORDS and prev not in _IN_NAMES):
                break
            if not is_content_only(prev):
                break
            first -= 1
            # A generic word inside a name (丽发|新城|小区) is not yet the name itself.
            name += 0 if prev in _GENERIC_MARKERS else len(prev)
        if name < 2:
            continue
        end = starts[k] + len(tok)
        # jieba cuts an unknown name into single characters (伊|景园|滨河苑): a single
        # character just before the name that is no stop word belongs to it.
        while first > 0 and end - starts[first - 1] <= 8:
            prev = toks[first - 1]
            if len(prev) != 1 or prev in HOT_STOPWORDS or prev in _LEADING_NOISE:
                break
            if prev in _NAME_STOPS or not is_content_only(prev):
                break
            first -= 1
        # A leading word like 在/住 is dropped when it is a token of its own, never a
        # character of the name (和平村 keeps its 和).
        while first < k and len(toks[first]) == 1 and toks[first] in _LEADING_NOISE:
            first += 1
        raw = head[max(starts[first], end - 8) : end]
        phrase = _ADMIN_PREFIX.sub("", raw)
        if len(phrase) < len(suffix) + 2 or phrase in NOT_PLACES:
            continue
        phrases.append(phrase)
        shortest = len(tok) + 2 if tok in _GENERIC_MARKERS or len(tok) == 1 else len(tok)
        grams.extend(phrase[-n:] for n in range(max(3, shortest), min(6, len(phrase)) + 1))
        grams.extend("~" + g for g in char_ngrams(phrase, 2))
        for m in range(first, k + 1):
            masked[m] = " "
    n_title = 0
    length = 0
    while n_title < len(toks) and length < len(title):
        length += len(toks[n_title])
        n_title += 1
    title_words = content_words(masked[:n_title], HOT_STOPWORDS)
    words = title_words * TITLE_WEIGHT + content_words(masked[n_title:], HOT_STOPWORDS)
    rest = text[JIEBA_TEXT_CHARS:CHAR_TEXT_CHARS]
    for phrase in sorted(dict.fromkeys(phrases), key=len, reverse=True):
        rest = rest.replace(phrase, " ")
    masked_title = "".join(masked[:n_title])
    chars = " ".join([masked_title] * TITLE_WEIGHT + ["".join(masked[n_title:]), rest])
    districts = frozenset(_DISTRICT.findall(f"{title}{text[:CHAR_TEXT_CHARS]}")) - {"A市"}
    return _Doc(
        words=words,
        chars=NON_CONTENT.sub(" ", chars),
        places=grams,
        phrases=phrases,
        districts=districts,
    )


def _identity(x: list[str]) -> list[str]:
    return x


def _weigh(counts: sparse.csr_matrix) -> sparse.csr_matrix:
    """Sublinear TF × background-smoothed IDF, rows L2-normalised (empty rows stay 0).

    ``idf = ln((N + B + 1) / (df + 1)) + 1`` with ``B`` = :data:`BACKGROUND_DOCS`: as
    if the batch came with ``B`` more documents that lack every term. Plain IDF in a
    batch of ten messages about one problem makes the problem's own words (all ten
    share them) the least important; smoothed, a small batch is weighed nearly by
    TF alone, and a batch of thousands nearly by plain IDF.
    """
    from sklearn.preprocessing import normalize  # here: 0.6 s to import, not at start-up

    x = counts.tocsr().astype(np.float32)
    n = x.shape[0]
    df = np.bincount(x.indices, minlength=x.shape[1])
    idf = np.log((n + BACKGROUND_DOCS + 1) / (df + 1)) + 1.0
    x.data = (1.0 + np.log(x.data)) * idf[x.indices].astype(np.float32)
    return normalize(x).tocsr()


def _vectorise(
    docs: Sequence[list[str]] | Sequence[str], **kwargs: object
) -> tuple[sparse.csr_matrix, list[str]]:
    """Weighted document-term matrix and its vocabulary; one zero column if no terms."""
    if not any(docs):
        return sparse.csr_matrix((len(docs), 1), dtype=np.float32), [""]
    from sklearn.feature_extraction.text import CountVectorizer

    vec = CountVectorizer(**kwargs)  # type: ignore[arg-type]
    counts = vec.fit_transform(docs)
    return _weigh(counts), list(vec.get_feature_names_out())


@dataclass(slots=True)
class _Features:
    topic: sparse.csr_matrix
    words: sparse.csr_matrix
    word_vocab: list[str]
    places: sparse.csr_matrix
    has_places: np.ndarray
    districts: sparse.csr_matrix
    has_districts: np.ndarray
    docs: list[_Doc]


def _features(items: Sequence[Item]) -> _Features:
    from sklearn.preprocessing import normalize

    docs = [_analyse(it.title, it.text) for it in items]
    xw, vocab = _vectorise([d.words for d in docs], analyzer=_identity, lowercase=False)
    chars = [d.chars for d in docs]
    if any(c.strip() for c in chars):
        xc, _ = _vectorise(chars, analyzer="char_wb", ngram_range=(2, 2), lowercase=False)
    else:
        xc = sparse.csr_matrix((len(docs), 1), dtype=np.float32)
    topic = normalize(sparse.hstack([WORD_WEIGHT * xw, CHAR_WEIGHT * xc]).tocsr())
    place_docs = [d.places for d in docs]
    places, _ = _vectorise(place_docs, analyzer=_identity, lowercase=False)
    district_docs = [sorted(d.districts) for d in docs]
    districts, _ = _vectorise(district_docs, analyzer=_identity, lowercase=False)
    return _Features(
        topic=topic.astype(np.float32),
        words=xw,
        word_vocab=vocab,
        places=places,
        has_places=np.array([bool(p) for p in place_docs]),
        districts=districts,
        has_districts=np.array([bool(d) for d in district_docs]),
        docs=docs,
    )


# --- the graph -------------------------------------------------------------------

_AGREE, _UNKNOWN, _CONFLICT = 1, 0, -1


@dataclass(slots=True)
class _Pairs:
    """Candidate pairs (i < j within the window) with topic similarity and relation."""

    i: np.ndarray
    j: np.ndarray
    topic: np.ndarray
    relation: np.ndarray


def _pairs(items: Sequence[Item], f: _Features, secs: np.ndarray, window_s: float) -> _Pairs:
    n = len(items)
    order = np.argsort(secs, kind="stable")
    t_sorted = secs[order]
    lon = np.array([np.nan if it.lon is None else it.lon for it in items], dtype=np.float64)
    lat = np.array([np.nan if it.lat is None else it.lat for it in items], dtype=np.float64)
    codes = [it.place for it in items]
    topic, places, districts = f.topic, f.places, f.districts
    out_i, out_j, out_t, out_r = [], [], [], []
    floor = min(TOPIC_SAME_PLACE, TOPIC_NO_PLACE)
    block = 256
    for b in range(0, n, block):
        rows = order[b : b + block]
        hi = int(np.searchsorted(t_sorted, t_sorted[min(b + block, n) - 1] + window_s, "right"))
        cols = order[b:hi]
        sim = (topic[rows] @ topic[cols].T).toarray()
        dt = np.abs(secs[rows][:, None] - secs[cols][None, :])
        # Each unordered pair once: column position after row position in time order.
        upper = np.arange(cols.size)[None, :] > np.arange(rows.size)[:, None]
        keep = upper & (dt <= window_s) & (sim >= floor)
        ri, ci = np.nonzero(keep)
        if ri.size == 0:
            continue
        gi, gj = rows[ri], cols[ci]
        relation = np.zeros(ri.size, dtype=np.int8)
        agree = np.zeros(ri.size, dtype=bool)
        conflict = np.zeros(ri.size, dtype=bool)
        # Place phrases in the text: similar agree, dissimilar conflict.
        both = f.has_places[gi] & f.has_places[gj]
        if both.any():
            psim = np.asarray(places[gi[both]].multiply(places[gj[both]]).sum(axis=1)).ravel()
            agree[both] |= psim >= PLACE_AGREE
            conflict[both] |= psim < PLACE_AGREE
        # The same place code agrees; different codes say nothing (neighbouring grids
        # share a mixing plant's noise).
        agree |= np.array(
            [codes[a] is not None and codes[a] == codes[c] for a, c in zip(gi, gj, strict=True)],
            dtype=bool,
        )
        # Different districts conflict.
        dboth = f.has_districts[gi] & f.has_districts[gj]
        if dboth.any():
            dsim = np.asarray(
                districts[gi[dboth]].multiply(districts[gj[dboth]]).sum(axis=1)
            ).ravel()
            conflict[dboth] |= dsim <= 0
        # Coordinates are the most precise: far apart overrides everything (two estates
        # of one developer share a name), close together agrees.
        geo = ~(np.isnan(lon[gi]) | np.isnan(lon[gj]))
        if geo.any():
            d = np.hypot(
                (lon[gj[geo]] - lon[gi[geo]]) * np.cos(np.radians(lat[gi[geo]])),
                lat[gj[geo]] - lat[gi[geo]],
            ) * (math.pi / 180.0 * 6_371_000.0)
            agree[geo] |= d <= GEO_RADIUS_M
            far = np.zeros(ri.size, dtype=bool)
            far[geo] = d > 3 * GEO_RADIUS_M
            agree &= ~far
            conflict |= far
        relation[agree] = _AGREE
        relation[conflict & ~agree] = _CONFLICT
        out_i.append(gi)
        out_j.append(gj)
        out_t.append(sim[ri, ci])
        out_r.append(relation)
    if not out_i:
        empty = np.zeros(0, dtype=np.int64)
        return _Pairs(empty, empty, np.zeros(0, dtype=np.float32), np.zeros(0, dtype=np.int8))
    return _Pairs(
        np.concatenate(out_i),
        np.concatenate(out_j),
        np.concatenate(out_t),
        np.concatenate(out_r),
    )


def _components(n: int, i: np.ndarray, j: np.ndarray) -> np.ndarray:
    graph = sparse.coo_matrix((np.ones(i.size, dtype=np.int8), (i, j)), shape=(n, n))
    _, labels = connected_components(graph, directed=False)
    return labels


def _cluster(n: int, p: _Pairs) -> np.ndarray:
    """Labels of the three passes described in the module docstring."""
    # Pass 1: agreeing places, lower topic threshold.
    m = (p.relation == _AGREE) & (p.topic >= TOPIC_SAME_PLACE)
    labels = _components(n, p.i[m], p.j[m])
    sizes = np.bincount(labels, minlength=n)
    alone = sizes[labels] == 1
    # Pass 2: a lone item joins the cluster of its most similar non-conflicting neighbour.
    ok = (p.relation != _CONFLICT) & (p.topic >= TOPIC_NO_PLACE)
    best = np.full(n, -1.0)
    target = np.full(n, -1, dtype=np.int64)
    for a, b in ((p.i, p.j), (p.j, p.i)):
        sel = ok & alone[a] & ~alone[b]
        for x, y, s in zip(a[sel], b[sel], p.topic[sel], strict=True):
            if s > best[x]:
                best[x], target[x] = s, labels[y]
    joined = target >= 0
    labels[joined] = target[joined]
    # Pass 3: the items still alone, among themselves.
    still = alone & ~joined
    sel = ok & still[p.i] & still[p.j]
    if sel.any():
        sub = _components(n, p.i[sel], p.j[sel])
        labels = np.where(still, labels.max() + 1 + sub, labels)
    _, labels = np.unique(labels, return_inverse=True)
    return labels


# --- summarising -----------------------------------------------------------------


def _window_counts(ts: np.ndarray, end: float, window_s: float) -> tuple[int, int]:
    """Members in (end − w, end] and in (end − 2w, end − w]."""
    recent = int(np.count_nonzero((ts > end - window_s) & (ts <= end)))
    before = int(np.count_nonzero((ts > end - 2 * window_s) & (ts <= end - window_s)))
    return recent, before


def _peak_end(ts: np.ndarray, window_s: float) -> float:
    """End (a member time) of the window holding the most members; the latest on ties."""
    ts = np.sort(ts)
    first = np.searchsorted(ts, ts - window_s, side="right")
    counts = np.arange(ts.size) - first + 1
    return float(ts[ts.size - 1 - int(np.argmax(counts[::-1]))])


def hot_issues(
    items: Sequence[Item],
    *,
    now: datetime | None = None,
    window_days: int = 30,
    growth_days: int | None = None,
    min_size: int = 3,
    top: int = 20,
) -> list[Cluster]:
    """Clusters of ``items`` about one issue at one place, hottest first.

    ``window_days`` is the linking window (members of a cluster are chained with
    gaps of at most this) and, unless ``growth_days`` is given, the growth window.
    Growth compares the members in the growth window ending at the reference time
    with those in the growth window before it, ``g = (recent − before) / (recent +
    before)``:

    - with ``now``, the reference time is ``now``: items after it are ignored and
      clusters with no member in the last ``window_days`` are dropped (they are
      history, not hot);
    - without ``now`` (a look back over a period), each cluster is taken at its
      own peak — the window with most members — so an old burst still counts as a
      burst, and ranking a multi-year archive does not depend on where it ends.

    Returns at most ``top`` clusters of at least ``min_size`` members.
    """
    if now is not None:
        items = [it for it in items if it.at <= now]
    if not items:
        return []
    t0 = min(it.at for it in items)
    secs = np.array([(it.at - t0).total_seconds() for it in items], dtype=np.float64)
    window_s = timedelta(days=window_days).total_seconds()
    growth_s = timedelta(days=growth_days or window_days).total_seconds()
    f = _features(items)
    labels = _cluster(len(items), _pairs(items, f, secs, window_s))
    members: dict[int, list[int]] = {}
    for idx, lab in enumerate(labels.tolist()):
        members.setdefault(lab, []).append(idx)
    now_s = None if now is None else (now - t0).total_seconds()
    clusters: list[Cluster] = []
    for idxs in members.values():
        if len(idxs) < max(min_size, 1):
            continue
        ix = np.array(sorted(idxs, key=lambda k: secs[k]))  # members in time order
        ts = secs[ix]
        end = now_s if now_s is not None else _peak_end(ts, window_s)
        if now_s is not None and not np.any(ts > end - window_s):
            continue
        recent, before = _window_counts(ts, end, growth_s)
        clusters.append(_summarise(items, f, ix, recent, before, t0 + timedelta(seconds=end)))
    clusters.sort(key=lambda c: (-c.heat, c.first_at))
    return clusters[:top]


def _summarise(
    items: Sequence[Item],
    f: _Features,
    ix: np.ndarray,
    recent: int,
    before: int,
    recent_until: datetime,
) -> Cluster:
    its = [items[k] for k in ix.tolist()]
    who = {
        it.residents if it.residents else ("\0", k) for k, it in zip(ix.tolist(), its, strict=True)
    }
    likes = sum(max(it.likes, 0) for it in its)
    severity = float(np.mean([it.severity for it in its]))
    growth = (recent - before) / max(recent + before, 1)
    parts = HeatParts(
        count=len(its),
        growth=round(growth, 4),
        residents=len(who),
        severity=round(severity, 4),
        likes=likes,
        recent=recent,
        before=before,
    )
    centroid = np.asarray(f.topic[ix].mean(axis=0)).ravel()
    closeness = f.topic[ix] @ centroid
    title = its[int(np.argmax(closeness))].title
    weights = np.asarray(f.words[ix].sum(axis=0)).ravel()
    keywords = [f.word_vocab[k] for k in np.argsort(-weights)[:5] if weights[k] > 0]
    # Each member counts a phrase once; ties keep the order the phrases were first named
    # in (a set's order would change from one process to the next).
    phrase_counts = Counter(p for k in ix.tolist() for p in dict.fromkeys(f.docs[k].phrases))
    places = [p for p, c in phrase_counts.most_common(3) if c >= max(2, len(ix) // 5)]
    coords = [(it.lon, it.lat) for it in its if it.lon is not None and it.lat is not None]
    return Cluster(
        member_ids=[it.id for it in its],
        heat=round(
            heat(parts.count, growth, parts.residents, severity, likes),
            4,
        ),
        parts=parts,
        title=title,
        label=" · ".join([*places[:2], *keywords[:3]]),
        places=places,
        keywords=keywords,
        first_at=min(it.at for it in its),
        last_at=max(it.at for it in its),
        lon=float(np.mean([c[0] for c in coords])) if coords else None,
        lat=float(np.mean([c[1] for c in coords])) if coords else None,
        recent_until=recent_until,
    )
