"""Reply quality: does the government's reply answer the resident, and concretely?

Why: a reply is read by the resident and audited by the supervising office. The
common failures in practice are a reply with nothing in it (a greeting and a
thank-you), a reply that only passes the message on ("已转交…调查处理") and never
answers, a reply about something else (pasted into the wrong case), and a reply
that answers in general terms without saying what was done, by whom, by when or
whom to call. :func:`check_reply` measures those with transparent rules — a
reviewer can see why a reply was flagged — rather than a learned model, which
would need labelled replies we do not have.

Thresholds were set by reading a fixed random sample of 300 of the 2,816 replies
in the shared challenge data (seed 2024 in ``bench/replies.py --sample``), not by
optimising over all of them; ``bench/replies.py`` reports the flags over the rest.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from enum import StrEnum

from civicgrid.triage.text import (
    REPLY_STOPWORDS,
    char_ngrams,
    compact,
    content_length,
    cut,
    general_idf,
)
from civicgrid.triage.text import content_words as select_content_words

__all__ = ["Flag", "ReplyCheck", "check_reply", "content_words", "strip_stock"]


class Flag(StrEnum):
    """Why a reply is not good enough; several may apply."""

    #: No text at all, or only a salutation/date.
    EMPTY = "empty"
    #: Under :data:`MIN_CONTENT_CHARS` characters once stock phrases are removed.
    TOO_SHORT = "too_short"
    #: Mostly stock phrases (at least :data:`BOILERPLATE_SHARE` of the text), little
    #: else, and no measure, result or guidance in what is left.
    BOILERPLATE = "boilerplate"
    #: Shares too few content words with the request (:data:`MIN_RELEVANCE`).
    UNRELATED = "unrelated"
    #: Names no measure, result, time or responsible unit.
    NO_ACTION = "no_action"
    #: Only acknowledges, forwards or defers: no result, answer or guidance.
    NO_ANSWER = "no_answer"


#: Content characters (Han, letters, digits) left after stock phrases, below which a
#: reply is too short to say anything. On the sample every reply under 20 was a bare
#: "已转某局核处" or a pleasantry; from 20 up some answer in one line (a rule that
#: applies, where a list was published, whom to ask).
MIN_CONTENT_CHARS = 20
#: Share of a reply's characters that are stock phrases, at or above which (with
#: little left, see :data:`BOILERPLATE_MAX_CONTENT`) it is boilerplate. Typical
#: boilerplate on the sample was 60–90 % greeting, acknowledgement and thanks.
BOILERPLATE_SHARE = 0.6
#: Boilerplate replies have at most this many content characters left.
BOILERPLATE_MAX_CONTENT = 30
#: Relevance below which a reply is "unrelated". The sample's median relevance is
#: ~0.4 and 10 % are under ~0.12; the ~3 % under 0.05 (with enough text to judge)
#: were generic referrals ("call the hotline"), answers in entirely other words, or
#: about another matter than asked — each worth a human look, which is what the
#: flag asks for. It is not proof of a wrong reply.
MIN_RELEVANCE = 0.05
#: Replies shorter than this are not called unrelated: too little to judge by.
MIN_UNRELATED_CHARS = 40
#: How many of the request's words (by TF-IDF) relevance looks for in the reply.
KEYWORDS = 12
#: Completeness below which a substantive reply still counts as not concrete.
MIN_COMPLETENESS = 0.3

# --- stock phrases ------------------------------------------------------------------

_NAME = r"(?:[“\"'‘][^”\"'’]{0,16}[”\"'’]|[A-Za-z]+\d*)?"
#: Phrases that carry no information about the case. Order matters little; each is
#: removed wherever it occurs.
_GREETING_PATTERNS = [
    # salutations and the writer's handle
    rf"(?:尊敬的)?(?:网友|市民|群众|同志|先生|女士|朋友|用户)?{_NAME}[：:，,]?(?:您|你)好[！!，,。.：:]?",
    rf"(?:尊敬的|亲爱的)?(?:网友|网民|市民|群众|同志|朋友){_NAME}[：:，,]?",
    r"^(?:尊敬的|亲爱的)",
    r"^[“\"][^”\"]{0,20}[”\"][：:，,]?",
    # the trailing signature: office and date
    r"\d{4}年\d{1,2}月\d{1,2}日?$",
    r"[A-Za-z]*\d*[市区县]?(?:网宣办|网宣中心|信访办|政务服务中心)$",
]
_STOCK_PATTERNS = [
    *_GREETING_PATTERNS,
    # acknowledgement
    r"(?:您|你)?(?:的|所)?(?:来信|留言|帖文|帖子|信件|来电|咨询|建议|诉求|网帖|问政|反映)"
    r"(?:已|我们已|我[局办委单位]已)?(?:收悉|收到|悉)[！!，,。.]?",
    r"来信收悉|已收悉|收悉",
    r"(?:现将|现就|现对)?(?:有关|相关|具体|处理|调查|办理)?(?:情况|结果)?(?:回复|答复|函复)如下[：:]?",
    r"现回复如下[：:]?|特此(?:回复|答复|函复)[。！!]?|专此(?:回复|答复)[。！!]?",
    # thanks, wishes, apologies
    r"(?:非常|十分)?感谢(?:您|你)?(?:对|的)?[^。！!；;]{0,30}?(?:关心|关注|支持|理解|监督|信任|留言|问政|"
    r"建议|来信|反映|参与|配合)[^。！!]{0,12}[。！!]?",
    r"(?:谢谢|多谢)(?:您|你)?(?:的)?(?:理解|支持|关注|关心|配合|留言)?(?:与|和|、)?(?:支持|理解)?[。！!]?",
    r"祝(?:您|你)?[^。！!]{0,10}(?:愉快|顺心|顺利|健康|快乐|如意)[。！!]?",
    r"(?:敬请|请)?(?:您)?谅解[。！!]?|给(?:您|你)[^。！!]{0,20}带来(?:的)?不便[^。！!]{0,8}[。！!]?",
    r"欢迎(?:您|你)?(?:继续)?(?:对我们的工作)?(?:提出|监督|关注)[^。！!]{0,20}[。！!]?",
    # generic referral with no named unit
    r"(?:您|你)(?:所)?反映的(?:问题|情况|事项|事宜)?",
    r"(?:已|将)(?:转交?|转至|转到|交由|交办|移交)(?:给)?(?:相关|有关)(?:部门|单位|职能部门|科室)"
    r"(?:进行)?(?:调查|核实|核查|研究|处理|办理|办复|核处|答复)*[。！!]?",
]
_STOCK = [re.compile(p) for p in _STOCK_PATTERNS]
_GREETINGS = [re.compile(p) for p in _GREETING_PATTERNS]
_YEAR = re.compile(r"^(?:19|20)\d\d$")
_TRAILING_DATE = re.compile(r"[（(]?\d{4}年\d{1,2}月\d{1,2}日[）)]?[。.]?$")


def _strip(s: str, patterns: list[re.Pattern[str]]) -> str:
    for _ in range(3):  # a date may only become trailing once the thanks go
        before = s
        for pattern in patterns:
            s = pattern.sub("", s)
        s = _TRAILING_DATE.sub("", s)
        if s == before:
            break
    return s


def strip_stock(reply: str) -> str:
    """The reply with salutations, acknowledgements, thanks and signature removed."""
    return _strip(compact(reply), _STOCK)


# --- content words --------------------------------------------------------------------


def content_words(s: str) -> list[str]:
    """Jieba words of 2+ characters that are not stop words or stock phrases."""
    return select_content_words(
        cut(strip_stock(s)), REPLY_STOPWORDS, whole=False, keep_number=_line_or_amount
    )


def _line_or_amount(number: str) -> bool:
    """Numbers worth keeping: bus lines and amounts, not years and counts."""
    return len(number) >= 3 and not _YEAR.match(number)


def _keywords(title: str, text: str) -> dict[str, float]:
    """The request's :data:`KEYWORDS` content words with TF-IDF weights; title words ×2."""
    tf: dict[str, float] = {}
    for w in content_words(title):
        tf[w] = tf.get(w, 0.0) + 2.0
    for w in content_words(text):
        tf[w] = tf.get(w, 0.0) + 1.0
    weighted = {w: (1.0 + math.log(c)) * general_idf(w) for w, c in tf.items()}
    top = sorted(weighted, key=lambda w: -weighted[w])[:KEYWORDS]
    return {w: weighted[w] for w in top}


