"""The masker of personal data in free text, held to examples, to properties, and to the
labelled set in ``data/pii.txt`` (recall ≥ 0.99)."""

from __future__ import annotations

import itertools
import re
from datetime import date

import pytest
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from civicgrid.privacy.masking import (
    Kind,
    find_personal_data,
    mask_personal_data,
    public_address,
    public_coordinate,
)
from tests.privacy.labelled import DATA, KINDS, load, parse, score


@pytest.fixture(autouse=True)
def _english():  # type: ignore[no-untyped-def]
    with translation.override("en"):
        yield


def kinds(text: str, names: tuple[str, ...] = ()) -> list[tuple[str, str]]:
    return [(text[s.start : s.end], s.kind) for s in find_personal_data(text, names)]


@pytest.mark.parametrize(
    "text,expected",
    [
        ("电话13800138000", "电话[phone]"),
        ("手机 138 0013 8000，", "手机 [phone]，"),
        ("号码138-0013-8000。", "号码[phone]。"),
        ("请回电+86 139 0731 2222", "请回电[phone]"),
        ("座机010-12345678", "座机[phone]"),
        ("家里0731 8888 6666", "家里[phone]"),
        ("（0735）6621655", "[phone]"),
        ("前台021-61234567转8012", "前台[phone]"),
        ("联系电话84456789", "联系电话[phone]"),
        ("１３８７３１０５５６６", "[phone]"),  # full-width digits
        ("身份证430102199001011234", "身份证[ID number]"),
        ("身份证43010219850315201X。", "身份证[ID number]。"),
        ("老证430102450612331", "老证[ID number]"),
        ("登记为430102********1234", "登记为[ID number]"),
        ("卡号6222021234567890123", "卡号[account number]"),
        ("QQ：123456789", "QQ：[account number]"),
        ("微信zhang_wei1988", "微信[account number]"),
        ("车牌湘A12345的车", "车牌[plate]的车"),
        ("京A·D1234停在盲道", "[plate]停在盲道"),
        ("粤B·D12345", "[plate]"),
        ("邮箱zw@qq.com。", "邮箱[e-mail]。"),
        ("住3栋2单元501", "住[room]"),
        ("5号楼1单元302室漏水", "[room]漏水"),
        ("12幢门口", "[room]门口"),
        ("3-2-501的住户", "[room]的住户"),
        ("B座1203的公司", "[room]的公司"),
        ("三栋二单元门口", "[room]门口"),
        ("楼上602天天吵", "楼上[room]天天吵"),
        ("丽景花园12号别墅", "丽景花园[room]别墅"),
        ("红星村3组12号", "红星村[room]"),
        ("楼上的张先生", "楼上的[name]"),
        ("我叫王小明，", "我叫[name]，"),
    ],
)
def test_masks_personal_data(text: str, expected: str) -> None:
    assert mask_personal_data(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "坐12路到3号线换乘",
        "2024年3月5日14:30开始施工",
        "2023-11-08停电",
        "维修要1500元，基金3.5万",
        "拨打12345、110、119、120、95598、12319、10086",
        "客服400-820-8820和800-810-8888",
        "打了0731-12345热线",
        "人民路88号的烧烤店",
        "芙蓉中路二段168号门口",
        "小区共有12栋楼，300多户",
        "一栋18层楼只有一部电梯",
        "两栋楼之间",
        "我家住5楼，18楼以上水压不够",
        "小区3号门、3号院",
        "大约3公里，距离30米，70分贝",
        "按GB50096-2011第6.1.3条",
        "合同编号2024-0315",
        "隔壁的120急救车",
        "保安师傅、门卫大爷、修路师傅、保洁阿姨",
        "湘A开头的车很多",
        "公众号@幸福社区发布",
        "手机尾号5678",
    ],
)
def test_leaves_public_facts(text: str) -> None:
    assert find_personal_data(text) == []
    assert mask_personal_data(text) == text


def test_the_residents_own_name_and_its_forms_of_address() -> None:
    text = "我是冼晓彤，冼女士的邻居也叫冼晓彤。"  # 冼: a surname the generic rule lacks
    assert mask_personal_data(text) == text
    assert mask_personal_data(text, ["冼晓彤"]) == "我是[name]，[name]的邻居也叫[name]。"
    assert mask_personal_data("My name is JOHN SMITH.", ["John Smith"]) == "My name is [name]."
    assert mask_personal_data("欧阳女士反映", ["欧阳娜娜"]) == "[name]反映"
    # Words put in the name field that are not names are not masked everywhere.
    assert mask_personal_data("市民反映路灯不亮", ["市民"]) == "市民反映路灯不亮"
    assert mask_personal_data("张 三反映", ["张 三"]) == "张 三反映"  # spaced: no match
    assert mask_personal_data("张三反映", ["张 三"]) == "[name]反映"


