"""The demo's request texts: titles and descriptions written from our own templates.

A request is put together from its category's pieces (``phrases.TOPICS``: a fact, a
few details, an ask), a place of the demo's gazetteer (an estate or a road, with a
building, a house number, a shop on it), and a *register*, the way the channel writes:

- ``hotline``: an operator's terse note in the third person (「市民来电反映：…诉求：…」);
- ``letter``: a long letter to the leaders, angry, with what was tried before;
- ``colloquial``: a resident typing on a phone, with exclamation marks;
- ``patrol``: a grid worker's report from a round;
- ``short``: one or two sentences.

Some texts carry the typos of pinyin input (homophones: 在/再, 已经/以经, 垃圾/拉圾).
Everything is drawn from one ``random.Random``, so a seed repeats a demo exactly.
Nothing here is taken from real residents' messages.
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence
from dataclasses import dataclass

from civicgrid.demo import naming
from civicgrid.demo.phrases import BURSTS, TOPICS, Burst, Topic

__all__ = ["Neighbourhood", "Writer", "Written", "doubled", "training_set"]

REGISTERS = ("hotline", "letter", "colloquial", "patrol", "short")
# Which registers a channel writes in, and how often.
CHANNEL_REGISTERS: dict[str | None, tuple[tuple[str, int], ...]] = {
    "hotline": (("hotline", 80), ("letter", 8), ("short", 12)),
    "web": (("letter", 35), ("colloquial", 40), ("short", 25)),
    "patrol": (("patrol", 85), ("short", 15)),
    "api": (("short", 50), ("colloquial", 50)),
    None: (("hotline", 35), ("letter", 20), ("colloquial", 25), ("patrol", 10), ("short", 10)),
}

TITLE_FORMS = (
    "{core}",
    "{core}",
    "{place}{core}",
    "{place}{core}",
    "{place}{core}",
    "关于{place}{core}的反映",
    "反映{place}{core}",
    "{core}，望尽快处理",
    "{place}{core}，请求解决",
    "投诉：{place}{core}",
    "{core}（{place}）",
    "{place}{core}长期得不到解决",
)

HOTLINE = (
    "市民来电反映：{fact}，{details}。诉求：{ask}。",
    "来电人反映{fact}，{details}。来电人要求{ask}。",
    "市民来电称，{fact}。{details}。希望{ask}。",
    "热线来电：{fact}，{details}，请{ask}。",
    "来电反映：{fact}。{details}。诉求：{ask}。",
    "市民反映{fact}，{details}，要求{ask}。",
)
LETTER = (
    "{opening}{intro}{fact}。{details}。{tried}，{still}。{feel}！{plea}{ask}，{close}",
    "{opening}{intro}{fact}，{details}。{tried}，{still}。{plea}{ask}。{close}",
    "{opening}{fact}！{details}。{feel}。{tried}，{still}，{plea}{ask}。{close}",
)
COLLOQUIAL = (
    "{fact}，{details}，有没有人管一管啊？请{ask}！",
    "我想问一下，{fact}，{details}，能不能{ask}？",
    "{fact}啊！！{details}。麻烦{ask}，谢谢",
    "真的受不了了，{fact}，{details}。赶紧{ask}吧",
    "{fact}，都多少天了，{details}，到底有没有人管",
    "{fact}，{details}。。。希望{ask}",
)
PATROL = (
    "巡查发现：{fact}。{details}。已拍照留存，建议{ask}。",
    "网格员巡查时发现{fact}，{details}，现上报，请{ask}。",
    "日常巡查中发现{fact}，{details}。需{ask}。",
)
# What a grid worker cannot see on a round (wages, a fraud, a school place) reaches them
# from a resident they visit.
RELAYED = (
    "走访中居民反映：{fact}，{details}。诉求：{ask}。",
    "居民向网格员反映，{fact}，{details}，希望{ask}。",
)
SEEN_ON_A_ROUND = frozenset({"home", "estate", "road", "shop"})
SHORT = (
    "{fact}，请{ask}。",
    "{fact}，{details}，希望{ask}。",
    "{fact}。",
    "{fact}，{details}。",
)
TEMPLATES = {
    "hotline": HOTLINE,
    "letter": LETTER,
    "colloquial": COLLOQUIAL,
    "patrol": PATROL,
    "short": SHORT,
}
# How many details each register tells.
DETAILS = {
    "hotline": (1, 2),
    "letter": (2, 3),
    "colloquial": (1, 2),
    "patrol": (1, 1),
    "short": (1, 1),
}

OPENINGS = ("尊敬的领导：\n您好！", "领导您好！", "您好：", "尊敬的区领导：", "各位领导好，")
WHO = ("业主", "居民", "租户", "老住户", "一名退休职工")
TRIED = (
    "我们多次向有关方面反映",
    "打过好几次热线",
    "跟社区和物业都说过",
    "之前也在网上留过言",
    "找过好几个部门",
)
STILL = ("至今没有解决", "问题依旧", "到现在还是老样子", "每次都说马上处理，结果不了了之")
FEEL = (
    "我们实在忍无可忍",
    "真让人寒心",
    "大家的意见都很大",
    "这种状况不能再拖下去了",
    "老百姓的事就没人管了吗",
)
PLEA = ("恳请", "强烈要求", "希望", "请求")
CLOSE = ("望重视为盼！", "盼复。", "谢谢！", "请给我们一个说法。", "期待早日解决。")

# Where a request of each kind of place is, as its text says it.
WHERE = {
    "home": (
        "{estate}{b}号楼",
        "{estate}{b}栋",
        "{estate}{b}号楼{u}单元",
        "{estate}{b}幢",
        "{estate}",
    ),
    "estate": ("{estate}", "{estate}", "{estate}北区", "{estate}二期", "{estate}南门一带"),
    "road": (
        "{road}",
        "{road}",
        "{road}{n}号附近",
        "{road}靠近{estate}那段",
        "{road}与{road2}交叉口附近",
    ),
    "shop": (
        "{road}{n}号的{shop}",
        "{estate}门口的{shop}",
        "{estate}底商的{shop}",
        "{road}上的{shop}",
    ),
    "company": ("{road}一带", "{road}{n}号", "{estate}附近"),
    "school": ("{school}",),
    "hospital": ("{hospital}",),
    "none": ("{estate}",),
}
# The place a title names, by kind.
TITLE_PLACE = {
    "home": "{estate}",
    "estate": "{estate}",
    "road": "{road}",
    "shop": "{shop}",
    "company": "{company}",
    "school": "{school}",
    "hospital": "{hospital}",
    "none": "",
}
COMPANY_KINDS = (
    "建筑劳务有限公司",
    "物流有限公司",
    "电子厂",
    "装饰工程有限公司",
    "餐饮管理有限公司",
    "服装厂",
    "机械厂",
    "包装材料厂",
    "汽车修理厂",
    "科技有限公司",
)
SCHOOL_KINDS = ("小学", "中学", "实验小学", "幼儿园", "第二中学", "外国语学校")
HOSPITALS = ("区人民医院", "区中医院", "区妇幼保健院", "{p}社区卫生服务中心", "{p}卫生院")
SHOP_NAMES = ("{s}记", "老{s}家", "{p}", "小{s}", "{p}好邻居", "阿{g}")
MONEY = ("800", "1200", "1999", "2680", "3000", "4500", "5800", "6800", "9800", "12000", "23000")

# Homophones of pinyin input, wrong for right; a text with typos has one or two.
TYPOS = (
    ("在", "再"),
    ("已经", "以经"),
    ("反映", "反应"),
    ("垃圾", "拉圾"),
    ("部门", "部们"),
    ("维修", "维休"),
    ("噪声", "燥声"),
    ("马上", "马尚"),
    ("的", "地"),
    ("那", "哪"),
    ("做饭", "作饭"),
    ("厉害", "利害"),
)
# A hotline note or a grid worker's report speaks of the resident, not as the resident.
THIRD_PERSON = (
    ("我们家", "其家"),
    ("我家", "其家"),
    ("我们", "居民们"),
    ("我父亲", "其父亲"),
    ("我母亲", "其母亲"),
    ("我孩子", "其孩子"),
    ("我是", "{who}是"),
    ("我", "{who}"),
)
SPEAKER = {"hotline": "来电人", "patrol": "该居民"}
_DOUBLED = re.compile(r"(.{2,})\1")


def doubled(text: str) -> str | None:
    """A run of two or more characters said twice in a row (问题问题), if any."""
    found = _DOUBLED.search(text)
    return found.group(0) if found else None


@dataclass(frozen=True)
class Neighbourhood:
    """Places close together that one request may name: a community's estates and
    its roads (the gazetteer's, or made up when there is none)."""

    estates: tuple[str, ...]
    roads: tuple[str, ...]


@dataclass(frozen=True)
class Written:
    title: str
    text: str
    register: str
    #: The estate or road the text names first (where the request is), if any.
    named: str | None


class _Slots(dict[str, str]):
    """The values of one request's slots, drawn when first used, the same after."""

    def __init__(self, writer: Writer, near: Neighbourhood, kind: str) -> None:
        super().__init__()
        self.writer, self.near, self.kind = writer, near, kind
        self.named: str | None = None

    def __missing__(self, key: str) -> str:
        value = self.writer._slot(key, self)
        self[key] = value
        return value


class Writer:
    """Writes the demo's requests; every choice comes from ``rng``."""

    def __init__(self, rng: random.Random, neighbourhoods: Sequence[Neighbourhood] = ()) -> None:
        self.rng = rng
        self.neighbourhoods = list(neighbourhoods) or made_up_neighbourhoods(
            random.Random(rng.random()), 40
        )
        self._roads = sorted({r for n in self.neighbourhoods for r in n.roads})

    # ---------------------------------------------------------------- slots

    def _fill(self, template: str, slots: _Slots) -> str:
        return template.format_map(slots)

    def _slot(self, key: str, slots: _Slots) -> str:
        rng, near = self.rng, slots.near
        if key == "estate":
            value = rng.choice(near.estates)
            slots.named = slots.named or value
            return value
        if key == "road":
            value = rng.choice(near.roads)
            slots.named = slots.named or value
            return value
        if key == "road2":
            others = [r for r in self._roads if r not in near.roads] or self._roads
            return rng.choice(others)
        if key == "where":
            return self._fill(rng.choice(WHERE[slots.kind]), slots)
        if key == "shop":
            topic = TOPICS.get(slots.get("category", ""))
            kinds = topic.shops if topic and topic.shops else ("便利店", "超市", "小吃店")
            return self._fill(rng.choice(SHOP_NAMES), slots) + rng.choice(kinds)
        if key == "company":
            return self._fill("{p}", slots) + rng.choice(COMPANY_KINDS)
        if key == "school":
            return self._fill("{p}", slots) + rng.choice(SCHOOL_KINDS)
        if key == "hospital":
            return self._fill(rng.choice(HOSPITALS), slots)
        if key == "p":  # a two-character name
            return rng.choice(naming.PLACE_FIRST) + rng.choice(naming.PLACE_SECOND)
        if key == "s":
            return rng.choice(naming.SURNAMES)
        if key == "g":
            return rng.choice(naming.GIVEN)
        numbers = {
            "b": (1, 32),
            "u": (1, 6),
            "f": (2, 28),
            "n": (2, 9),
            "days": (3, 20),
            "months": (2, 8),
        }
        if key in numbers:
            return str(rng.randint(*numbers[key]))
        if key == "room":
            return f"{rng.randint(1, 26)}0{rng.randint(1, 4)}"
        if key == "money":
            return rng.choice(MONEY)
        if key == "line":
            return f"{rng.randint(1, 89)}路"
        if key == "plate":
            return f"尾号{rng.randint(0, 9999):04d}"
        raise KeyError(key)

    # ---------------------------------------------------------------- requests

    def register_for(self, channel: str | None) -> str:
        weighted = CHANNEL_REGISTERS.get(channel, CHANNEL_REGISTERS[None])
        return self.rng.choices([r for r, _ in weighted], [w for _, w in weighted])[0]

    def request(
        self,
        category: str,
        *,
        channel: str | None = None,
        near: Neighbourhood | None = None,
        register: str | None = None,
    ) -> Written:
        """A request of the category named ``category`` (a leaf of the taxonomy)."""
        topic = TOPICS[category]
        near = near or self.rng.choice(self.neighbourhoods)
        slots = _Slots(self, near, topic.place)
        slots["category"] = category
        register = register or self.register_for(channel)
        core = self.rng.choice(topic.titles)
        title = self._title(core, TITLE_PLACE[topic.place], slots)
        text = self._text(topic, register, slots)
        return Written(title, text, register, slots.named)

    def burst_request(
        self, burst: Burst, anchor: str, near: Neighbourhood, *, channel: str | None = None
    ) -> Written:
        """One resident's request about ``burst`` at ``anchor`` (the road or estate of
        the whole burst); residents name the site in different ways."""
        slots = _Slots(self, near, burst.place)
        slots["category"] = burst.category
        slots[burst.place] = slots.named = anchor
        slots["site"] = self._fill(self.rng.choice(burst.sites), slots)
        register = self.register_for(channel)
        title = self._title(self._fill(self.rng.choice(burst.titles), slots), "", slots)
        slots["site"] = self._fill(self.rng.choice(burst.sites), slots)
        topic = Topic(burst.place, burst.titles, burst.facts, burst.details, burst.asks)
        text = self._text(topic, register, slots)
        return Written(title, text, register, slots.named)

    def _title(self, core: str, place_template: str, slots: _Slots) -> str:
        form = self.rng.choice(TITLE_FORMS)
        place = self._fill(place_template, slots) if "{place}" in form else ""
        if "{place}" in form and (not place or core.startswith(place)):
            form = "{core}"
        title = form.format(core=core, place=place)
        return core if doubled(title) else title

    def _text(self, topic: Topic, register: str, slots: _Slots) -> str:
        rng = self.rng
        low, high = DETAILS[register]
        count = min(len(topic.details), rng.randint(low, high))
        parts = {
            "fact": self._fill(rng.choice(topic.facts), slots),
            "details": "，".join(self._fill(d, slots) for d in rng.sample(topic.details, count)),
            "ask": self._fill(rng.choice(topic.asks), slots),
        }
        if register == "letter":
            intro = ""
            if topic.place in ("home", "estate", "road", "shop"):
                intro = self._fill(f"我是{{estate}}的{rng.choice(WHO)}。", slots)
            parts |= {
                "opening": rng.choice(OPENINGS),
                "intro": intro,
                "tried": rng.choice(TRIED),
                "still": rng.choice(STILL),
                "feel": rng.choice(FEEL),
                "plea": rng.choice(PLEA),
                "close": rng.choice(CLOSE),
            }
        templates = TEMPLATES[register]
        if register == "patrol" and topic.place not in SEEN_ON_A_ROUND:
            templates = RELAYED
        text = rng.choice(templates).format(**parts)
        if register in SPEAKER:
            for first, third in THIRD_PERSON:
                text = text.replace(first, third.format(who=SPEAKER[register]))
        typo_rate = 0.15 if register in ("colloquial", "short") else 0.05
        if rng.random() < typo_rate:
            text = self._typos(text)
        if register == "colloquial" and rng.random() < 0.15:
            text = text.replace("，", " ")
        return text

    def _typos(self, text: str) -> str:
        """One or two homophones of pinyin input, each at one of its places."""
        present = [pair for pair in TYPOS if pair[0] in text]
        for right, wrong in self.rng.sample(present, min(len(present), self.rng.randint(1, 2))):
            places = [m.start() for m in re.finditer(re.escape(right), text)]
            at = self.rng.choice(places)
            text = text[:at] + wrong + text[at + len(right) :]
        return text


def made_up_neighbourhoods(rng: random.Random, count: int) -> list[Neighbourhood]:
    """Neighbourhoods named like the demo's gazetteer, for texts outside a district
    (training the first classifier, tests)."""
    pool = naming.NamePool(rng)
    suffixes = ("花园", "小区", "家园", "苑", "新村", "公寓", "雅苑", "名城")
    return [
        Neighbourhood(
            estates=(
                f"{pool.take()}{rng.choice(suffixes)}",
                f"{pool.take()}{rng.choice(suffixes)}",
            ),
            roads=(f"{pool.take()}路",),
        )
        for _ in range(count)
    ]


def training_set(
    seed: int | str, per_category: int, categories: Sequence[str] | None = None
) -> tuple[list[str], list[str], list[str]]:
    """(texts, category names, titles): ``per_category`` generated requests of each
    category, in every register, at made-up places."""
    writer = Writer(random.Random(seed))
    texts, labels, titles = [], [], []
    for name in categories if categories is not None else TOPICS:
        for _ in range(per_category):
            written = writer.request(name)
            texts.append(written.text)
            labels.append(name)
            titles.append(written.title)
    return texts, labels, titles


assert all(b.category in TOPICS for b in BURSTS)