def _coverage(keywords: dict[str, float], reply: str) -> float:
    """Weighted share of ``keywords`` found in ``reply``.

    Substring matching on the reply's characters rather than on its words: jieba
    splits names differently in a question and in an answer, the characters stay
    the same. A longer word not found whole earns half the share of its character
    bigrams that are (文化路口 vs 文化路).
    """
    total = sum(keywords.values())
    if total <= 0:
        return 0.0
    got = 0.0
    for w, weight in keywords.items():
        if w in reply:
            got += weight
        elif len(w) >= 3:
            grams = char_ngrams(w, 2)
            got += 0.5 * weight * sum(g in reply for g in grams) / len(grams)
    return got / total


# --- completeness -----------------------------------------------------------------------

#: Concrete measures: what an office does about a case.
_MEASURES = (
    r"(?:现场|实地|上门)?(?:查处|检查|整改|整治|处置|安排|督促|责令|责成|维修|修复|修缮|更换|清理|"
    r"清运|拆除|约谈|协调|解决|完成|落实|处罚|罚款|立案|下达|开展|组织|派员|派出|到现场|到达现场|"
    r"查看|勘察|疏通|取缔|暂扣|劝导|制止|回访|发放|办理|补发|退还|安装|增设|施工|沟通|召开|部署|"
    r"申报|审批|批复|登记|通知|采纳|纳入|列入|调整|启动|建设|修建|改造|硬化|铺设|设置|配备|增加|"
    r"投入|招标|复工|动工|开工|验收|公示|公布|下发|采取|约见|询问|送达|告知|签订|张贴|粘贴|制定|出台|印发|"
    r"答复了|联系了|核查|核实|调查|研究|处理)"
)
#: Investigation verbs that, promised for later, are a deferral rather than a measure.
_DEFERRABLE = re.compile(r"(?:核查|核实|调查|研究|处理|办理|协调|沟通|答复|回复)$")
#: Passing the case on (to another office) is not a measure in itself.
_FORWARDING = re.compile(r"转交?|转至|转到|转给|交由|交办|移交|转办|批转|转送|提交")
#: Something was done: a past marker, or a completion marker after the verb.
_DONE = re.compile(
    r"(?:已|已经|均已|现已|立即|及时|随即|当即|迅速|马上|多次|专门|先后|于\d{1,2}月\d{1,2}日)"
    rf"[^。；;！!]{{0,15}}?{_MEASURES}"
    rf"|{_MEASURES}(?:了|完毕|到位|工作)"
    r"|经(?:过)?(?:核查|核实|调查|查|了解|研究|协调|现场)"
)
#: Something will be done: a future marker then a concrete measure.
_PLANNED = re.compile(
    r"(?:将|拟|计划|准备|即将|正在|争取|会同|待[^。]{0,12}后)"
    rf"[^。；;！!]{{0,15}}?{_MEASURES}"
)
#: A result or an answer: the state now, a finding, or the rule that applies.
_RESULT = re.compile(
    r"目前|现已|已经(?:完成|恢复|修复|解决|整改|拆除|清理|到位|办结)|已(?:恢复|修复|解决|整改到位|"
    r"拆除|清理|办结|完成)|情况属实|不属实|符合|不符合|结果(?:为|是|显示|如下)|(?:根据|依据|按照|按)[^。；;]{0,40}?"
    r"(?:规定|办法|条例|通知|意见|文件|标准|政策|法|精神|原则|纪要|方案|计划|要求)|"
    r"《[^》]{2,40}(?:法|条例|办法|规定|通知|意见|方案|细则|标准|决定|规划|纪要|批复|公告)》|"
    r"第[一二三四五六七八九十百\d]+条|可以|不能|不得|应当|须|需(?:要)?提供|条件|标准为|\d+(?:元|"
    r"万元|平方米|米|天|个工作日|%)|承诺|已得到|整改完毕|恢复正常|没有|未发现|不存在|暂无|暂未|尚未|"
    r"不属于|属于|得到(?:妥善|圆满|有效)?解决|圆满解决|妥善解决|已(?:公示|公布)"
)
#: Guidance: where to go or whom to call, which answers many 咨询 questions.
_GUIDANCE = re.compile(
    r"(?:请|建议|可)(?:您|你)?(?:携带|持|到|向|前往|直接|拨打|致电|登录|通过|联系|咨询|关注|申请|"
    r"提供|依法|留意)|(?:您|你)(?:应|应当|应该|需|需要|须|可|可以)|(?:需|须)(?:要)?(?:带|携带|提供|"
    r"持|到|办理|填写|提交|本人)"
)
#: A named responsible unit (not "相关部门").
_UNIT = re.compile(
    r"[\u4e00-\u9fffA-Za-z\d]{2,14}?(?:局|委员会|委|办公室|办事处|办|中心|公司|集团|街道|镇政府|"
    r"镇|乡|派出所|大队|中队|支队|分局|管理处|管理所|所|科|站|社区|居委会|村委会|村|院|厅|部|队|"
    r"管委会|指挥部|物业)"
    r"|(?<![A-Za-z\d])[A-Z]\d{0,2}[市县区](?:人民)?(?:政府)?"
)
_GENERIC_UNIT = re.compile(r"^(?:相关|有关|职能|责任|主管|我|本|该|贵)")
#: When: a date, a deadline or a next step.
_WHEN = re.compile(
    r"\d{4}年\d{1,2}月(?:\d{1,2}日)?|\d{1,2}月\d{1,2}日|\d{1,2}月(?:底|初|中旬|上旬|下旬)|"
    r"年底|年内|月底|近期|近日|日前|下一步|下阶段|预计|计划于?|将于|争取|\d+个?(?:工作日|日|天|周|"
    r"个月)内|春节前|本周|本月|今年|明年"
)
#: A way to follow up: a phone number or an explicit contact.
_CONTACT = re.compile(
    r"(?:电话|热线|联系方式|联系人|咨询电话|服务电话)[：:]?|(?<![\dA-Za-z])(?:0\d{2,3}[-—–]?)?"
    r"\d{7,8}(?!\d)|(?<![\dA-Za-z])1[3-9]\d{9}(?!\d)|0000-0000|12345"
)
#: The reply only passes the case on or promises to look into it.
_DEFER = re.compile(
    r"(?:已|将|现已)(?:转交?|转至|转到|转给|交由|交办|移交|转办|批转|提交|转送)|正在(?:调查|核实|核查|"
    r"处理|办理|研究)|(?:将|会)(?:及时|尽快)?(?:调查|核实|处理|答复|回复|反馈)|待[^。]{0,10}后"
)


