"""A convention's terms (公约条款) and the pure rules that score against them: no
database here.

Terms are items (事项) of indicators (指标), each with its points, the rule in words a
member reads, and how it is scored:

* ``deduct``: full points, less ``step`` for each finding, never below zero (门前卫生:
  2 points off per piece of rubbish found);
* ``pass_fail``: full points or none (垃圾分类 bins in place or not);
* ``graded``: the rater gives any whole number from 0 to the points.

An indicator may be **zero-tolerance** (零容忍): any points lost on it puts the member
on the black list whatever the total (a blocked fire exit). With them come the
convention's **rewards and penalties** (``Honours``): the red list (红榜) is the top
``red_top`` members at or above ``red_min`` points (ties at the last place all in), the
black list (黑榜) the members below ``black_below`` or with a zero-tolerance loss.

Terms live as JSON on the template, the convention and, frozen when it opens, the
scoring period (so a convention amended later does not change a period's sheet);
``parse`` is the one way in (forms, the API, the Excel import, the demo) and refuses
anything malformed with a sentence a person reads.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from civicgrid import inputs
from civicgrid.errors import Invalid

DEDUCT = "deduct"
PASS_FAIL = "pass_fail"
GRADED = "graded"
METHODS = (DEDUCT, PASS_FAIL, GRADED)
METHOD_LABELS = {
    DEDUCT: gettext_lazy("deduct per finding"),
    PASS_FAIL: gettext_lazy("pass or fail"),
    GRADED: gettext_lazy("graded"),
}
MAX_POINTS = 100  # of one indicator
MAX_TOTAL = 1000  # of a convention
MAX_ITEMS = 20
MAX_INDICATORS = 60
MAX_FINDINGS = 99


@dataclass(frozen=True)
class Indicator:
    key: str  # "2.1": item 2, indicator 1 (stable within a version; scores name it)
    name: str
    points: int
    rule: str  # the scoring rule in words
    method: str = DEDUCT
    step: int = 1  # points off per finding (deduct)
    zero_tolerance: bool = False


@dataclass(frozen=True)
class Item:
    name: str
    indicators: tuple[Indicator, ...]

    @property
    def points(self) -> int:
        return sum(i.points for i in self.indicators)


@dataclass(frozen=True)
class Honours:
    """The convention's rewards and penalties (奖惩). None: that rule is not used."""

    red_top: int | None = 3
    red_min: int | None = 90
    red_reward: str = ""
    black_below: int | None = 60
    black_penalty: str = ""


@dataclass(frozen=True)
class Terms:
    items: tuple[Item, ...]
    honours: Honours = field(default_factory=Honours)

    @property
    def indicators(self) -> list[Indicator]:
        return [i for item in self.items for i in item.indicators]

    @property
    def total(self) -> int:
        return sum(item.points for item in self.items)

    def indicator(self, key: str) -> Indicator:
        for found in self.indicators:
            if found.key == key:
                return found
        raise Invalid(_("No indicator %(key)s in this convention.") % {"key": key})

    def as_json(self) -> dict[str, Any]:
        return {
            "items": [
                {"name": item.name, "indicators": [asdict(i) for i in item.indicators]}
                for item in self.items
            ],
            "honours": asdict(self.honours),
        }


# --- parsing ------------------------------------------------------------------------------


def _text(value: Any, where: str, *, max_length: int, required: bool = True) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        value = str(value)
    value = inputs.text(value.strip(), where, max_length=max_length)
    if required and not value:
        raise Invalid(_("%(where)s: this cannot be empty.") % {"where": where})
    return value


def _whole(value: Any, where: str, lo: int, hi: int, *, optional: bool = False) -> int | None:
    if optional and (value is None or value == ""):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return inputs.whole_number(value, where, lo, hi)


