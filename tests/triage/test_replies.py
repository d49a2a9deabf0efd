"""Reply-quality checks on invented requests and replies (no database)."""

from __future__ import annotations

import pytest

from civicgrid.triage.replies import Flag, check_reply, strip_stock

TITLE = "翠湖小区东门路灯不亮"
TEXT = "翠湖小区东门到3栋的路灯坏了两个月，晚上出行很不安全，老人摔倒过两次，希望尽快修好路灯。"

GOOD = (
    "网友您好！来信收悉。经核查，翠湖小区东门至3栋共有4盏路灯因线路老化损坏。"
    "区城管局路灯管理所已于6月12日派员更换线路和灯具，目前路灯已恢复正常照明。"
    "如仍有问题，请拨打路灯维修电话0731-88886666反映。感谢您对我们工作的支持！2024年6月13日"
)


def test_a_concrete_reply_is_ok() -> None:
    check = check_reply(TITLE, TEXT, GOOD)
    assert check.ok, check
    assert check.flags == []
    assert check.relevance >= 0.4  # it repeats the title, not every detail of the text
    assert check.completeness >= 0.9
    assert set(check.elements) == {"done", "result", "who", "when", "contact"}


@pytest.mark.parametrize("reply", ["", "   \n\t", "2024年6月13日", "网友：2024年6月13日"])
def test_empty(reply: str) -> None:
    check = check_reply(TITLE, TEXT, reply)
    assert check.flags == [Flag.EMPTY]
    assert not check.ok
    assert check.relevance == 0.0 and check.completeness == 0.0


@pytest.mark.parametrize(
    "reply",
    [
        "网友您好！您的留言已收悉。感谢您对我们工作的关心和支持！",
        "尊敬的网友：您好！来信收悉，现回复如下：您反映的问题已转交相关部门调查处理。"
        "感谢您的理解与支持，祝您生活愉快！2024年6月13日",
    ],
)
def test_stock_phrases_only_are_boilerplate(reply: str) -> None:
    check = check_reply(TITLE, TEXT, reply)
    assert Flag.BOILERPLATE in check.flags
    assert Flag.NO_ANSWER in check.flags
    assert not check.ok
    assert check.relevance == 0.0


def test_reply_about_another_topic_is_unrelated() -> None:
    reply = (
        "您好！关于住房公积金贷款额度问题，根据《住房公积金个人贷款管理办法》规定，贷款额度按"
        "借款人缴存余额的十五倍计算，最高不超过六十万元，具体请咨询市公积金管理中心。"
    )
    check = check_reply(TITLE, TEXT, reply)
    assert Flag.UNRELATED in check.flags
    assert check.relevance < 0.05
    assert not check.ok


def test_forwarding_only_is_no_answer() -> None:
    check = check_reply(TITLE, TEXT, "您好！您反映的翠湖小区路灯问题已转交区城管局调查处理。")
    assert Flag.NO_ANSWER in check.flags
    assert "who" in check.elements  # it does name the office it went to
    assert not check.ok


def test_vague_promise_is_no_action() -> None:
    reply = (
        "您好！对于翠湖小区路灯的问题我们高度重视，今后会进一步加强管理，努力为小区居民营造"
        "安全、舒适的出行环境。"
    )
    check = check_reply(TITLE, TEXT, reply)
    assert Flag.NO_ACTION in check.flags
    assert not check.ok


def test_short_reply_is_too_short() -> None:
    check = check_reply(TITLE, TEXT, "已处理。")
    assert Flag.TOO_SHORT in check.flags


def test_a_guidance_answer_to_a_question_is_ok() -> None:
    check = check_reply(
        "咨询新生儿落户需要什么材料",
        "孩子刚出生，想办理落户，请问需要带哪些材料，到哪里办理？",
        "您好！新生儿落户请携带出生医学证明、父母双方户口簿和身份证、结婚证原件，到父亲或母亲"
        "户籍所在地派出所户籍窗口办理，当场办结。咨询电话0731-84446666。",
    )
    assert check.ok, check
    assert check.relevance > 0.3


def test_relevance_ignores_stock_phrases() -> None:
    # The request says 留言/反映/问题 too; those words earn a reply nothing.
    check = check_reply(
        "反映留言问题没有回复", "我反映的问题留言很久了", "您好！您的留言已收悉，感谢您的反映。"
    )
    assert check.relevance == 0.0


def test_strip_stock_keeps_the_substance() -> None:
    body = strip_stock(GOOD)
    assert "来信收悉" not in body and "感谢" not in body and "2024年6月13日" not in body
    assert body.startswith("经核查")


def test_scores_are_bounded() -> None:
    for reply in ["", GOOD, "已处理。", TEXT]:
        check = check_reply(TITLE, TEXT, reply)
        assert 0.0 <= check.relevance <= 1.0
        assert 0.0 <= check.completeness <= 1.0
        assert check.ok == (not check.flags)