def _measure(s: str) -> bool:
    """Whether ``s`` states a measure taken or planned (forwarding and "will look into it"
    do not count)."""
    for m in _DONE.finditer(s):
        if not _FORWARDING.search(m.group()):
            return True
    for m in _PLANNED.finditer(s):
        if not _FORWARDING.search(m.group()) and not _DEFERRABLE.search(m.group()):
            return True
    return False


def _units(s: str) -> list[str]:
    return [m for m in _UNIT.findall(s) if not _GENERIC_UNIT.match(m)]


@dataclass(frozen=True, slots=True)
class ReplyCheck:
    """The verdict on one reply, with the measures behind it."""

    #: :class:`Flag` values, as plain strings for JSON and templates.
    flags: list[str]
    #: 0..1: weighted share of the request's content words that the reply repeats.
    relevance: float
    #: 0..1: what was done, the result, who, when, a contact (weights 0.3/0.3/0.15/0.15/0.1).
    completeness: float
    ok: bool
    #: Content characters left once stock phrases are removed, and their share.
    content_chars: int = 0
    stock_share: float = 0.0
    #: Which completeness elements were found.
    elements: list[str] = field(default_factory=list)


_WEIGHTS = {"done": 0.3, "result": 0.3, "who": 0.15, "when": 0.15, "contact": 0.1}


