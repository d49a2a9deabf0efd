"""Personal data in free text, found and masked; addresses and points made public-safe.

Regular expressions, written for how residents and staff write in Chinese (full-width
digits, numbers broken up by spaces or dashes, "3栋2单元501"), each one checked against
the labelled examples in ``tests/privacy/data/pii.tsv`` (``bench/privacy.py`` prints
precision and recall per kind). Nothing is downloaded or looked up: the rules are here.

What is personal (masked):

- ``phone``: mobile numbers (``13800138000``, ``138 0013 8000``, ``+86 138…``),
  landlines with their area code (``010-12345678``, ``0731 8888 6666``, ``(0731)…``),
  and any 7 to 12 digits right after a word that announces a number (电话, 手机, 联系…).
- ``id``: resident ID numbers, 18 digits (last one may be X) or the old 15, also with
  the middle starred out (``430102********1234`` still names a district and a person).
- ``account``: bank cards and other numbers of 12 digits or more, QQ and WeChat ids.
- ``plate``: car plates (``湘A12345``, ``京A·D1234``, new-energy ``粤B·D12345``).
- ``email``.
- ``room``: where inside an estate someone lives: building, unit, floor-with-room and
  room (``3栋2单元501``, ``5号楼1单元302室``, ``12幢``, ``3-2-501``, ``B座1203``), a house
  number inside an estate, a lane (弄/巷/胡同) or a villagers' group (``3组12号``), and a
  room number next to 楼上/楼下/隔壁/住.
- ``name``: the names passed in (the resident's own, from their contact), a surname
  with a form of address (``张女士``, ``李大爷``), and a name after 我叫/姓名/联系人.

What stays (public): public service numbers (12345, 110, 119, 120, 95598, 400-/800-),
dates and times, prices and amounts, counts (``小区有12栋楼``, ``300户``), bus and metro
lines (``12路``, ``3号线``), years, distances, floor counts (``18层楼``), a floor alone
(``住5楼``: it names no door), and an address at road level: a road and its house
number (``人民路88号``) is a gate on a public road, as a map shows it, and is where most
street-level matters (a shop's noise, a pothole) happen; behind the gate (building,
unit, room) is private.

Known limits: a stranger's full name written without a form of address (``王建国说``)
is not found unless it is passed in; a number spelt out in Chinese numerals
(``一三八…``) is not found.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from django.utils.translation import gettext_lazy as _


class Kind(StrEnum):
    PHONE = "phone"
    ID = "id"
    ACCOUNT = "account"
    PLATE = "plate"
    EMAIL = "email"
    ROOM = "room"
    NAME = "name"


# What a masked span reads as, in the language of the page it is shown on.
LABELS = {
    Kind.PHONE: _("[phone]"),
    Kind.ID: _("[ID number]"),
    Kind.ACCOUNT: _("[account number]"),
    Kind.PLATE: _("[plate]"),
    Kind.EMAIL: _("[e-mail]"),
    Kind.ROOM: _("[room]"),
    Kind.NAME: _("[name]"),
}


@dataclass(frozen=True, order=True)
class Span:
    start: int
    end: int
    kind: Kind


# Full-width ASCII (１３８, ＡＢ, ＠) and the ideographic space, as their ASCII twins: one
# character for one, so positions found in the folded text hold in the original.
_FOLD = str.maketrans({**{chr(0xFF01 + i): chr(0x21 + i) for i in range(94)}, "\u3000": " "})

# --- the patterns -----------------------------------------------------------------------
# Each pattern's group "m" (or, without one, the whole match) is the personal part.

_NOT_DIGIT_BEFORE = r"(?<![\dA-Za-z])"
_SEP = r"[ \-–—.·]"  # how people break a phone number up

_MOBILE = re.compile(
    _NOT_DIGIT_BEFORE + rf"(?:(?:\+|00)?86{_SEP}?)?1[3-9]\d(?:{_SEP}?\d){{8}}(?!\d)"
)
_LANDLINE = re.compile(
    _NOT_DIGIT_BEFORE + r"(?:[(（]0\d{2,3}[)）]|0\d{2,3})[ \-–—]?[2-9]\d{2,3}[ \-]?\d{4}"
    r"(?:[ ]?(?:转|分机|ext\.?)[ ]?\d{1,5})?(?!\d)"
)
# A number right after a word that announces one: a local number without its area code.
# 400- and 800- numbers are companies' service lines, public.
_ANNOUNCED_NUMBER = re.compile(
    r"(?:电话|手机|座机|联系方式|联系|号码|手机号|致电|拨打|打给|tel|Tel|TEL|微信同号)"
    r"(?:号码|号)?[ ]?[：:]?[ ]?(?:是|为)?[ ]?[：:]?[ ]?"
    r"(?P<m>(?![48]00)\d(?:[ \-]?\d){6,11})(?!\d)"
)
_ID_NUMBER = re.compile(
    _NOT_DIGIT_BEFORE
    + r"(?:[1-9]\d{5}[ ]?(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])[ ]?\d{3}[\dXx]"
    r"|[1-9]\d{7}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}"
    r"|[1-9]\d{5}[*]{6,8}\d{3}[\dXx*])(?![\dA-Za-z])"
)
_LONG_NUMBER = re.compile(
    _NOT_DIGIT_BEFORE + r"(?:\d{12,}|(?!19|20)\d{4}(?: \d{4}){2,3}(?: \d{1,4})?)(?!\d)"
)
_IM_ACCOUNT = re.compile(
    r"(?:QQ|qq|Qq|扣扣)(?:号码|号)?[ ]?[：:]?[ ]?(?:是|为)?[ ]?(?P<m>[1-9]\d{4,11})(?!\d)"
    r"|(?:微信|微信号|vx|VX|wx|WX)(?:号)?[ ]?[：:]?[ ]?(?:是|为)?[ ]?"
    r"(?P<w>[A-Za-z][-_A-Za-z0-9]{5,19})(?![-_A-Za-z0-9])"
)

_PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
_PLATE_CHAR = "A-HJ-NP-Za-hj-np-z0-9"
_PLATE = re.compile(
    rf"[{_PROVINCES}][A-Za-z][ ·•.\-]?"
    rf"(?:[DFdf][{_PLATE_CHAR}]\d{{4}}|\d{{5}}[DFdf]|[{_PLATE_CHAR}]{{4}}[{_PLATE_CHAR}挂学警港澳])"
    r"(?![A-Za-z0-9])"
    r"|(?:车牌|牌照|车号)(?:号码|号)?[ ]?[：:]?[ ]?(?:是|为)?[ ]?"
    rf"(?P<m>[A-Za-z][ ·.\-]?[{_PLATE_CHAR}]{{5,6}})(?![A-Za-z0-9])"
)
_EMAIL = re.compile(
    r"[A-Za-z0-9][A-Za-z0-9._%+\-]*@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}"
)

# Building, unit, floor and room: a chain that starts with a building or a unit.
_HAN_NUMBER = "[一二三四五六七八九十]{1,3}"
_NUMBER = rf"(?:\d{{1,3}}|{_HAN_NUMBER})"
# Units that make a number an amount, a time or a size, not a room.
_NOT_A_ROOM_AFTER = (
    r"(?![\d\-.%元块米个年月日时分秒度万亿千克斤吨人次件辆户多余]|天(?!天)|公里|平方)"
)
_UNIT = rf"(?:第?{_NUMBER}(?:单元|门(?=\d))|[东西南北中]单元)"
# A count, not a building: 有12栋, 共3栋, 这两栋; 12栋楼, 3栋住宅 (but 3栋楼下, 3栋楼道).
_NOT_A_COUNT_BEFORE = r"(?<![有共约近计这那每哪几两整多余])"
_NOT_A_COUNT_AFTER = r"(?!楼(?![下上前后道顶梯门口底])|房子|住宅|高层|建筑|大楼|别墅|商品房|门面)"
_BUILDING = (
    rf"{_NOT_A_COUNT_BEFORE}(?:第?\d{{1,3}}(?:[、,，和及]\d{{1,3}})*"
    rf"(?:号楼|号栋|栋|幢|座|号公寓|#楼?){_NOT_A_COUNT_AFTER}"
    # In Chinese numerals mostly a count (一栋18层楼): a building only with its unit or room.
    rf"|第?{_HAN_NUMBER}(?:号楼|栋|幢|座)(?=[ \-]?(?:{_UNIT}|\d{{3,4}}{_NOT_A_ROOM_AFTER}))"
    rf"|(?<![A-Za-z])[A-Za-z](?:栋|幢|座){_NOT_A_COUNT_AFTER}"
    rf"|(?<![A-Za-z])[A-Za-z]区\d{{1,3}}(?:栋|幢|号楼))"
)
_FLOOR = r"(?:\d{1,2}|[一二三四五六七八九十]{1,3})(?:楼|层)(?!楼)"
_ROOM_NUMBER = (
    rf"(?:\d{{3,4}}(?:室|房间|号房|房|号)|\d{{3,4}}{_NOT_A_ROOM_AFTER}"
    r"|\d{1,2}(?:室|号房|房|号)(?![线院门地]))"
)
_SIDE = r"(?:东|西|南|北|中)(?:边|侧)?户"
_PART = rf"(?:{_UNIT}|{_FLOOR}|{_ROOM_NUMBER}|{_SIDE})"
_CHAIN = rf"(?:{_BUILDING}|{_UNIT})(?:[ \-]?{_PART})*"
_ROOM = re.compile(
    rf"(?<![\d\-.])(?:{_CHAIN}"
    rf"|\d{{1,2}}(?:楼|层)[ \-]?\d{{3,4}}(?:室|房|号|{_NOT_A_ROOM_AFTER})"
    rf"|\d{{1,3}}-\d{{1,2}}-\d{{3,4}}(?:室|号|房)?{_NOT_A_ROOM_AFTER}"
    r"|\d{1,3}-\d{3,4}(?:室|房|号房)"
    r"|\d{3,4}(?:室|房间|号房)(?!\d))"
)
# A room next to a word that places a person: 楼上501, 隔壁502的, 住在1203 (not 隔壁的120
# when it is the ambulance).
_PLACED_ROOM = re.compile(
    r"(?:楼上|楼下|隔壁|对门|对面|住在|家住|住)(?:的)?"
    r"(?P<m>(?!(?:110|119|120|122)(?!\d))\d{3,4}(?:室|房|号)?)" + _NOT_A_ROOM_AFTER
)
_JOINED_ROOM = re.compile(r"(?:与|和|及|、|或)(?P<m>\d{3,4}(?:室|房|号)?)" + _NOT_A_ROOM_AFTER)
# A house number inside an estate, a lane or a villagers' group; not a gate (3号门) or
# a road's house number (人民路88号, public).
_HOUSE = re.compile(
    r"(?:小区|花园|家园|公寓|别墅|新村|山庄|[苑园弄巷]|胡同)(?P<m>\d{1,4}号)(?![线院门楼栋地口])"
    r"|(?<!\d)(?P<g>\d{1,3}组\d{1,4}号)(?![线院门楼栋地口])"
)

# Common surnames, without those that are also everyday words before a form of address
# (门卫大爷, 保安师傅, 修路师傅, 导游小姐, 收费阿姨, 菜农大姐 …).
_SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程"
    "苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛"
    "郝龚邵万钱严覃武戴莫孔汤易温康施文牛樊葛邢齐伍庞颜倪聂章鲁岳翟殷詹申欧耿兰焦俞左柳甘"
    "祝包宁尚符舒阮柯纪梅童凌毕季裴霍涂苗谷盛曲翁冉骆蓝靳柴蒙鲍华喻祁蒲房滕屈牟艾尤穆卓古"
    "吉缪简项连芦麦褚娄窦戚岑景党宫冷晏席米柏宗瞿桂佟臧闵苟邬边卞姬仇栾隋刁沙荣巫寇桑郎甄"
    "丛仲虞敖巩佘池迟邝洪"
)
_COMPOUND_SURNAMES = "欧阳|司马|诸葛|上官|东方|皇甫|尉迟|公孙|慕容|司徒"
_FORMS_OF_ADDRESS = (
    "先生|女士|小姐|阿姨|大爷|大妈|大姐|大哥|奶奶|爷爷|师傅|叔叔|伯伯|阿婆|老太|老伯"
)
_ADDRESSED = re.compile(rf"(?:{_COMPOUND_SURNAMES}|[{_SURNAMES}])(?:{_FORMS_OF_ADDRESS})")
# Characters that end a name written after 我叫/姓名: words that follow names.
_AFTER_NAME = "的在是住和与及说打电手联家反映来去要想因于向对为今昨现已也就都请"
_INTRODUCED = re.compile(
    r"(?:我叫|我的名字[是叫]|本人姓名|姓名|联系人|户主)[ ]?[：:]?[ ]?(?:是|为)?[ ]?"
    rf"(?P<m>(?:{_COMPOUND_SURNAMES}|[{_SURNAMES}])(?:(?![{_AFTER_NAME}])[\u4e00-\u9fff]){{1,2}})"
)

# Every pattern, its kind, and whether it can match only where there is a digit (most
# descriptions have few digits; a text without one skips those patterns).
_PATTERNS: tuple[tuple[re.Pattern[str], Kind, bool], ...] = (
    (_MOBILE, Kind.PHONE, True),
    (_LANDLINE, Kind.PHONE, True),
    (_ANNOUNCED_NUMBER, Kind.PHONE, True),
    (_ID_NUMBER, Kind.ID, True),
    (_LONG_NUMBER, Kind.ACCOUNT, True),
    (_IM_ACCOUNT, Kind.ACCOUNT, False),  # 微信号 abc_123
    (_PLATE, Kind.PLATE, True),
    (_ROOM, Kind.ROOM, False),  # 三栋二单元, A栋
    (_PLACED_ROOM, Kind.ROOM, True),
    (_HOUSE, Kind.ROOM, True),
    (_ADDRESSED, Kind.NAME, False),
    (_INTRODUCED, Kind.NAME, False),
)
_HAS_DIGIT = re.compile(r"\d")

# Public service numbers, also with an area code in front (0731-12345): 110, 119, 120,
# 122, 12345 and the other 12xxx lines, 95xxx/96xxx (95598 …), 10xxx (10086 …), and
# companies' 400-/800- lines.
_SERVICE_NUMBER = re.compile(
    r"(?:0\d{2,3})?(?:11[0-9]|12[0-2]|12\d{3}|95\d{3,4}|96\d{3,4}|10\d{3})|[48]00\d{7}"
)


def _is_service_number(text: str) -> bool:
    return _SERVICE_NUMBER.fullmatch(re.sub(r"\D", "", text)) is not None


# Words people type into the name field that are not names.
NOT_NAMES = frozenset(
    {"匿名", "市民", "居民", "群众", "业主", "住户", "网友", "先生", "女士", "无"}
)


def _matches(pattern: re.Pattern[str], kind: Kind, text: str) -> Iterable[Span]:
    for match in pattern.finditer(text):
        groups = [g for g, v in match.groupdict().items() if v is not None]
        start, end = match.span(groups[0]) if groups else match.span()
        if end > start and not (kind == Kind.PHONE and _is_service_number(text[start:end])):
            yield Span(start, end, kind)


def _name_patterns(names: Iterable[str]) -> list[re.Pattern[str]]:
    """The names given (a resident's contact), and their surname with a form of address."""
    patterns = []
    for raw in names:
        words = (raw or "").split()
        # 张 三 is 张三; John  Smith is John Smith.
        name = " ".join(words) if re.search("[A-Za-z]", raw or "") else "".join(words)
        if len(name) < 2 or name in NOT_NAMES:
            continue
        patterns.append(re.compile(re.escape(name), re.IGNORECASE))
        family = ""
        if name.endswith(tuple(_FORMS_OF_ADDRESS.split("|"))):
            family = name[:-2]
        elif re.fullmatch(r"[\u4e00-\u9fff]{2,4}", name):
            compound = re.match(_COMPOUND_SURNAMES, name)
            family = compound.group() if compound and len(name) > 2 else name[0]
        if family and len(family) <= 2:
            patterns.append(re.compile(rf"{re.escape(family)}(?:{_FORMS_OF_ADDRESS})"))
    return patterns


def find_personal_data(text: str, names: Iterable[str] = ()) -> list[Span]:
    """The personal spans of ``text``, in order, overlapping finds merged into one (the
    kind of the longest). ``names``: names known to be personal here (the resident's)."""
    if not text:
        return []
    folded = text.translate(_FOLD)
    found: list[Span] = []
    digits = _HAS_DIGIT.search(folded) is not None
    for pattern, kind, needs_digit in _PATTERNS:
        if digits or not needs_digit:
            found.extend(_matches(pattern, kind, folded))
    if "@" in folded:
        found.extend(_matches(_EMAIL, Kind.EMAIL, folded))
    for pattern in _name_patterns(names):
        found.extend(_matches(pattern, Kind.NAME, folded))
    # 302与402: a room number joined to a room just found is a room too.
    for span in [s for s in found if s.kind == Kind.ROOM]:
        if joined := _JOINED_ROOM.match(folded, span.end):
            found.append(Span(*joined.span("m"), Kind.ROOM))
    return _merged(found)


def _merged(spans: list[Span]) -> list[Span]:
    merged: list[Span] = []
    for span in sorted(spans, key=lambda s: (s.start, -(s.end - s.start))):
        if merged and span.start < merged[-1].end:
            last = merged[-1]
            if span.end > last.end:
                longest = last if last.end - last.start >= span.end - span.start else span
                merged[-1] = Span(last.start, span.end, longest.kind)
            continue
        merged.append(span)
    return merged


def mask_spans(text: str, spans: Iterable[Span]) -> str:
    """``text`` with each span replaced by its kind's label."""
    parts, at = [], 0
    for span in spans:
        parts += [text[at : span.start], str(LABELS[span.kind])]
        at = span.end
    parts.append(text[at:])
    return "".join(parts)


def mask_personal_data(text: str, names: Iterable[str] = ()) -> str:
    """``text`` fit to publish: every personal span replaced by a label such as
    ``[phone]`` (in the active language)."""
    return mask_spans(text, find_personal_data(text, names))


# --- places --------------------------------------------------------------------------------

_TRAILING = " \t,，、;；:：-–—/（(·"


def public_address(address: str, names: Iterable[str] = ()) -> str:
    """An address at estate or road level: cut before the first building, unit or room
    (``幸福小区3栋2单元501`` → ``幸福小区``; ``人民路88号`` stays), anything else personal
    in what is left masked."""
    spans = find_personal_data(address, names)
    cut = next((s.start for s in spans if s.kind == Kind.ROOM), len(address))
    kept = [s for s in spans if s.end <= cut]
    return mask_spans(address[:cut], kept).rstrip(_TRAILING).strip()


# Three decimals of a degree: 111 m north-south, about 96 m east-west at 30°N.
POINT_DECIMALS = 3


def public_coordinate(value: float | None) -> float | None:
    """A longitude or latitude rounded to about 100 m."""
    return None if value is None else round(value, POINT_DECIMALS)
