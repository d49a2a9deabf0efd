"""Likely duplicates (重复件): a request in the same grid or within 200 m, with similar
text, in the last 7 days. Proposed to a person, who merges in one click.

Why the text similarity looks the way it does: the place and time rule already keeps
only requests from the same few hundred metres and the same week, so what is left to
tell apart is (a) one problem told twice, in other words, against (b) another problem
at the same place (the same estate's lift and its heating) and (c) the same kind of
problem a few doors away (building 3's fire lane and building 9's). Plain character
bigrams score (b) high because both texts name the place, and (c) higher still. So:

- the **topic** is compared without the place: place names (X小区, X路, X广场 …),
  numbered units (3号楼, 2单元, 602室, B口) and sides (北门, 西侧) are cut out, and so
  are the phrases every request has (您好, 反映, 希望尽快处理); common colloquial
  words are mapped to one form (电瓶车 → 电动车, 半夜 → 夜间, 井盖 → 窨井盖). What
  is left is compared as character bigrams and single characters (the characters
  carry rewordings such as 不拴绳/不牵绳 and 剥皮/扒树皮 that share no bigram): the
  mean of the Dice and the overlap coefficient of the two sets (the overlap keeps an
  operator's short note close to the long text it summarises);
- the **place** details the two texts give are compared: when both name a building
  (unit, room, house number, exit, side, estate, road …) and the names differ, the
  topic score is multiplied by ``PLACE_CONFLICT``. A text that gives no detail
  conflicts with nothing.

Constants were chosen on the ``dev`` half of ``tests/triage/data/duplicates.jsonl``
with ``bench/duplicates.py``, which reports the ``test`` half.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

from django.db.models import Q
from django.utils import timezone

from civicgrid.cases.models import Case, State
from civicgrid.triage.text import (
    DUPLICATE_STOP_PHRASES,
    NON_CONTENT,
    char_ngrams,
    fold,
    word_set,
)

RADIUS_M = 200.0
DAYS = 7
#: Similarity at or above which a near, recent request is proposed (chosen on dev).
MIN_SIMILARITY = 0.22
#: Factor on the topic similarity when the two texts name different places.
PLACE_CONFLICT = 0.1
#: Characters of a text compared: the place and the problem are stated up front. Each
#: text's reading is cached (the hotline asks again on each keystroke, over the same
#: candidates); 1,024 readings of 300 characters take about 25 MB.
TEXT_CHARS = 300
M_PER_DEG_LAT = 111_320.0

_NOT_TEXT = re.compile(r"[\s\d\W_]+")


@dataclass(frozen=True)
class Duplicate:
    case: Case
    similarity: float
    metres: float | None  # None: same grid, no point to measure from


# --- text -----------------------------------------------------------------------------


#: Variants → one form. Colloquial and formal words residents and operators use for the
#: same thing; longest variants are replaced first.
SYNONYMS: dict[str, tuple[str, ...]] = {
    "夜间": ("半夜", "深夜", "凌晨", "夜里", "晚上", "夜晚", "每晚", "晚间"),
    "噪音": ("噪声", "吵闹", "太吵", "很吵", "吵死", "吵得", "轰鸣"),
    "电动车": ("电瓶车", "电单车", "电动自行车"),
    "流浪狗": ("野狗", "流浪犬"),
    "流浪猫": ("野猫",),
    "狗": ("犬只", "犬"),
    "窨井盖": ("下水道井盖", "井盖"),
    "厕所": ("卫生间", "洗手间", "公厕"),
    "工资": ("工钱", "薪水", "薪资", "务工费用", "务工费"),
    "欠": ("拖欠",),
    "僵尸车": ("报废车", "废弃车辆"),
    "暖气": ("供暖", "暖气片", "采暖"),
    "坏": ("损坏", "故障", "失灵", "坏了", "坏掉"),
    "漏水": ("渗水", "冒水", "滴水"),
    "退钱": ("退费", "退款", "退还"),
    "老人": ("老年人", "老太太", "老大爷", "老人家"),
    "孩子": ("小孩子", "小孩", "儿童"),
    "监控": ("摄像头",),
    "一周": ("一个礼拜", "一个星期", "一礼拜", "七天"),
    "车位": ("停车位",),
    "垃圾站": ("垃圾转运站", "垃圾收集点", "垃圾点", "垃圾池"),
    "清运": ("拉走", "收走", "没人收", "没人拉", "没人清"),
    "物业": ("物业公司",),
    "工地": ("建筑工地", "施工工地"),
    "培训班": ("培训机构",),
    "违建": ("违章建筑", "违法建筑", "违规搭建", "私自搭建", "私搭乱建", "乱搭乱建", "违章搭建"),
    "摆摊": ("摊贩", "地摊", "摊子", "摊位"),
}

_CN_DIGIT = {"零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6}
_CN_DIGIT |= {"七": 7, "八": 8, "九": 9}
_UNIT_WORDS = "号楼|号院|栋|幢|座|单元|期|组|室|号|楼|层"
_CN_NUMBER = re.compile(rf"([零一二两三四五六七八九十]{{1,3}})(?={_UNIT_WORDS})")

#: Numbered units: "3号楼" and "3栋" are one building; classes compare with each other.
_NUMBERED = re.compile(
    r"(?<![0-9a-z月])([0-9]{1,4}|[a-z])(号楼|号院|栋|幢|座|单元|期|组|室|号(?![楼院线])|口)"
)
_NUMBER_CLASS = {
    "号楼": "building",
    "栋": "building",
    "幢": "building",
    "座": "building",
    "号院": "yard",
    "单元": "unit",
    "期": "phase",
    "组": "group",
    "室": "room",
    "号": "number",
    "口": "exit",
}
_SIDE = re.compile(r"([东南西北])(?:门|侧|边|面|段|头)")
_PLACE_CLASS = {
    **dict.fromkeys(
        word_set("小区 花园 家园 公寓 大厦 社区 新城 山庄 公馆 园区 苑 湾 村"), "estate"
    ),
    **dict.fromkeys(word_set("大道 路 街 巷"), "road"),
    **dict.fromkeys(
        word_set("广场 公园 市场 菜场 小学 中学 学校 幼儿园 医院 天桥 地铁站 公交站 车站"),
        "landmark",
    ),
}
#: A place word and the (up to) two characters before it, which name it. Found with a
#: lookahead, so that in 新华街小学 the 小学 is found too (and named 新华, see _read).
_PLACE_NAME = re.compile(
    r"(?=([\u4e00-\u9fff]{1,2})("
    + "|".join(sorted(_PLACE_CLASS, key=lambda w: (-len(w), w)))
    + r")(?![灯面上边过线费]))"
)
#: A name does not end in these: 马路, 修路, 全社区, 这个小区, 沿街 are not places.
_NOT_NAME_END = set(
    "马道公修走铁线水电出思网让过一条小大夜挡堵着在上了的个们本全整该农乡山沿临逛那这"
)
#: Where relative to a place: said of every place, so neither topic nor place.
_RELATIVE = re.compile(r"门口|对面|后面|前面|下面|里面|外面|楼下|楼上|路口|交叉口|旁边|附近|周边")

_SEPARATOR = "|"
_DIGITS = re.compile(r"[0-9]+")


def _longest_first(phrases: Iterable[str]) -> re.Pattern[str]:
    """A pattern matching any of ``phrases``, the longest where several start at one place."""
    return re.compile("|".join(re.escape(p) for p in sorted(phrases, key=lambda p: (-len(p), p))))


_TO_CANONICAL = {v: k for k, vs in SYNONYMS.items() for v in vs}
_SYNONYM = _longest_first(_TO_CANONICAL)
_STOP = _longest_first(DUPLICATE_STOP_PHRASES)


def _cn_to_int(s: str) -> int:
    if "十" not in s:
        return int("".join(str(_CN_DIGIT[c]) for c in s))
    tens, _, ones = s.partition("十")
    return _CN_DIGIT.get(tens, 1) * 10 + _CN_DIGIT.get(ones, 0)


def _normalise(text: str) -> str:
    """NFKC, lower case, Chinese numbers before unit words as digits (二单元 → 2单元)."""
    return _CN_NUMBER.sub(lambda m: str(_cn_to_int(m.group(1))), fold(text))


@dataclass(frozen=True, slots=True)
class _Reading:
    """What the comparison needs of one text, computed once (see :func:`_read`)."""

    topic: frozenset[str]
    places: tuple[tuple[str, frozenset[str]], ...]  # (class, values)


@lru_cache(maxsize=1024)
def _read(text: str) -> _Reading:
    text = _normalise(text[:TEXT_CHARS])
    places: dict[str, set[str]] = {}
    for number, word in _NUMBERED.findall(text):
        if word != "口" or not number.isdigit():  # B口 is an exit, 3口 a family
            places.setdefault(_NUMBER_CLASS[word], set()).add(number)
    for side in _SIDE.findall(text):
        places.setdefault("side", set()).add(side)
    masked = list(text)
    previous_end, previous_name = -1, ""
    for m in _PLACE_NAME.finditer(text):
        if m.start(2) < previous_end:
            continue  # a shorter name for a place word already read (翠湖苑: 湖苑)
        # The match is zero-width; its groups say where the name and the place word are.
        name = text[max(m.start(1), previous_end) : m.end(1)]
        if not name:
            name = previous_name  # a place word right after another: 锦绣家园小区
        elif len(name) == 2 and name[0] in _NOT_NAME_END:
            name = name[1]
        if not name or name[-1] in _NOT_NAME_END:
            continue
        places.setdefault(_PLACE_CLASS[m.group(2)], set()).add(name)
        masked[m.start(1) : m.end(2)] = _SEPARATOR * (m.end(2) - m.start(1))
        previous_end, previous_name = m.end(2), name
    topic = _SIDE.sub(_SEPARATOR, _NUMBERED.sub(_SEPARATOR, "".join(masked)))
    topic = _RELATIVE.sub(_SEPARATOR, topic)
    topic = _SYNONYM.sub(lambda m: _SEPARATOR + _TO_CANONICAL[m.group(0)] + _SEPARATOR, topic)
    topic = _STOP.sub(_SEPARATOR, topic)
    grams: set[str] = set()
    for run in NON_CONTENT.sub(_SEPARATOR, topic).split(_SEPARATOR):
        run = _DIGITS.sub("", run)
        if len(run) == 1:
            grams.add(run)
        grams.update(char_ngrams(run, 2))
        grams.update("~" + c for c in run)
    return _Reading(
        topic=frozenset(grams),
        places=tuple(sorted((k, frozenset(v)) for k, v in places.items())),
    )


def clear_cache() -> None:
    """Forget the texts read so far (the bench times cold comparisons)."""
    _read.cache_clear()


def _names_match(a: str, b: str) -> bool:
    """Estate and road names as cut from text: a shared character is the same name
    (锦绣/锦秀, a typo); 阳光/锦绣 are two."""
    return not set(a).isdisjoint(b)


def _places_conflict(a: _Reading, b: _Reading) -> bool:
    """Both texts say where, in the same terms, and say different things."""
    theirs = dict(b.places)
    for kind, ours in a.places:
        other = theirs.get(kind)
        if not other:
            continue
        if kind in ("estate", "road", "landmark"):
            # Each side names one the other does not (幸福路东风路口 / 幸福路丰收路口).
            if any(not any(_names_match(x, y) for y in other) for x in ours) and any(
                not any(_names_match(y, x) for x in ours) for y in other
            ):
                return True
        elif ours.isdisjoint(other):
            return True
    return False


def bigrams(text: str) -> set[str]:
    """Character bigrams of the Chinese text (no segmenter needed, robust to typos)."""
    chars = _NOT_TEXT.sub("", text)
    return set(char_ngrams(chars, 2))


def similarity(a: str, b: str) -> float:
    """How alike two requests read, 0–1: the topic's character bigrams without place
    names and boilerplate (mean of Dice and overlap), lowered when the places differ."""
    x, y = _read(a), _read(b)
    if not x.topic or not y.topic:
        return 0.0
    shared = len(x.topic & y.topic)
    dice = 2 * shared / (len(x.topic) + len(y.topic))
    overlap = shared / min(len(x.topic), len(y.topic))
    score = (dice + overlap) / 2
    if _places_conflict(x, y):
        score *= PLACE_CONFLICT
    return score


# --- place and time -------------------------------------------------------------------


def metres_between(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    dx = (lon2 - lon1) * M_PER_DEG_LAT * math.cos(math.radians((lat1 + lat2) / 2))
    dy = (lat2 - lat1) * M_PER_DEG_LAT
    return math.hypot(dx, dy)


def is_near(metres: float | None, *, same_grid: bool) -> bool:
    """Same grid, or points at most ``RADIUS_M`` apart (``None``: a point is missing)."""
    return same_grid or (metres is not None and metres <= RADIUS_M)


def is_duplicate(
    score: float,
    *,
    metres: float | None,
    same_grid: bool,
    days: float,
    threshold: float = MIN_SIMILARITY,
) -> bool:
    """The rule: near (:func:`is_near`), made at most ``DAYS`` days before (``days``; a
    request made meanwhile, ``days`` < 0, counts too), text similarity ``score`` at least
    ``threshold``. :func:`likely_duplicates` applies exactly this to each candidate;
    ``bench/duplicates.py`` measures it on a labelled set."""
    return days <= DAYS and is_near(metres, same_grid=same_grid) and score >= threshold


def likely_duplicates(
    text: str,
    *,
    lon: float | None = None,
    lat: float | None = None,
    grid_id: int | None = None,
    now: datetime | None = None,
    exclude: int | None = None,
    limit: int = 5,
) -> list[Duplicate]:
    """Open or recent cases near the place (same grid, or within ``RADIUS_M``) from the
    last ``DAYS`` days whose text is similar, most similar first."""
    now = now or timezone.now()
    near = Q()
    if grid_id is not None:
        near |= Q(grid_id=grid_id)
    if lon is not None and lat is not None:
        dlat = RADIUS_M / M_PER_DEG_LAT
        dlon = dlat / max(math.cos(math.radians(lat)), 0.01)
        near |= Q(lon__range=(lon - dlon, lon + dlon), lat__range=(lat - dlat, lat + dlat))
    if not near:
        return []
    candidates = (
        Case.objects.filter(near, created_at__gte=now - timedelta(days=DAYS))
        .exclude(state__in=(State.MERGED, State.REJECTED))
        .only(
            "id", "tracking_code", "title", "text", "lon", "lat", "grid_id", "state", "created_at"
        )
        .order_by("-created_at")[:500]
    )
    found = []
    for case in candidates:
        if case.pk == exclude:
            continue
        metres = None
        if lon is not None and lat is not None and case.lon is not None and case.lat is not None:
            metres = metres_between(lon, lat, case.lon, case.lat)
        same_grid = grid_id is not None and case.grid_id == grid_id
        if not is_near(metres, same_grid=same_grid):
            continue  # in the query's bounding box, outside the radius
        days = (now - case.created_at).total_seconds() / 86_400
        score = similarity(text, f"{case.title} {case.text}")
        if is_duplicate(score, metres=metres, same_grid=same_grid, days=days):
            found.append(Duplicate(case, round(score, 3), metres))
    found.sort(key=lambda d: -d.similarity)
    return found[:limit]