def _flag(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    return str(value or "").strip().lower() in {"1", "true", "yes", "是", "y"}


def parse(data: Mapping[str, Any]) -> Terms:
    """Terms from their JSON shape, checked whole: a refusal names the first fault."""
    if not isinstance(data, Mapping) or not isinstance(data.get("items"), list):
        raise Invalid(_("A convention needs a list of items."))
    raw_items = data["items"]
    if not raw_items:
        raise Invalid(_("A convention needs at least one item."))
    if len(raw_items) > MAX_ITEMS:
        raise Invalid(_("A convention has at most %(n)s items.") % {"n": MAX_ITEMS})
    items = []
    count = 0
    for n, raw in enumerate(raw_items, start=1):
        if not isinstance(raw, Mapping) or not isinstance(raw.get("indicators"), list):
            raise Invalid(_("Item %(n)s needs a list of indicators.") % {"n": n})
        name = _text(raw.get("name"), _("Item %(n)s's name") % {"n": n}, max_length=60)
        if not raw["indicators"]:
            raise Invalid(_("Item %(name)s has no indicators.") % {"name": name})
        indicators = []
        for m, one in enumerate(raw["indicators"], start=1):
            if not isinstance(one, Mapping):
                raise Invalid(_("Indicator %(n)s.%(m)s is malformed.") % {"n": n, "m": m})
            indicators.append(_indicator(one, f"{n}.{m}"))
        count += len(indicators)
        items.append(Item(name, tuple(indicators)))
    if count > MAX_INDICATORS:
        raise Invalid(_("A convention has at most %(n)s indicators.") % {"n": MAX_INDICATORS})
    names = [item.name for item in items]
    if len(set(names)) != len(names):
        raise Invalid(_("Two items have the same name."))
    terms = Terms(tuple(items), _honours(data.get("honours") or {}))
    if terms.total > MAX_TOTAL:
        raise Invalid(_("A convention's points add up to at most %(n)s.") % {"n": MAX_TOTAL})
    _check_honours(terms)
    return terms


def _indicator(one: Mapping[str, Any], key: str) -> Indicator:
    where = _("Indicator %(key)s") % {"key": key}
    name = _text(one.get("name"), where, max_length=60)
    points = _whole(one.get("points"), _("%(where)s's points") % {"where": where}, 1, MAX_POINTS)
    assert points is not None
    method = one.get("method") or DEDUCT
    if method not in METHODS:
        raise Invalid(
            _("%(where)s: the way it is scored must be one of deduct, pass_fail, graded.")
            % {"where": where}
        )
    step = 1
    if method == DEDUCT:
        found = _whole(
            one.get("step") if one.get("step") not in (None, "") else 1,
            _("%(where)s's points per finding") % {"where": where},
            1,
            points,
        )
        assert found is not None
        step = found
    return Indicator(
        key=key,
        name=name,
        points=points,
        rule=_text(one.get("rule"), where, max_length=500, required=False),
        method=method,
        step=step,
        zero_tolerance=_flag(one.get("zero_tolerance")),
    )


def _honours(raw: Mapping[str, Any]) -> Honours:
    if not isinstance(raw, Mapping):
        raise Invalid(_("The rewards and penalties are malformed."))
    return Honours(
        red_top=_whole(raw.get("red_top"), _("Places on the red list"), 1, 999, optional=True),
        red_min=_whole(
            raw.get("red_min"), _("Points for the red list"), 0, MAX_TOTAL, optional=True
        ),
        red_reward=_text(
            raw.get("red_reward"), _("The red list's reward"), max_length=200, required=False
        ),
        black_below=_whole(
            raw.get("black_below"),
            _("Points below which the black list"),
            0,
            MAX_TOTAL,
            optional=True,
        ),
        black_penalty=_text(
            raw.get("black_penalty"), _("The black list's penalty"), max_length=200, required=False
        ),
    )


def _check_honours(terms: Terms) -> None:
    h = terms.honours
    if h.red_min is not None and h.red_min > terms.total:
        raise Invalid(
            _("The red list's points (%(n)s) are more than the convention's total (%(total)s).")
            % {"n": h.red_min, "total": terms.total}
        )
    if h.black_below is not None and h.red_min is not None and h.black_below > h.red_min:
        raise Invalid(_("The black list's line cannot be above the red list's."))


# --- scoring ---------------------------------------------------------------------------------


def points_for(
    indicator: Indicator,
    *,
    findings: int | None = None,
    passed: bool | None = None,
    points: int | None = None,
) -> int:
    """The points an indicator earns: from the number of findings (deduct), whether it
    passed (pass_fail), or the points given (graded, and any method's override)."""
    if points is not None:
        return inputs.whole_number(points, indicator.name, 0, indicator.points)
    if indicator.method == DEDUCT:
        n = inputs.whole_number(
            findings if findings is not None else 0, indicator.name, 0, MAX_FINDINGS
        )
        return max(0, indicator.points - n * indicator.step)
    if indicator.method == PASS_FAIL:
        return indicator.points if passed or passed is None else 0
    raise Invalid(
        _("%(name)s needs its points (0 to %(n)s).")
        % {"name": indicator.name, "n": indicator.points}
    )


@dataclass(frozen=True)
class MemberTotal:
    member: int
    name: str
    total: int
    # the zero-tolerance indicators on which the member lost points
    breaches: tuple[str, ...] = ()


@dataclass(frozen=True)
class Lists:
    red: tuple[MemberTotal, ...]
    black: tuple[MemberTotal, ...]
    ranked: tuple[MemberTotal, ...]  # every member, best first


def total_of(terms: Terms, final: Mapping[str, int]) -> tuple[int, tuple[str, ...]]:
    """A member's total from their final points by indicator key (an indicator without
    one counts full: nothing was found), and the zero-tolerance indicators it lost
    points on."""
    total = 0
    breaches = []
    for indicator in terms.indicators:
        got = final.get(indicator.key, indicator.points)
        total += got
        if indicator.zero_tolerance and got < indicator.points:
            breaches.append(indicator.key)
    return total, tuple(breaches)


def red_and_black(honours: Honours, totals: Iterable[MemberTotal]) -> Lists:
    """红黑榜: who is on the red list and who on the black, from the members' totals.

    Black: below ``black_below``, or any zero-tolerance loss. Red: of the others, those
    at or above ``red_min``, best first, the first ``red_top`` (and whoever ties with
    the last of them). A member is never on both."""
    ranked = tuple(sorted(totals, key=lambda t: (-t.total, t.name, t.member)))
    black = tuple(
        t
        for t in ranked
        if t.breaches or (honours.black_below is not None and t.total < honours.black_below)
    )
    black_ids = {t.member for t in black}
    candidates = [
        t
        for t in ranked
        if t.member not in black_ids and (honours.red_min is None or t.total >= honours.red_min)
    ]
    if honours.red_top is not None and len(candidates) > honours.red_top:
        line = candidates[honours.red_top - 1].total
        candidates = [t for t in candidates if t.total >= line]
    return Lists(red=tuple(candidates), black=black, ranked=ranked)


def council_average(terms: Terms, totals: Sequence[MemberTotal]) -> float | None:
    """The council's score: its members' average total, out of 100 (None: nobody
    scored)."""
    if not totals or terms.total == 0:
        return None
    mean = sum(t.total for t in totals) / len(totals)
    return round(mean * 100 / terms.total, 2)


# --- the district's template -------------------------------------------------------------------


def _ind(
    name: str, points: int, rule: str, method: str = DEDUCT, step: int = 1, zero: bool = False
) -> dict[str, Any]:
    return {
        "name": name,
        "points": points,
        "rule": rule,
        "method": method,
        "step": step,
        "zero_tolerance": zero,
    }


# The district's merchants' convention: 5 items, 11 indicators, 100 points. Our own words.
DISTRICT_TEMPLATE: dict[str, Any] = {
    "items": [
        {
            "name": "疫情防控",
            "indicators": [
                _ind("场所消毒与通风", 10, "每日消毒通风并登记；缺一次登记扣2分。", DEDUCT, 2),
                _ind("扫码测温与信息登记", 10, "按要求查验登记；发现一次未查验扣5分。", DEDUCT, 5),
            ],
        },
        {
            "name": "门前三包",
            "indicators": [
                _ind("门前卫生", 10, "门前无垃圾、无污渍；发现一处扣2分。", DEDUCT, 2),
                _ind("门前秩序", 10, "不占道经营、不乱摆乱放；发现一处扣5分。", DEDUCT, 5),
                _ind("门前绿化", 5, "花木完好、无践踏；发现一处扣1分。", DEDUCT, 1),
            ],
        },
        {
            "name": "垃圾分类",
            "indicators": [
                _ind("分类投放", 10, "按四分类投放；抽查不合格一次扣2分。", DEDUCT, 2),
                _ind("桶点与台账", 5, "分类桶齐全、台账完整，合格得满分。", PASS_FAIL),
            ],
        },
        {
            "name": "消防及食品安全",
            "indicators": [
                _ind(
                    "消防通道与器材",
                    15,
                    "通道畅通、器材有效；堵塞消防通道零容忍。",
                    DEDUCT,
                    5,
                    True,
                ),
                _ind("食品安全与证照", 10, "证照齐全、留样规范；无证经营零容忍。", DEDUCT, 5, True),
            ],
        },
        {
            "name": "工作配合",
            "indicators": [
                _ind("参加联席会议", 5, "按时参加商户联席会议；缺席一次扣2分。", DEDUCT, 2),
                _ind("配合巡查与整改", 10, "配合联合巡查并按期整改，由理事会评定。", GRADED),
            ],
        },
    ],
    "honours": {
        "red_top": 5,
        "red_min": 90,
        "red_reward": "上红榜，理事会通报表扬，优先推荐评优和参加商圈推广活动。",
        "black_below": 60,
        "black_penalty": "上黑榜，理事长约谈，限期整改，下期联合巡查重点检查。",
    },
}