def test_labels_speak_the_pages_language() -> None:
    with translation.override("zh-hans"):
        masked = mask_personal_data("电话13800138000，住3栋501")
    assert "13800138000" not in masked and "3栋" not in masked
    assert "[phone]" not in masked and "电话" in masked


def test_overlapping_finds_are_masked_once() -> None:
    # 86 + a mobile is also a 13-digit number: one span, the phone.
    assert kinds("8613800138000") == [("8613800138000", Kind.PHONE)]
    assert kinds("430102199001011234") == [("430102199001011234", Kind.ID)]


@pytest.mark.parametrize(
    "address,public",
    [
        ("幸福小区3栋2单元501", "幸福小区"),
        ("幸福小区 3栋", "幸福小区"),
        ("人民路88号", "人民路88号"),
        ("人民路88号3单元501室", "人民路88号"),
        ("解放路与延安路口", "解放路与延安路口"),
        ("丽景花园12号", "丽景花园"),
        ("3栋2单元", ""),
        ("幸福小区3栋（张先生家）", "幸福小区"),
        ("幸福小区旁，电话13800138000", "幸福小区旁，电话[phone]"),
        ("", ""),
    ],
)
def test_addresses_are_published_at_estate_or_road_level(address: str, public: str) -> None:
    assert public_address(address) == public


def test_points_are_rounded_to_about_100_metres() -> None:
    assert public_coordinate(112.98765) == 112.988
    assert public_coordinate(28.19454) == 28.195
    assert public_coordinate(None) is None


# --- properties ------------------------------------------------------------------------------

HAN = st.text(alphabet="楼道里灯坏了请尽快处理我们小区居民反映", min_size=0, max_size=12)


@st.composite
def mobiles(draw: st.DrawFn) -> str:
    digits = "1" + draw(st.sampled_from("3456789")) + draw(st.from_regex(r"\d{9}", fullmatch=True))
    sep = draw(st.sampled_from(["", " ", "-"]))
    grouped = f"{digits[:3]}{sep}{digits[3:7]}{sep}{digits[7:]}"
    return draw(st.sampled_from(["", "+86 ", "+86", "0086 "])) + grouped


@given(before=HAN, after=HAN, number=mobiles())
def test_any_mobile_number_in_any_sentence_is_masked(before: str, after: str, number: str) -> None:
    masked = mask_personal_data(f"{before}{number}{after}")
    digits = re.sub(r"\D", "", number)[-11:]
    assert digits[3:] not in re.sub(r"\D", "", masked), masked


@st.composite
def id_numbers(draw: st.DrawFn) -> str:
    region = draw(st.from_regex(r"[1-6]\d{5}", fullmatch=True))
    born = draw(st.dates(min_value=date(1900, 1, 1)))
    serial = draw(st.from_regex(r"\d{3}[0-9X]", fullmatch=True))
    return f"{region}{born:%Y%m%d}{serial}"


@given(before=HAN, after=HAN, number=id_numbers())
def test_any_id_number_is_masked(before: str, after: str, number: str) -> None:
    masked = mask_personal_data(f"{before}身份证{number}{after}")
    assert number not in masked and number[6:14] not in masked


@given(text=st.text(max_size=200))
def test_masking_never_fails_and_keeps_what_is_not_masked(text: str) -> None:
    spans = find_personal_data(text)
    assert all(0 <= a.start < a.end <= len(text) for a in spans)
    assert all(a.end <= b.start for a, b in itertools.pairwise(spans))
    if not spans:
        assert mask_personal_data(text) == text


# --- the labelled set ------------------------------------------------------------------------


def ours(text: str, names: tuple[str, ...]) -> list[tuple[int, int, str]]:
    return [(s.start, s.end, str(s.kind)) for s in find_personal_data(text, names)]


def test_the_labelled_set_is_well_formed() -> None:
    examples = load()
    assert len(examples) >= 200
    assert sum(not e.spans for e in examples) >= 80, "many negatives"
    assert {k for e in examples for _s, _e, k in e.spans} == set(KINDS)
    example = parse("@张伟 我叫[[name:张伟]]，电话[[phone:13800138000]]。")
    assert example.text == "我叫张伟，电话13800138000。" and example.names == ("张伟",)
    assert example.spans == ((2, 4, "name"), (7, 18, "phone"))
    assert "pii.txt" in str(DATA)


def test_recall_on_the_labelled_set_stays_at_least_99_percent() -> None:
    result = score(load(), ours)
    assert result.all.hidden / result.all.gold >= 0.99, result.misses
    assert result.all.right / result.all.found >= 0.95, result.false_alarms
    for kind in KINDS:
        tally = result.by_kind[kind]
        assert tally.hidden / tally.gold >= 0.95, (kind, result.misses)