def check_reply(request_title: str, request_text: str, reply: str) -> ReplyCheck:
    """Flags, relevance and completeness of ``reply`` to the request.

    - **relevance** is the TF-IDF-weighted share of the request's :data:`KEYWORDS`
      top content words (jieba words minus stop words and stock phrases; title
      words count double; IDF from jieba's bundled general-language table, so one
      request is enough) that occur in the reply once its stock phrases are
      removed. Coverage, not cosine: a good reply is longer than the question and
      brings its own vocabulary (regulations, procedure), which should not count
      against it; stock phrases are removed on both sides, so "您的留言已收悉"
      earns nothing.
    - **completeness** sums the weights of the elements found: what was done or
      is planned (0.3; forwarding and "will look into it" do not count), the
      result, finding or applicable rule (0.3), a named responsible unit (0.15), a
      date/deadline/next step (0.15), a contact (0.1).
    - **flags**: see :class:`Flag` and the thresholds above; **ok** when none.
    """
    raw = compact(reply)
    total = content_length(raw)
    body = strip_stock(raw)
    content = content_length(body)
    stock_share = 1.0 - content / total if total else 1.0
    flags: list[Flag] = []
    if content_length(_strip(raw, _GREETINGS)) == 0:
        flags.append(Flag.EMPTY)
        return ReplyCheck(
            flags=[str(f) for f in flags],
            relevance=0.0,
            completeness=0.0,
            ok=False,
            content_chars=content,
            stock_share=round(stock_share, 4),
        )

    keywords = _keywords(request_title, request_text)
    relevance = _coverage(keywords, body)

    deferred = bool(_DEFER.search(body))
    elements: list[str] = []
    measure = _measure(body)
    if measure:
        elements.append("done")
    if _RESULT.search(body):
        elements.append("result")
    if _units(body):
        elements.append("who")
    if _WHEN.search(body):
        elements.append("when")
    if _CONTACT.search(body):
        elements.append("contact")
    completeness = sum(_WEIGHTS[e] for e in elements)
    answered = measure or "result" in elements or bool(_GUIDANCE.search(body))

    if content < MIN_CONTENT_CHARS:
        flags.append(Flag.TOO_SHORT)
    if stock_share >= BOILERPLATE_SHARE and content <= BOILERPLATE_MAX_CONTENT and not answered:
        flags.append(Flag.BOILERPLATE)
    if keywords and relevance < MIN_RELEVANCE and content >= MIN_UNRELATED_CHARS:
        flags.append(Flag.UNRELATED)
    if not ({"done", "result", "who", "when"} & set(elements)):
        flags.append(Flag.NO_ACTION)
    says_little = Flag.BOILERPLATE in flags or Flag.TOO_SHORT in flags
    if not answered and (deferred or says_little or completeness < MIN_COMPLETENESS):
        flags.append(Flag.NO_ANSWER)
    return ReplyCheck(
        flags=[str(f) for f in flags],
        relevance=round(min(max(relevance, 0.0), 1.0), 4),
        completeness=round(min(completeness, 1.0), 4),
        ok=not flags,
        content_chars=content,
        stock_share=round(stock_share, 4),
        elements=elements,
    )
